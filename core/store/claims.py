"""Delivery claims: one live delivery run at a time per (report day, subscription).

A run ``claim``s a subscription before it reads that subscription's ledger, renews the claim
(``claim`` again) while it delivers, and ``release``s it when done. Another run's ``claim``
fails while the claim is held and unexpired, so it waits instead of taking the holder's
``sending`` rows for a crashed run's. A holder that died stops renewing: once ``expires_at``
has passed, the next ``claim`` takes the subscription over. Every step is a write first (an
INSERT or UPDATE), so PostgreSQL locks the row and SQLite takes its write lock before anything
is read: two runs racing for one claim cannot both win.

``check`` is the fence ``ledger.begin`` puts before each message: a run whose claim was taken
over (it was frozen, or cut off from the database, for longer than its lease) must not start
another message.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.store.tables import DeliveryClaimRow


class ClaimLost(Exception):
    """This run's claim on the subscription was taken over, or has expired: begin nothing."""


def new_holder() -> str:
    """``hostname:pid:run``: one delivery run; two runs of one process are two holders."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def claim(
    conn: Connection, day: date, subscription_id: int, holder: str, now: datetime, lease: timedelta
) -> bool:
    """Take or renew ``holder``'s claim until ``now + lease``; False while another holds it."""
    if _insert(conn, day, subscription_id, holder, now, now + lease):
        return True
    row = DeliveryClaimRow
    if _take(
        conn, day, subscription_id, holder, now, lease, or_(row.holder == holder, row.expires_at <= now)
    ):
        return True
    # A holder that died on this machine (kill -9, a crash) need not be waited for until its
    # lease runs out: rerunning a delivery right after a crash resumes at once.
    other = conn.execute(select(row.holder).where(*_key(day, subscription_id))).scalar()
    return (
        other is not None
        and _died_here(other)
        and _take(conn, day, subscription_id, holder, now, lease, row.holder == other)
    )


def _take(
    conn: Connection,
    day: date,
    subscription_id: int,
    holder: str,
    now: datetime,
    lease: timedelta,
    takeable: Any,
) -> bool:
    """The claim for ``holder`` where ``takeable`` holds; an UPDATE first, so racers cannot both win."""
    row = DeliveryClaimRow
    statement = (
        update(row)
        .where(*_key(day, subscription_id), takeable)
        .values(
            holder=holder,
            expires_at=now + lease,
            claimed_at=case((row.holder == holder, row.claimed_at), else_=now),
        )
    )
    return conn.execute(statement).rowcount == 1


def _died_here(holder: str) -> bool:
    """Whether ``holder`` (``new_holder``'s hostname:pid:run) ran on this machine in a process
    that is gone. A reused pid only means waiting for the lease, as for any other holder."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process: alive
        return False
    return False


def _insert(
    conn: Connection, day: date, subscription_id: int, holder: str, now: datetime, expires: datetime
) -> bool:
    values = {
        "report_date": day,
        "subscription_id": subscription_id,
        "holder": holder,
        "claimed_at": now,
        "expires_at": expires,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(DeliveryClaimRow).values(values).on_conflict_do_nothing()
    # RETURNING, not rowcount: drivers do not agree on the rowcount of an INSERT.
    return conn.execute(statement.returning(DeliveryClaimRow.holder)).first() is not None


def check(conn: Connection, day: date, subscription_id: int, holder: str, now: datetime) -> None:
    """``ClaimLost`` unless ``holder``'s claim is live, or nobody claims the subscription at all
    (a caller that does not claim, such as a test writing the ledger directly)."""
    row = DeliveryClaimRow
    mine = update(row).where(*_key(day, subscription_id), row.holder == holder, row.expires_at > now)
    if conn.execute(mine.values(holder=holder)).rowcount == 1:  # an UPDATE: the row is locked now
        return
    other = conn.execute(select(row.holder).where(*_key(day, subscription_id))).scalar()
    if other is not None:
        whose = "expired" if other == holder else f"taken over by {other}"
        raise ClaimLost(f"the claim on subscription {subscription_id} for {day} was {whose}")


def release(conn: Connection, day: date, subscription_id: int, holder: str) -> None:
    conn.execute(
        delete(DeliveryClaimRow).where(*_key(day, subscription_id), DeliveryClaimRow.holder == holder)
    )


def _key(day: date, subscription_id: int) -> tuple[Any, ...]:
    return DeliveryClaimRow.report_date == day, DeliveryClaimRow.subscription_id == subscription_id
