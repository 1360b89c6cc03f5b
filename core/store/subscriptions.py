"""Subscriptions in the store: where reports go, with per-subscription sections and language.

A subscription is identified by (channel, address, thread); adding one that exists updates its
options (and who subscribed it, when the new one says) instead of duplicating it. Removing one
deletes its ledger entries with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from core.models import Channel, Subscription, SubscriptionStatus
from core.store.tables import SubscriptionRow

# A re-added address that had left (or bounced) starts again with the status the caller asks
# for; otherwise a re-add changes options only, except that it may confirm.
_ENDED = {SubscriptionStatus.UNSUBSCRIBED, SubscriptionStatus.BOUNCED}


def add_subscription(conn: Connection, new: Subscription) -> tuple[Subscription, bool]:
    """Insert ``new``, or update the subscription at its address; returns it and whether it is new."""
    existing = find_subscription(conn, new.channel, new.address, new.thread)
    now = datetime.now(UTC)
    options = {"sections": list(new.sections), "language": new.language, "updated_at": now}
    if new.subscribed_by is not None:  # an operator's re-add keeps who subscribed the chat
        options["subscribed_by"] = new.subscribed_by
    if new.workspace is not None:  # and the Slack workspace a chat command recorded
        options["workspace"] = new.workspace
    if existing is None:
        values = _identity(new) | options | {"status": new.status.value, "created_at": now}
        id_ = conn.execute(insert(SubscriptionRow).values(values).returning(SubscriptionRow.id)).scalar_one()
        return _get(conn, id_), True
    status = _readded_status(existing.status, new.status)
    statement = update(SubscriptionRow).where(SubscriptionRow.id == existing.id)
    conn.execute(statement.values(options | {"status": status.value}))
    return _get(conn, existing.id), False


def _readded_status(old: SubscriptionStatus, asked: SubscriptionStatus) -> SubscriptionStatus:
    if old in _ENDED or asked == SubscriptionStatus.CONFIRMED:
        return asked
    return old


def find_subscription(
    conn: Connection, channel: Channel, address: str, thread: str | None = None
) -> Subscription | None:
    query = select(SubscriptionRow).where(
        SubscriptionRow.channel == channel.value,
        SubscriptionRow.address == address,
        SubscriptionRow.thread == (thread or ""),
    )
    row = conn.execute(query).mappings().first()
    return _from_row(row) if row else None


def get_subscription(conn: Connection, id_: int) -> Subscription | None:
    row = conn.execute(select(SubscriptionRow).where(SubscriptionRow.id == id_)).mappings().first()
    return _from_row(row) if row else None


def list_subscriptions(
    conn: Connection,
    channel: Channel | None = None,
    status: SubscriptionStatus | None = None,
    *,
    after_id: int = 0,
    limit: int | None = None,
) -> list[Subscription]:
    """Subscriptions in the order they were added, optionally of one channel or status; a page of
    ``limit`` with ids above ``after_id`` (keyset paging, so a long list is never read at once)."""
    query = select(SubscriptionRow).where(SubscriptionRow.id > after_id).order_by(SubscriptionRow.id)
    if channel is not None:
        query = query.where(SubscriptionRow.channel == channel.value)
    if status is not None:
        query = query.where(SubscriptionRow.status == status.value)
    if limit is not None:
        query = query.limit(limit)
    return [_from_row(row) for row in conn.execute(query).mappings()]


def subscriptions_by_id(conn: Connection, ids: list[int]) -> list[Subscription]:
    """The stored subscriptions among ``ids``, in id order (removed ones are simply absent)."""
    query = select(SubscriptionRow).where(SubscriptionRow.id.in_(ids)).order_by(SubscriptionRow.id)
    return [_from_row(row) for row in conn.execute(query).mappings()]


def remove_subscription(conn: Connection, id_: int) -> bool:
    """Delete the subscription (and its ledger entries); False if there was none."""
    return conn.execute(delete(SubscriptionRow).where(SubscriptionRow.id == id_)).rowcount > 0


def set_status(conn: Connection, id_: int, status: SubscriptionStatus) -> bool:
    statement = update(SubscriptionRow).where(SubscriptionRow.id == id_)
    values = {"status": status.value, "updated_at": datetime.now(UTC)}
    return conn.execute(statement.values(values)).rowcount > 0


def _get(conn: Connection, id_: int | None) -> Subscription:
    found = get_subscription(conn, id_) if id_ is not None else None
    assert found is not None, "a subscription just written is readable in the same transaction"
    return found


def _identity(sub: Subscription) -> dict[str, Any]:
    return {"channel": sub.channel.value, "address": sub.address, "thread": sub.thread or ""}


def _from_row(row: RowMapping) -> Subscription:
    return Subscription(
        channel=Channel(row["channel"]),
        address=row["address"],
        thread=row["thread"] or None,
        sections=tuple(row["sections"]),
        language=row["language"],
        status=SubscriptionStatus(row["status"]),
        id=row["id"],
        subscribed_by=row["subscribed_by"],
        workspace=row["workspace"],
    )
