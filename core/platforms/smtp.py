"""Sending prebuilt messages over SMTP: a small pool of reused connections, paced and retried.

``SmtpSender(SmtpOptions(...))`` keeps up to ``connections`` aiosmtplib connections open and
sends each message (envelope sender, one recipient, the message bytes) over an idle one, so a
delivery of ten thousand messages opens a handful of connections, not ten thousand. TLS is
``none``, ``starttls`` (upgrade after EHLO, required) or ``tls`` (implicit TLS, port 465);
with a username the connection logs in. ``rate`` (messages per second, 0 = as fast as the
server answers) spaces sends across all connections.

Answers are classified once, here:

- 4xx (including 421 "closing the channel") and a lost or refused connection are transient:
  the message is retried after a backoff (``attempts`` in all), on a fresh connection when the
  old one is gone; after the last attempt it raises ``SmtpTransient``;
- a 5xx about the recipient raises ``SmtpBounce``: the address will not take mail, and the
  caller stops mailing it. That is a 5xx to RCPT (``550 5.1.1`` no such user), or a 5xx after
  DATA whose enhanced status code (RFC 3463) names the address or mailbox (X.1.x, X.2.x);
- a 5xx about the message raises ``SmtpRejected``: a 5xx after DATA without such a code
  (``554``, ``550``), or anywhere with a policy, content or system code (X.7.x spam or policy,
  X.6.x content, X.3.x, X.2.3 too long, X.1.7/X.1.8 our sender's address). Every other
  recipient's copy would be refused the same way and no mailbox is at fault, so nobody is
  marked bounced for it;
- any other 5xx (the sender refused, authentication failed) raises ``SmtpRefused``: the
  operator's configuration, not the recipient, is at fault.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from dataclasses import dataclass
from typing import Literal

import aiosmtplib

from core.platforms.pacing import Pacer, Rate, unpaced

log = logging.getLogger(__name__)
Tls = Literal["none", "starttls", "tls"]
Stage = Literal["connect", "sender", "recipient", "data"]
#: An enhanced status code (RFC 3463) at the start of a reply's text: class.subject.detail.
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?!\d)")


class SmtpError(Exception):
    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SmtpTransient(SmtpError):
    """Still failing after every attempt; a later run may succeed."""


class SmtpBounce(SmtpError):
    """The server refused the recipient with a 5xx: the mailbox is dead, a permanent failure."""


class SmtpRejected(SmtpError):
    """The server refused the message itself (policy, content, spam): no mailbox is at fault,
    and every recipient's copy would be refused alike."""


class SmtpRefused(SmtpError):
    """A 5xx that is not about the recipient or the message (sender refused, login failed)."""


@dataclass(frozen=True, slots=True)
class SmtpOptions:
    host: str
    port: int = 587
    tls: Tls = "starttls"
    username: str | None = None
    password: str | None = None
    rate: float = 0.0  # messages per second over all connections; 0 = unlimited
    connections: int = 4
    timeout: float = 60.0
    attempts: int = 4  # for 4xx answers and lost connections
    backoff: float = 1.0  # seconds before the second attempt; doubles each time
    tls_context: ssl.SSLContext | None = None  # None: the system's default verification


def rate_pacer(rate: float) -> Pacer:
    """A pacer allowing ``rate`` messages per second (bursts of at most one second's worth)."""
    if rate <= 0:
        return unpaced()
    return Pacer(Rate(max(1, round(rate)), max(1, round(rate)) / rate))


class SmtpSender:
    """See the module docstring. Use as ``async with SmtpSender(options) as sender``."""

    def __init__(self, options: SmtpOptions) -> None:
        self.options = options
        self._pacer = rate_pacer(options.rate)
        self._idle: list[aiosmtplib.SMTP] = []
        self._free = asyncio.Semaphore(options.connections)
        self.connects = 0  # connections opened, for tests and the benchmark

    async def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Send ``data`` to ``recipient``; raises an ``SmtpError`` subclass when it cannot."""
        last: SmtpError | None = None
        for attempt in range(self.options.attempts):
            if attempt:
                await asyncio.sleep(self.options.backoff * 2 ** (attempt - 1))
            try:
                await self._send_once(sender, recipient, data)
                return
            except SmtpTransient as exc:
                log.info("SMTP to %s: %s (attempt %d)", recipient, exc, attempt + 1)
                last = exc
        assert last is not None
        raise last

    async def _send_once(self, sender: str, recipient: str, data: bytes) -> None:
        async with self._free:
            await self._pacer.wait("smtp")
            smtp = await self._connection()
            try:
                await smtp.sendmail(sender, [recipient], data)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                refused = exc.recipients[0]
                self._keep(smtp, reusable=refused.code != 421)
                raise _classify(refused.code, refused.message, "recipient") from None
            except aiosmtplib.SMTPResponseException as exc:
                self._keep(smtp, reusable=exc.code != 421)
                raise _classify(exc.code, exc.message, _stage(exc)) from None
            except (aiosmtplib.SMTPException, OSError) as exc:
                self._keep(smtp, reusable=False)
                raise SmtpTransient(f"connection lost: {type(exc).__name__}: {exc}") from None
            self._keep(smtp, reusable=True)

    async def _connection(self) -> aiosmtplib.SMTP:
        while self._idle:
            smtp = self._idle.pop()
            if smtp.is_connected:
                return smtp
        options = self.options
        smtp = aiosmtplib.SMTP(
            hostname=options.host,
            port=options.port,
            use_tls=options.tls == "tls",
            start_tls=options.tls == "starttls",
            username=options.username,
            password=options.password,
            timeout=options.timeout,
            tls_context=options.tls_context,
        )
        try:
            await smtp.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise SmtpRefused(f"login refused: {exc.code} {exc.message}", exc.code) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _classify(exc.code, exc.message, "connect") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SmtpTransient(f"cannot connect: {type(exc).__name__}: {exc}") from None
        self.connects += 1
        return smtp

    def _keep(self, smtp: aiosmtplib.SMTP, *, reusable: bool) -> None:
        if reusable and smtp.is_connected:
            self._idle.append(smtp)
        else:
            smtp.close()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for smtp in idle:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()

    async def __aenter__(self) -> SmtpSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _stage(exc: aiosmtplib.SMTPResponseException) -> Stage:
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return "data"
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return "recipient"
    return "sender"


def _classify(code: int, message: str, stage: Stage) -> SmtpError:
    text = f"{code} {message}".strip()
    if 400 <= code < 500:
        return SmtpTransient(text, code)
    status = enhanced_status(message)
    if stage == "recipient":
        # A relay refusing to relay (5.7.1) or our sender (5.1.8) says "no" to everyone.
        about_message = status is not None and _about_message(status)
        return SmtpRejected(text, code) if about_message else SmtpBounce(text, code)
    if stage == "data":
        # After DATA the server judged the message; only a code naming the mailbox blames it.
        about_recipient = status is not None and _about_recipient(status)
        return SmtpBounce(text, code) if about_recipient else SmtpRejected(text, code)
    return SmtpRefused(text, code)


def enhanced_status(message: str) -> tuple[int, int, int] | None:
    """The RFC 3463 code a reply's text starts with (``5.7.1 Spam`` -> (5, 7, 1)), if any."""
    match = _ENHANCED.match(message)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _about_recipient(status: tuple[int, int, int]) -> bool:
    """X.1.x addressing (but X.1.7/X.1.8: our sender's) and X.2.x mailbox (but X.2.3: size)."""
    _, subject, detail = status
    return (subject == 1 and detail not in (7, 8)) or (subject == 2 and detail != 3)


def _about_message(status: tuple[int, int, int]) -> bool:
    """X.7 security or policy, X.6 content, X.3 mail system, X.2.3 size, X.1.7/X.1.8 sender."""
    _, subject, detail = status
    return subject in (3, 6, 7) or (subject, detail) in ((2, 3), (1, 7), (1, 8))
