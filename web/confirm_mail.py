"""The mail the sign-up form sends: a double opt-in confirmation, or a note that the address is
already subscribed (with its preferences link), never anything else.

``ConfirmationMailer`` is the one-method seam the web app awaits. ``SmtpConfirmationMailer``
sends through ``core.platforms.smtp.SmtpSender`` (the pooled, retrying sender the newsletter uses,
built from the same ``AIDAILY_SMTP_*`` settings); ``DryRunConfirmationMailer`` appends each mail
as one JSON line to a file (``out/confirmations.jsonl``), so a developer without an SMTP server
can open the link by hand.

Each message (CRLF line ends, as SMTP and DKIM want) is ``multipart/alternative`` (text first,
a small HTML part last) with Subject, From, To, Date, Message-ID and ``Auto-Submitted:
auto-generated`` (RFC 3834: autoresponders must not answer it).
"""

from __future__ import annotations

import asyncio
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from core.platforms.dkim import DkimSigner
from core.platforms.smtp import SmtpSender


class MailKind(StrEnum):
    CONFIRM = "confirm"  # a new, pending or returning address: the link confirms it
    ALREADY_SUBSCRIBED = "already_subscribed"  # a confirmed address: the link is its preferences


SUBJECTS = {
    MailKind.CONFIRM: "Confirm your AI Daily subscription",
    MailKind.ALREADY_SUBSCRIBED: "Your AI Daily subscription",
}


@dataclass(frozen=True, slots=True)
class ConfirmationMail:
    to: str
    kind: MailKind
    link: str
    valid_hours: int  # how long a confirm link works

    @property
    def subject(self) -> str:
        return SUBJECTS[self.kind]


class ConfirmationMailer(Protocol):
    async def send(self, mail: ConfirmationMail) -> None:
        """Send ``mail``; raises (``core.platforms.smtp.SmtpError``, ``OSError``) when it cannot."""
        ...


def body_text(mail: ConfirmationMail) -> list[str]:
    """The paragraphs of the message; the link is the one paragraph that is a URL."""
    asked = (
        "Someone, hopefully you, asked to receive AI Daily, a morning briefing of AI news, at this address."
    )
    ignore = "If that was not you, ignore this message: you will get nothing more from us."
    if mail.kind is MailKind.CONFIRM:
        return [asked, f"To confirm, open this link within {mail.valid_hours} hours:", mail.link, ignore]
    return [
        asked,
        "This address is already subscribed, so nothing has changed.",
        "To change your sections or language, or to unsubscribe, open your preferences:",
        mail.link,
        "If that was not you, ignore this message.",
    ]


def build_message(mail: ConfirmationMail, from_address: str) -> EmailMessage:
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage(policy=SMTP)
    message["Subject"] = mail.subject
    message["From"] = from_address
    message["To"] = mail.to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    paragraphs = body_text(mail)
    message.set_content("\n\n".join([*paragraphs, "-- \nAI Daily"]) + "\n")
    message.add_alternative(_html(paragraphs, mail.link), subtype="html")
    return message


def _html(paragraphs: list[str], link: str) -> str:
    def paragraph(text: str) -> str:
        escaped = html.escape(text, quote=True)
        if text == link:
            return f'<p><a href="{escaped}" style="color:#1a56db">{escaped}</a></p>'
        return f"<p>{escaped}</p>"

    body = "\n".join(paragraph(p) for p in paragraphs)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"></head>\n'
        '<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2328;max-width:36rem">\n'
        f"{body}\n<p>— AI Daily</p>\n</body></html>\n"
    )


class SmtpConfirmationMailer:
    """Sends over a ``SmtpSender`` the caller opened (and closes); with a ``DkimSigner`` (the
    newsletter's, ``AIDAILY_DKIM_PRIVATE_KEY_FILE``) each message is DKIM-signed, so the first
    mail a reader gets from us is not the one most likely to land in spam."""

    def __init__(self, sender: SmtpSender, from_address: str, *, signer: DkimSigner | None = None) -> None:
        self.sender = sender
        self.from_address = from_address
        self.signer = signer
        self.envelope_from = parseaddr(from_address)[1]
        if "@" not in self.envelope_from:
            raise ValueError(f"AIDAILY_EMAIL_FROM {from_address!r} has no address")

    async def send(self, mail: ConfirmationMail) -> None:
        data = build_message(mail, self.from_address).as_bytes()
        if self.signer is not None:
            data = self.signer.sign(data)
        await self.sender.send(self.envelope_from, mail.to, data)


class DryRunConfirmationMailer:
    """Appends ``{"date", "to", "kind", "subject", "link"}`` per mail to ``path`` (JSON Lines)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, mail: ConfirmationMail) -> None:
        record = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "to": mail.to,
            "kind": mail.kind.value,
            "subject": mail.subject,
            "link": mail.link,
        }
        await asyncio.to_thread(self._append, json.dumps(record, ensure_ascii=False))

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")
