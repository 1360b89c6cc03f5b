"""Delivering a report: walk an adapter's plan, send what the ledger lacks, in order, once.

``deliver(adapter, report, subscription, ledger)`` serves one subscription:

1. ``adapter.plan(report, subscription)`` lists every message that should exist, parents first;
2. messages the ledger holds as ``sent`` are skipped, and their platform ids kept, so a reply
   planned under an already-sent parent still lands in the right thread;
3. each other message is marked ``sending`` in the ledger (committed), sent with its parent's
   platform id, and its own platform id is recorded (committed) the moment the send returns;
4. the first failure is recorded and ends this subscription's run: a later message must not
   overtake it, and a parent that failed has nowhere for its replies to go. A permanent
   failure (channel gone, bot removed) says so in the result; the next run tries again anyway,
   because a bot can be invited back.

``deliver_all`` serves many subscriptions at once (a few at a time); one that fails, even with
an unexpected exception, becomes a failed ``DeliveryResult`` and the others go on.

**Crash safety.** Neither Slack nor Telegram takes an idempotency key, so there is one window
in which a message can exist without the ledger knowing: after the platform accepted it and
before the ``sent`` row is committed (the response's trip back and one small local write,
milliseconds). A crash there leaves the row ``sending``; the next run cannot tell whether it
arrived, sends it again (a duplicate is better than a hole in the thread) and logs a warning;
``aidaily deliveries`` shows such a message with attempts > 1. Everything before the send is
only planning; everything after the commit is known.

``MemoryLedger`` keeps a ledger in memory (tests); ``OverlayLedger`` reads a real ledger but
writes nowhere else, which is what a dry run needs: it shows exactly the calls a real run would
make now, without making the real run skip them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TypeVar

from core.models import DeliveryRecord, DeliveryStatus, Report, Subscription
from delivery.base import Adapter, DeliveryError, DeliveryResult, Ledger, OutgoingMessage

log = logging.getLogger(__name__)
T = TypeVar("T")


async def deliver(
    adapter: Adapter, report: Report, subscription: Subscription, ledger: Ledger
) -> DeliveryResult:
    """Send what is missing of ``report`` to ``subscription``; see the module docstring."""
    plan = adapter.plan(report, subscription)
    _check_order(plan)
    known = await _answer(ledger.entries(report.date, subscription))
    ids = {
        key: e.platform_id for key, e in known.items() if e.status == DeliveryStatus.SENT and e.platform_id
    }
    result = _Tally(subscription, planned=len(plan))
    for message in plan:
        if message.key in ids:
            result.already_sent += 1
            continue
        if (entry := known.get(message.key)) and entry.status == DeliveryStatus.SENDING:
            log.warning(
                "%s %s was in flight when a run stopped; sending it again", subscription.target, message.key
            )
        error = await _send_one(adapter, report.date, subscription, message, ids, ledger)
        if error is not None:
            return result.done(error)
        result.sent += 1
    return result.done()


async def _send_one(
    adapter: Adapter,
    day: date,
    subscription: Subscription,
    message: OutgoingMessage,
    ids: dict[str, str],
    ledger: Ledger,
) -> DeliveryError | None:
    parent_id = ids[message.parent] if message.parent else None
    await _answer(
        ledger.begin(day, subscription, message.key, section=message.section, parent=message.parent)
    )
    try:
        platform_id = await adapter.send(message, subscription, parent_id)
    except DeliveryError as exc:
        await _answer(ledger.failed(day, subscription, message.key, str(exc), permanent=exc.permanent))
        return exc
    except Exception as exc:  # a bug or an unmapped client error: recorded, never lost
        error = f"{type(exc).__name__}: {exc}"
        await _answer(ledger.failed(day, subscription, message.key, error, permanent=False))
        return DeliveryError(f"{type(exc).__name__}: {exc}")
    # Recorded before anything else happens; a ledger that commits in a thread (ThreadedLedger)
    # finishes the commit even if this task is cancelled while it waits.
    await _answer(ledger.sent(day, subscription, message.key, platform_id))
    ids[message.key] = platform_id
    return None


async def deliver_all(
    adapter: Adapter,
    report: Report,
    subscriptions: Iterable[Subscription],
    ledger: Ledger,
    *,
    concurrency: int = 4,
    on_result: Callable[[DeliveryResult], None] | None = None,
) -> list[DeliveryResult]:
    """``deliver`` to each subscription, ``concurrency`` at a time; results in the same order.

    ``subscriptions`` is consumed lazily by ``concurrency`` workers, so a paged iterator over a
    long list is never held in memory whole, and only ``concurrency`` deliveries exist at once.
    With ``on_result``, each result is handed to it as it comes and none is kept (the list
    returned is empty): memory then stays flat however long the list.
    """
    pending = enumerate(subscriptions)
    results: dict[int, DeliveryResult] = {}

    async def worker() -> None:
        for index, subscription in pending:  # shared: each subscription goes to one worker
            result = await _deliver_one(adapter, report, subscription, ledger)
            if on_result is None:
                results[index] = result
            else:
                on_result(result)

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    return [results[i] for i in range(len(results))]


async def _deliver_one(
    adapter: Adapter, report: Report, subscription: Subscription, ledger: Ledger
) -> DeliveryResult:
    try:
        return await deliver(adapter, report, subscription, ledger)
    except Exception as exc:  # planning or the ledger failed: this subscription only
        # In the result, for the caller to show; the traceback only when debugging.
        log.debug("delivery to %s failed", subscription.target, exc_info=True)
        return DeliveryResult(subscription, planned=0, error=f"{type(exc).__name__}: {exc}")


async def _answer(value: T | Awaitable[T]) -> T:
    """A ledger call's answer: given now (a sync ledger) or awaited (``ThreadedLedger``)."""
    return await value if inspect.isawaitable(value) else value  # type: ignore[return-value]


def _check_order(plan: Sequence[OutgoingMessage]) -> None:
    seen: set[str] = set()
    for message in plan:
        if message.key in seen:
            raise ValueError(f"the plan repeats the key {message.key!r}")
        if message.parent is not None and message.parent not in seen:
            raise ValueError(f"{message.key!r} is planned before its parent {message.parent!r}")
        seen.add(message.key)


class _Tally:
    def __init__(self, subscription: Subscription, planned: int) -> None:
        self.subscription = subscription
        self.planned = planned
        self.sent = 0
        self.already_sent = 0

    def done(self, error: DeliveryError | None = None) -> DeliveryResult:
        return DeliveryResult(
            self.subscription,
            planned=self.planned,
            sent=self.sent,
            already_sent=self.already_sent,
            failed=1 if error else 0,
            error=str(error) if error else None,
            errors=(str(error),) if error else (),
            permanent=bool(error and error.permanent),
        )


class MemoryLedger:
    """A ``Ledger`` in a dict, keyed by (day, subscription target)."""

    def __init__(self) -> None:
        self.records: dict[tuple[date, str], dict[str, DeliveryRecord]] = {}

    def entries(self, day: date, subscription: Subscription) -> Mapping[str, DeliveryRecord]:
        return dict(self.records.get((day, subscription.target), {}))

    def begin(
        self, day: date, subscription: Subscription, key: str, *, section: str | None, parent: str | None
    ) -> None:
        entries = self.records.setdefault((day, subscription.target), {})
        attempts = entries[key].attempts if key in entries else 0
        entries[key] = DeliveryRecord(
            day, subscription.id or 0, key, DeliveryStatus.SENDING, section, parent, attempts=attempts + 1
        )

    def sent(self, day: date, subscription: Subscription, key: str, platform_id: str) -> None:
        self._update(day, subscription, key, status=DeliveryStatus.SENT, platform_id=platform_id)

    def failed(self, day: date, subscription: Subscription, key: str, error: str, *, permanent: bool) -> None:
        self._update(day, subscription, key, status=DeliveryStatus.FAILED, error=error, permanent=permanent)

    def _update(self, day: date, subscription: Subscription, key: str, **changes: object) -> None:
        entries = self.records[(day, subscription.target)]
        entries[key] = replace(entries[key], updated_at=datetime.now(UTC), **changes)  # type: ignore[arg-type]


class ThreadedLedger:
    """``base`` (the store's ledger) with every call run in a thread and awaited.

    Each ledger write is a committed transaction; on PostgreSQL a commit waits for the write-ahead
    log to reach the disk (milliseconds). Called directly, that wait would stop the whole event
    loop, and every other delivery of the process with it; in threads, the other deliveries go on
    sending, and the commits of several deliveries share one flush. The order is unchanged: a
    message is still begun (committed) before it is sent, and recorded before the next one.
    """

    def __init__(self, base: Ledger) -> None:
        self.base = base

    def entries(self, day: date, subscription: Subscription) -> Awaitable[Mapping[str, DeliveryRecord]]:
        return asyncio.to_thread(self.base.entries, day, subscription)

    def begin(
        self, day: date, subscription: Subscription, key: str, *, section: str | None, parent: str | None
    ) -> Awaitable[None]:
        return asyncio.to_thread(self.base.begin, day, subscription, key, section=section, parent=parent)

    def sent(self, day: date, subscription: Subscription, key: str, platform_id: str) -> Awaitable[None]:
        return asyncio.to_thread(self.base.sent, day, subscription, key, platform_id)

    def failed(
        self, day: date, subscription: Subscription, key: str, error: str, *, permanent: bool
    ) -> Awaitable[None]:
        return asyncio.to_thread(self.base.failed, day, subscription, key, error, permanent=permanent)


class OverlayLedger(MemoryLedger):
    """Reads ``base`` (only what it holds as sent) and keeps its own writes in memory."""

    def __init__(self, base: Ledger) -> None:
        super().__init__()
        self.base = base

    def entries(self, day: date, subscription: Subscription) -> Mapping[str, DeliveryRecord]:
        if subscription.id is None:
            return super().entries(day, subscription)
        real = self.base.entries(day, subscription)
        sent = {k: e for k, e in real.items() if e.status == DeliveryStatus.SENT}
        return sent | dict(super().entries(day, subscription))
