"""The delivery ledger: every message of a day's report for each subscription, and its fate.

One row per (report date, subscription, message key). ``begin`` writes the row as ``sending``
(and counts the attempt) before the platform is called; ``sent`` stores the platform's id the
moment it is known; ``failed`` stores why not. Each is its own short transaction, committed
before the delivery goes on, so a crash loses at most the one message in flight: its row stays
``sending``, and the next run sends it again (see ``delivery.dispatch`` on that window).

``DeliveryLedger`` is this module as ``delivery.dispatch`` uses it (``store.ledger``); the
functions below it are what the ``Store`` facade calls. Each ``DeliveryLedger`` is one delivery
run's: it ``claim``s a subscription for that run (``core.store.claims``) and ``begin`` refuses
to start a message once another run holds the claim.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from core.models import Channel, ChannelCounts, DeliveryRecord, DeliveryStatus, Subscription
from core.store import claims
from core.store.tables import DeliveryRow, SubscriptionRow

Transaction = Callable[[], AbstractContextManager[Connection]]


class DeliveryLedger:
    """The ``delivery.base.Ledger`` protocol on the store; every call is one transaction."""

    def __init__(self, read: Transaction, write: Transaction, holder: str | None = None) -> None:
        self._read = read
        self._write = write
        self.holder = holder or claims.new_holder()

    def claim(self, day: date, subscription: Subscription, *, lease: float) -> bool:
        """Claim (or renew) the subscription's day for this run for ``lease`` seconds; False
        while another live run holds it."""
        now = datetime.now(UTC)
        with self._write() as conn:
            return claims.claim(conn, day, _id(subscription), self.holder, now, timedelta(seconds=lease))

    def release(self, day: date, subscription: Subscription) -> None:
        with self._write() as conn:
            claims.release(conn, day, _id(subscription), self.holder)

    def entries(self, day: date, subscription: Subscription) -> dict[str, DeliveryRecord]:
        """What the ledger holds for this day and subscription, by message key."""
        with self._read() as conn:
            return entries(conn, day, _id(subscription))

    def begin(
        self, day: date, subscription: Subscription, key: str, *, section: str | None, parent: str | None
    ) -> None:
        with self._write() as conn:
            claims.check(conn, day, _id(subscription), self.holder, datetime.now(UTC))
            begin(conn, day, _id(subscription), key, section, parent)

    def sent(self, day: date, subscription: Subscription, key: str, platform_id: str) -> None:
        with self._write() as conn:
            mark_sent(conn, day, _id(subscription), key, platform_id)

    def failed(self, day: date, subscription: Subscription, key: str, error: str, *, permanent: bool) -> None:
        with self._write() as conn:
            mark_failed(conn, day, _id(subscription), key, error, permanent)


def _id(subscription: Subscription) -> int:
    if subscription.id is None:
        raise ValueError(f"subscription {subscription.target} is not stored; the ledger needs its id")
    return subscription.id


def entries(conn: Connection, day: date, subscription_id: int) -> dict[str, DeliveryRecord]:
    query = select(DeliveryRow).where(
        DeliveryRow.report_date == day, DeliveryRow.subscription_id == subscription_id
    )
    return {row["key"]: _record(row) for row in conn.execute(query.order_by(DeliveryRow.id)).mappings()}


def begin(
    conn: Connection, day: date, subscription_id: int, key: str, section: str | None, parent: str | None
) -> None:
    """Mark the message as being sent now, counting the attempt."""
    now = datetime.now(UTC)
    where = _where(day, subscription_id, key)
    statement = update(DeliveryRow).where(*where, DeliveryRow.status != DeliveryStatus.SENT.value)
    changed = conn.execute(
        statement.values(
            status=DeliveryStatus.SENDING.value,
            attempts=DeliveryRow.attempts + 1,
            error=None,
            permanent=False,
            updated_at=now,
        )
    ).rowcount
    if changed:
        return
    if conn.execute(select(DeliveryRow.id).where(*where)).first() is not None:
        raise ValueError(f"message {key} of {day} was already sent to subscription {subscription_id}")
    values = _new_row(day, subscription_id, key, section, parent, now)
    conn.execute(insert(DeliveryRow).values(values))


def _new_row(
    day: date, subscription_id: int, key: str, section: str | None, parent: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "report_date": day,
        "subscription_id": subscription_id,
        "key": key,
        "section": section,
        "parent_key": parent,
        "status": DeliveryStatus.SENDING.value,
        "permanent": False,
        "attempts": 1,
        "created_at": now,
        "updated_at": now,
    }


def mark_sent(conn: Connection, day: date, subscription_id: int, key: str, platform_id: str) -> None:
    now = datetime.now(UTC)
    values = {"status": DeliveryStatus.SENT.value, "platform_id": platform_id, "error": None}
    _update(conn, day, subscription_id, key, values | {"updated_at": now, "sent_at": now})


def mark_failed(
    conn: Connection, day: date, subscription_id: int, key: str, error: str, permanent: bool
) -> None:
    values = {"status": DeliveryStatus.FAILED.value, "error": error, "permanent": permanent}
    _update(conn, day, subscription_id, key, values | {"updated_at": datetime.now(UTC)})


def _update(conn: Connection, day: date, subscription_id: int, key: str, values: dict[str, Any]) -> None:
    statement = update(DeliveryRow).where(*_where(day, subscription_id, key)).values(values)
    if not conn.execute(statement).rowcount:
        raise ValueError(f"message {key} of {day} was never begun for subscription {subscription_id}")


def records(conn: Connection, day: date) -> list[DeliveryRecord]:
    """Every ledger entry of ``day``, by subscription, in the order the messages were begun."""
    query = select(DeliveryRow).where(DeliveryRow.report_date == day)
    query = query.order_by(DeliveryRow.subscription_id, DeliveryRow.id)
    return [_record(row) for row in conn.execute(query).mappings()]


def counts(conn: Connection, day: date, since: datetime) -> dict[str, ChannelCounts]:
    """Per channel, ``day``'s messages: sent since ``since``, failed since then (or left in
    flight), and skipped (sent before ``since``, by an earlier run)."""
    query = (
        select(SubscriptionRow.channel, DeliveryRow.status, DeliveryRow.sent_at, DeliveryRow.updated_at)
        .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
        .where(DeliveryRow.report_date == day)
    )
    tallies: dict[str, dict[str, int]] = {}
    for channel, status, sent_at, updated_at in conn.execute(query):
        tally = tallies.setdefault(channel, {"sent": 0, "failed": 0, "skipped": 0})
        if status == DeliveryStatus.SENT.value:
            tally["sent" if sent_at >= since else "skipped"] += 1
        elif updated_at >= since:
            tally["failed"] += 1
    return {channel: ChannelCounts(**tally) for channel, tally in tallies.items()}


def latest_day(conn: Connection) -> date | None:
    """The newest report date the ledger has entries for."""
    return conn.execute(select(func.max(DeliveryRow.report_date))).scalar()


def find_sent(conn: Connection, channel: Channel, address: str, platform_id: str) -> DeliveryRecord | None:
    """The message we sent to ``address`` on ``channel`` that the platform calls ``platform_id``
    (a Slack ts, a Telegram message_id), newest first; None when it is not one of ours."""
    query = (
        select(DeliveryRow)
        .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
        .where(
            SubscriptionRow.channel == channel.value,
            SubscriptionRow.address == address,
            DeliveryRow.platform_id == platform_id,
            DeliveryRow.status == DeliveryStatus.SENT.value,
        )
        .order_by(DeliveryRow.report_date.desc())
        .limit(1)
    )
    row = conn.execute(query).mappings().first()
    return _record(row) if row else None


def _where(day: date, subscription_id: int, key: str) -> tuple[Any, ...]:
    return (
        DeliveryRow.report_date == day,
        DeliveryRow.subscription_id == subscription_id,
        DeliveryRow.key == key,
    )


def _record(row: RowMapping) -> DeliveryRecord:
    return DeliveryRecord(
        report_date=row["report_date"],
        subscription_id=row["subscription_id"],
        key=row["key"],
        status=DeliveryStatus(row["status"]),
        section=row["section"],
        parent_key=row["parent_key"],
        platform_id=row["platform_id"],
        error=row["error"],
        permanent=row["permanent"],
        attempts=row["attempts"],
        updated_at=row["updated_at"],
        sent_at=row["sent_at"],
    )
