"""A real SMTP server (aiosmtpd) on 127.0.0.1, on a port the OS picks, recording what it receives.

    with SmtpServer() as server:             # server.port
        server.refuse("a@example.org", 450)  # the next RCPT for a@ gets 450 (once)
        server.refuse("b@example.org", 550, times=None)  # every RCPT for b@: 550
        server.refuse("c@example.org", 421)  # 421 and the connection closed
        server.refuse("d@example.org", 550, text="5.7.1 Relaying denied")  # another reply text
        server.reject_data(554, "5.7.1 Message rejected as spam")  # every message, after DATA
        server.drop_after(5)                 # after 5 accepted messages, drop every connection ...
        server.heal()                        # ... until healed
        ...
        server.messages                      # [Received(mail_from, rcpt_tos, data, message)]

The server runs its own event loop in a thread (aiosmtpd's ``SMTP`` protocol on
``loop.create_server``; its ``Controller`` wants a fixed port). ``connections`` counts the
connections opened, ``refused`` the answers scripted faults gave (``(address, code)`` at RCPT;
``rejected`` the recipients of each message refused after DATA). ``SmtpServer(tls=context,
login=("user", "password"))`` requires STARTTLS and then a login, as a real submission server.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult


@dataclass(frozen=True, slots=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage


@dataclass
class _Fault:
    code: int
    times: int | None  # None: forever
    text: str | None = None  # the reply's text; None: a usual one for the code


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)
    faults: dict[str, _Fault] = field(default_factory=dict)
    refused: list[tuple[str, int]] = field(default_factory=list)
    rejected: list[tuple[str, ...]] = field(default_factory=list)
    data_reply: str | None = None  # set: every DATA is answered with it
    drop_after: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(self, server: SMTP, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            dropping = self.drop_after is not None and len(self.messages) >= self.drop_after
        if dropping:
            server.transport.abort()  # the connection is gone, mid-conversation
            return "421 gone"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            fault = self.faults.get(address.lower())
            if fault is not None:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self.faults[address.lower()]
                self.refused.append((address, fault.code))
        if fault is None:
            envelope.rcpt_tos.append(address)
            return "250 OK"
        if fault.code == 421:
            server.transport.close()
            return "421 4.3.2 Service shutting down"
        text = fault.text or ("4.2.1 Mailbox busy, try later" if fault.code < 500 else "5.1.1 No such user")
        return f"{fault.code} {text}"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or envelope.content)
        message = BytesParser(policy=policy.default).parsebytes(data)
        with self.lock:
            if self.data_reply is not None:
                self.rejected.append(tuple(envelope.rcpt_tos))
                return self.data_reply
            self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), data, message))  # type: ignore[arg-type]
        return "250 OK queued"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class SmtpServer:
    """See the module docstring."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, login: tuple[str, str] | None = None) -> None:
        self.tls = tls  # offered as STARTTLS, and then required
        self.login = login  # AUTH required (after STARTTLS) when set
        self.handler = _Handler()
        self.connections = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def refused(self) -> list[tuple[str, int]]:
        with self.handler.lock:
            return list(self.handler.refused)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    @property
    def rejected(self) -> list[tuple[str, ...]]:
        with self.handler.lock:
            return list(self.handler.rejected)

    def refuse(self, address: str, code: int, *, times: int | None = 1, text: str | None = None) -> None:
        with self.handler.lock:
            self.handler.faults[address.lower()] = _Fault(code, times, text)

    def reject_data(self, code: int, text: str) -> None:
        """Answer every message with ``code text`` after DATA (until ``heal``)."""
        with self.handler.lock:
            self.handler.data_reply = f"{code} {text}"

    def drop_after(self, accepted: int) -> None:
        with self.handler.lock:
            self.handler.drop_after = accepted

    def heal(self) -> None:
        with self.handler.lock:
            self.handler.drop_after = None
            self.handler.faults.clear()
            self.handler.data_reply = None

    def _protocol(self) -> SMTP:
        self.connections += 1
        return SMTP(
            self.handler,
            hostname="fake-smtp",
            ident="fake SMTP",
            tls_context=self.tls,
            require_starttls=self.tls is not None,
            auth_required=self.login is not None,
            authenticator=self._authenticate if self.login else None,
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        given = (_text(getattr(data, "login", b"")), _text(getattr(data, "password", b"")))
        return AuthResult(success=given == self.login, handled=False)

    def __enter__(self) -> SmtpServer:
        self._thread.start()
        start = self._loop.create_server(self._protocol, "127.0.0.1", 0)
        self._server = asyncio.run_coroutine_threadsafe(start, self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
