"""Email delivery: the day's report as one HTML + text newsletter per confirmed subscriber.

Setup
-----
1. An SMTP server that relays for your domain (your provider's submission port, or a local
   MTA): ``AIDAILY_SMTP_HOST``, ``AIDAILY_SMTP_PORT`` (587), ``AIDAILY_SMTP_TLS`` (``starttls``;
   ``tls`` for implicit TLS on 465; ``none`` only for a relay on the same machine),
   ``AIDAILY_SMTP_USERNAME`` / ``AIDAILY_SMTP_PASSWORD`` when it wants a login.
2. ``AIDAILY_EMAIL_FROM`` (``AI Daily <daily@your.domain>``): the domain should have SPF, DKIM and
   DMARC set up, or Gmail and Yahoo will file the newsletter as spam: set
   ``AIDAILY_DKIM_PRIVATE_KEY_FILE`` (and ``AIDAILY_DKIM_SELECTOR``) to sign each message
   (``core.platforms.dkim`` says how), or let the relay sign. Its address also takes ``mailto:``
   unsubscribe requests.
3. ``AIDAILY_PUBLIC_URL``: where the web app answers ``/unsubscribe`` and ``/preferences``.
   ``AIDAILY_SECRET_KEY``: a long random string (``python -c "import secrets;
   print(secrets.token_urlsafe(32))"``) that signs the links; changing it breaks the links in
   mail already sent. Both are required for real sending.
4. ``AIDAILY_SMTP_RATE`` (messages per second, 0 = no limit) and ``AIDAILY_SMTP_CONNECTIONS``
   (connections reused for the whole run) to stay within what the relay allows.
5. ``aidaily subscriptions add email:someone@example.org --confirmed`` (an operator-added,
   already-consenting address), then ``aidaily deliver --channel email``. Without
   ``AIDAILY_SMTP_HOST`` (or with ``--dry-run``) nothing is sent: ``out/<date>.email.jsonl`` lists
   the would-be sends and ``out/<date>.html`` / ``out/<date>.txt`` show the first one.

What is sent
------------
One message per subscription (plan key ``email``): ``multipart/alternative`` with the text part
first and the HTML (``delivery.email_render``, compiled once per report variant) last, both
encoded once per variant and joined with each recipient's links (``delivery.email_mime``); From, To,
Subject (the report title), Date, Message-ID (the platform id kept by the ledger), and
``List-Unsubscribe`` (the signed https one-click URL and a mailto) with
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058); with a ``DkimSigner``, a
``DKIM-Signature`` over those headers and the body, per recipient. Only ``confirmed``
subscriptions receive mail; the adapter refuses any other status as a last guard.

Failures
--------
``core.platforms.smtp`` retries 4xx answers and lost connections with backoff. A 5xx about the
recipient (``550 5.1.1`` to RCPT) is a bounce: ``DeliveryError(permanent=True)`` and
``on_bounce`` (the composition root marks the subscription ``bounced``, so it gets no further
mail). A 5xx about the message (``554`` after DATA, a ``5.7.x`` policy or spam refusal) or
about our sender or login is nobody's bounce: it would refuse every recipient alike, so the
run stops there (``DeliveryError(halt=True)``) and reports it, and no address is marked. The
ledger makes a resumed run send only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from core.links import Links
from core.models import Report, Subscription, SubscriptionStatus
from core.platforms.dkim import DkimSigner
from core.platforms.smtp import SmtpBounce, SmtpError, SmtpRefused, SmtpRejected, SmtpSender
from delivery.base import DeliveryError, OutgoingMessage
from delivery.dryrun import CallLog
from delivery.email_render import CompiledEmail, EmailRenderer

PLAN_KEY = "email"


# --- the adapter --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message ready for the wire; ``parts()`` gives its (html, text) for a dry run."""

    sender: str
    recipient: str
    data: bytes
    headers: Mapping[str, str]
    compiled: CompiledEmail
    values: Mapping[str, str]

    def parts(self) -> tuple[str, str]:
        return self.compiled.personalize(self.values)


class Mailer(Protocol):
    """Where envelopes go: ``SmtpMailer`` (the network) or ``DryRunMailer`` (a file)."""

    async def send(self, envelope: Envelope, *, report_date: str) -> None: ...


class EmailAdapter:
    """The ``delivery.base.Adapter`` for email."""

    channel = "email"

    def __init__(
        self,
        mailer: Mailer,
        renderer: EmailRenderer,
        links: Links,
        *,
        from_address: str,
        on_bounce: Callable[[Subscription, str], None] | None = None,
        signer: DkimSigner | None = None,
    ) -> None:
        self.mailer = mailer
        self.renderer = renderer
        self.links = links
        self.from_address = from_address
        self.envelope_from = parseaddr(from_address)[1]
        if "@" not in self.envelope_from:
            raise ValueError(f"AIDAILY_EMAIL_FROM {from_address!r} has no address")
        self.domain = self.envelope_from.rpartition("@")[2]
        self.on_bounce = on_bounce
        self.signer = signer  # None: unsigned (the relay may sign)

    def plan(self, report: Report, subscription: Subscription) -> list[OutgoingMessage]:
        compiled = self.renderer.for_subscription(report, subscription.sections, subscription.language)
        payload = {"email": compiled, "report_date": report.date.isoformat()}
        return [OutgoingMessage(PLAN_KEY, None, payload)]

    async def send(self, message: OutgoingMessage, subscription: Subscription, parent_id: str | None) -> str:
        if subscription.status != SubscriptionStatus.CONFIRMED:
            raise DeliveryError(f"{subscription.target} is {subscription.status.value}", permanent=True)
        envelope = self.envelope(message.payload["email"], subscription)
        try:
            await self.mailer.send(envelope, report_date=message.payload["report_date"])
        except SmtpBounce as exc:
            if self.on_bounce is not None:
                self.on_bounce(subscription, str(exc))
            raise DeliveryError(f"bounced: {exc}", permanent=True) from None
        except SmtpRejected as exc:  # the message, not the mailbox: the same for everyone
            raise DeliveryError(
                f"the SMTP server refused the message: {exc}", permanent=True, halt=True
            ) from None
        except SmtpRefused as exc:  # our sender or login: no other recipient would fare better
            raise DeliveryError(f"the SMTP server refused us: {exc}", halt=True) from None
        except SmtpError as exc:
            raise DeliveryError(str(exc)) from None
        return envelope.headers["Message-ID"]

    def envelope(self, compiled: CompiledEmail, subscription: Subscription) -> Envelope:
        """The complete message for one recipient."""
        unsubscribe = self.links.unsubscribe(subscription)
        values = {
            "unsubscribe_url": unsubscribe,
            "preferences_url": self.links.preferences(subscription),
            "address": subscription.address,
        }
        if compiled.report_date is not None:
            values["feedback_url"] = self.links.feedback(subscription, compiled.report_date)
        mailto = f"mailto:{self.envelope_from}?subject={quote('unsubscribe ' + subscription.address)}"
        headers = {
            "From": self.from_address,
            "To": subscription.address,
            "Date": formatdate(usegmt=True),
            "Message-ID": make_msgid(domain=self.domain),
            "List-Unsubscribe": f"<{unsubscribe}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        data = compiled.message_bytes(headers, values)
        if self.signer is not None:
            data = self.signer.sign(data)
        return Envelope(self.envelope_from, subscription.address, data, headers, compiled, values)


class SmtpMailer:
    """Envelopes over a ``core.platforms.smtp.SmtpSender``."""

    def __init__(self, sender: SmtpSender) -> None:
        self.sender = sender

    async def send(self, envelope: Envelope, *, report_date: str) -> None:
        await self.sender.send(envelope.sender, envelope.recipient, envelope.data)


class DryRunMailer:
    """Records each would-be send in a ``CallLog``; writes the first message of each report date
    to ``out_dir/<date>.html`` and ``<date>.txt``, so a person can look at what readers get."""

    def __init__(self, calls: CallLog, out_dir: Path | None = None) -> None:
        self.calls = calls
        self.out_dir = out_dir
        self.previewed: set[str] = set()

    async def send(self, envelope: Envelope, *, report_date: str) -> None:
        html_part, text_part = envelope.parts()
        params = dict(envelope.headers) | {
            "Subject": envelope.compiled.subject,
            "bytes": len(envelope.data),
            "html_bytes": len(html_part.encode("utf-8")),
            "text_bytes": len(text_part.encode("utf-8")),
        }
        self.calls.record("smtp.sendmail", params)
        if self.out_dir is not None and report_date not in self.previewed:
            self.previewed.add(report_date)
            self.out_dir.mkdir(parents=True, exist_ok=True)
            (self.out_dir / f"{report_date}.html").write_text(html_part, encoding="utf-8")
            (self.out_dir / f"{report_date}.txt").write_text(text_part, encoding="utf-8")
