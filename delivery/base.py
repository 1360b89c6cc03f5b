"""The delivery protocol: what every channel adapter (Slack, Telegram, email) provides.

An adapter is split in two so the delivery ledger can do its work once, for every channel:

- ``plan(report, subscription)`` is pure: the complete, ordered list of messages that should
  exist for this subscription, each with a stable ``key`` (for example ``"header"``,
  ``"section:research"``, ``"section:research/part:2"``) and the key of the message it replies
  to (``parent``), so a thread parent is always planned before its replies;
- ``send(message, subscription, parent_id)`` performs one API call and returns the platform's id
  of the new message (Slack ``ts``, Telegram ``message_id``, email Message-ID).

``delivery.dispatch.deliver`` claims the subscription's day in the ledger (one live delivery
run at a time: ``delivery.holding``), walks the plan, skips what the ledger says was sent, sends
the rest in order and records each platform id as soon as it exists. A repeated, resumed or
concurrent delivery therefore sends only what is missing, and never a message twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from core.models import DeliveryRecord, Report, Subscription


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message that should exist. ``payload`` is channel-specific API parameters, without the
    routing (channel / chat / thread ids), which ``send`` adds from the subscription and parent."""

    key: str
    section: str | None
    payload: Mapping[str, Any]
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    subscription: Subscription
    planned: int
    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    error: str | None = None
    errors: tuple[str, ...] = field(default_factory=tuple)
    permanent: bool = False  # the error will recur until someone acts (bot removed, channel gone)
    halt: bool = False  # the failure is not this subscription's: the channel's run stops

    @property
    def complete(self) -> bool:
        # An error is never complete, even one that struck before anything was planned.
        return self.error is None and self.sent + self.already_sent == self.planned


class DeliveryError(Exception):
    """A send that failed. ``permanent`` failures (channel gone, bot removed, address bounced)
    stop this subscription's delivery; others may succeed on a later run. ``halt``: the same
    send would fail for every subscription (the SMTP server refused the message itself, or our
    sender), so the channel's run stops instead of trying each of them."""

    def __init__(self, message: str, *, permanent: bool = False, halt: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.halt = halt


class DeliveryStopped(Exception):
    """Raised by a ledger that refuses, on purpose, to start anything more (the service is
    stopping): the delivery ends at once and is not retried."""


class Adapter(Protocol):
    channel: str

    def plan(self, report: Report, subscription: Subscription) -> list[OutgoingMessage]: ...

    async def send(
        self, message: OutgoingMessage, subscription: Subscription, parent_id: str | None
    ) -> str: ...


class Ledger(Protocol):
    """Where ``deliver`` keeps each message's fate: ``store.ledger`` (the database), or a
    ``delivery.dispatch.MemoryLedger`` for dry runs and tests. Every call is committed before it
    returns, so what it says survives a crash. A ledger may also answer with an awaitable
    (``delivery.dispatch.ThreadedLedger``: the commit happens in a thread); ``deliver`` awaits it
    before going on, so the order of begin, send and record is the same.

    A ledger object is one delivery run's. ``claim`` takes (or renews) that run's lease on a
    subscription's day for ``lease`` seconds, False while another live run holds it; ``begin``
    refuses (raises) once the lease was taken over; ``release`` gives it up."""

    def claim(self, day: date, subscription: Subscription, *, lease: float) -> bool: ...

    def release(self, day: date, subscription: Subscription) -> None: ...

    def entries(self, day: date, subscription: Subscription) -> Mapping[str, DeliveryRecord]: ...

    def begin(
        self, day: date, subscription: Subscription, key: str, *, section: str | None, parent: str | None
    ) -> None: ...

    def sent(self, day: date, subscription: Subscription, key: str, platform_id: str) -> None: ...

    def failed(
        self, day: date, subscription: Subscription, key: str, error: str, *, permanent: bool
    ) -> None: ...
