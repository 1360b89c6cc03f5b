"""Delivering a report: walk an adapter's plan, send what the ledger lacks, in order, once.

``deliver(adapter, report, subscription, ledger)`` serves one subscription:

1. ``adapter.plan(report, subscription)`` lists every message that should exist, parents first,
   of the report as the subscription receives it: the items its keyword rules allow
   (``core.rules.view_for``, which counts the others for the header's "3 items filtered by
   your rules"); a weekly subscription gets nothing of a daily report and a daily one nothing
   of a weekly digest, whose messages are keyed ``weekly/...`` in the ledger, apart from the
   same day's daily report;
2. the subscription's day is claimed for this run (``delivery.holding.held``): while another
   live run holds it, this one waits, so two runs of one day never serve one subscription at
   once; a dead holder's claim is taken over once its lease has run out;
3. messages the ledger holds as ``sent`` are skipped, and their platform ids kept, so a reply
   planned under an already-sent parent still lands in the right thread;
4. each other message is marked ``sending`` in the ledger (committed), sent with its parent's
   platform id, and its own platform id is recorded (committed) the moment the send returns;
5. the first failure is recorded and ends this subscription's run: a later message must not
   overtake it, and a parent that failed has nowhere for its replies to go. A permanent
   failure (channel gone, bot removed) says so in the result; the next run tries again anyway,
   because a bot can be invited back.

``deliver_all`` serves many subscriptions at once (a few at a time); one that fails, even with
an unexpected exception, becomes a failed ``DeliveryResult`` and the others go on. A failure
that is not the subscription's own (``halt``: the SMTP server refused the message itself) stops
the run: no further subscription is started. A ledger that cannot be read or written is
retried with backoff (``LedgerPolicy.retry``); a subscription it still fails is reported as
failed, never as delivered.

**Crash safety.** Neither Slack nor Telegram takes an idempotency key, so there is one window
in which a message can exist without the ledger knowing: after the platform accepted it and
before the ``sent`` row is committed (the response's trip back and one small local write,
milliseconds). A crash there leaves the row ``sending``; the next run cannot tell whether it
arrived, sends it again (a duplicate is better than a hole in the thread) and logs a warning;
``aidaily deliveries`` shows such a message with attempts > 1. Recording a message the platform
accepted is therefore retried for as long as the claim's lease, not just ``policy.retry``: a
database away for a few seconds must not turn into that duplicate. Everything before the send
is only planning; everything after the commit is known.

``MemoryLedger`` keeps a ledger in memory (tests); ``OverlayLedger`` reads a real ledger but
writes nowhere else, which is what a dry run needs: it shows exactly the calls a real run would
make now, without making the real run skip them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from core.models import Cadence, DeliveryRecord, DeliveryStatus, Report, Subscription
from core.rules import view_for
from delivery.base import Adapter, DeliveryError, DeliveryResult, DeliveryStopped, Ledger, OutgoingMessage
from delivery.holding import LedgerFailure, LedgerPolicy, held, use

log = logging.getLogger(__name__)
DEFAULT_POLICY = LedgerPolicy()


async def deliver(
    adapter: Adapter,
    report: Report,
    subscription: Subscription,
    ledger: Ledger,
    policy: LedgerPolicy = DEFAULT_POLICY,
) -> DeliveryResult:
    """Send what is missing of ``report`` to ``subscription``; see the module docstring.
    ``LedgerFailure`` if the ledger failed (``deliver_all`` retries it)."""
    if subscription.cadence is not report.cadence:  # not its kind of report: nothing to send
        return DeliveryResult(subscription, planned=0)
    plan = _keyed(report.cadence, adapter.plan(view_for(report, subscription), subscription))
    _check_order(plan)
    tally = _Tally(subscription, planned=len(plan))
    try:
        async with held(ledger, report.date, subscription, policy):
            error = await _walk(adapter, report.date, subscription, plan, ledger, tally, policy)
    except LedgerFailure as exc:
        raise LedgerFailure(exc.cause, planned=tally.planned, sent=tally.sent) from exc.cause
    return tally.done(error)


async def _walk(
    adapter: Adapter,
    day: date,
    subscription: Subscription,
    plan: Sequence[OutgoingMessage],
    ledger: Ledger,
    tally: _Tally,
    policy: LedgerPolicy,
) -> DeliveryError | None:
    known = await use(lambda: ledger.entries(day, subscription))
    ids = {
        key: e.platform_id for key, e in known.items() if e.status == DeliveryStatus.SENT and e.platform_id
    }
    for message in plan:
        if message.key in ids:
            tally.already_sent += 1
            continue
        if (entry := known.get(message.key)) and entry.status == DeliveryStatus.SENDING:
            log.warning(
                "%s %s was in flight when a run stopped; sending it again", subscription.target, message.key
            )
        error = await _send_one(adapter, day, subscription, message, ids, ledger, policy)
        if error is not None:
            return error
        tally.sent += 1
    return None


async def _send_one(
    adapter: Adapter,
    day: date,
    subscription: Subscription,
    message: OutgoingMessage,
    ids: dict[str, str],
    ledger: Ledger,
    policy: LedgerPolicy,
) -> DeliveryError | None:
    parent_id = ids[message.parent] if message.parent else None
    await use(
        lambda: ledger.begin(day, subscription, message.key, section=message.section, parent=message.parent)
    )
    try:
        platform_id = await adapter.send(message, subscription, parent_id)
    except DeliveryError as exc:
        failure = exc  # the lambda runs now, but ``exc`` is unbound after the handler
        await use(
            lambda: ledger.failed(day, subscription, message.key, str(failure), permanent=failure.permanent)
        )
        return failure
    except Exception as exc:  # a bug or an unmapped client error: recorded, never lost
        error = f"{type(exc).__name__}: {exc}"
        await use(lambda: ledger.failed(day, subscription, message.key, error, permanent=False))
        return DeliveryError(error)
    await _record_sent(ledger, day, subscription, message.key, platform_id, policy)
    ids[message.key] = platform_id
    return None


async def _record_sent(
    ledger: Ledger, day: date, subscription: Subscription, key: str, platform_id: str, policy: LedgerPolicy
) -> None:
    """Record a message the platform accepted, before anything else happens. Given up, its row
    stays ``sending`` and the next run sends it again; so it is retried for the lease (within
    it no other run resends it), not only for ``policy.retry``. A ledger that commits in a
    thread (ThreadedLedger) finishes the commit even if this task is cancelled while it waits."""
    backoff = policy.backoff(max(policy.lease, policy.retry))
    while True:
        try:
            await use(lambda: ledger.sent(day, subscription, key, platform_id))
            return
        except LedgerFailure as exc:
            if not await backoff.wait():
                log.error(
                    "%s %s was sent as %s but not recorded: %s", subscription.target, key, platform_id, exc
                )
                raise
            log.warning("%s %s sent; recording it failed, retrying: %s", subscription.target, key, exc)


async def deliver_all(
    adapter: Adapter,
    report: Report,
    subscriptions: Iterable[Subscription],
    ledger: Ledger,
    *,
    concurrency: int = 4,
    on_result: Callable[[DeliveryResult], None] | None = None,
    policy: LedgerPolicy = DEFAULT_POLICY,
) -> list[DeliveryResult]:
    """``deliver`` to each subscription, ``concurrency`` at a time; results in the same order.

    ``subscriptions`` is consumed lazily by ``concurrency`` workers, so a paged iterator over a
    long list is never held in memory whole, and only ``concurrency`` deliveries exist at once.
    With ``on_result``, each result is handed to it as it comes and none is kept (the list
    returned is empty): memory then stays flat however long the list. After a result with
    ``halt``, no further subscription is started (those in flight finish).
    """
    pending = enumerate(subscriptions)
    results: dict[int, DeliveryResult] = {}
    halted: list[DeliveryResult] = []
    broken: list[Exception] = []  # the subscriptions could not be read (a page of the store)

    async def worker() -> None:
        while not halted and not broken and (taken := _next(pending, broken)) is not None:
            index, subscription = taken  # shared: each subscription goes to one worker
            result = await _deliver_one(adapter, report, subscription, ledger, policy)
            if result.halt:
                halted.append(result)
            if on_result is None:
                results[index] = result
            else:
                on_result(result)

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    if broken:  # after the others finished what they had begun
        raise broken[0]
    return [results[i] for i in sorted(results)]


def _next(
    pending: Iterator[tuple[int, Subscription]], broken: list[Exception]
) -> tuple[int, Subscription] | None:
    try:
        return next(pending)
    except StopIteration:
        return None
    except Exception as exc:
        broken.append(exc)
        return None


async def _deliver_one(
    adapter: Adapter, report: Report, subscription: Subscription, ledger: Ledger, policy: LedgerPolicy
) -> DeliveryResult:
    """``deliver``, retried with backoff while the ledger fails; any failure as a result."""
    backoff, sent = policy.backoff(), 0
    while True:
        try:
            return await deliver(adapter, report, subscription, ledger, policy)
        except LedgerFailure as exc:
            sent += exc.sent
            if not await backoff.wait():
                error = f"the delivery ledger failed: {exc}"
                return DeliveryResult(subscription, planned=exc.planned, sent=sent, failed=1, error=error)
            log.info("%s: the ledger failed (%s); trying again", subscription.target, exc)
        except (DeliveryStopped, Exception) as exc:  # planning failed, or the run is stopping
            # In the result, for the caller to show; the traceback only when debugging.
            log.debug("delivery to %s failed", subscription.target, exc_info=True)
            return DeliveryResult(subscription, planned=0, failed=1, error=f"{type(exc).__name__}: {exc}")


def _keyed(cadence: Cadence, plan: list[OutgoingMessage]) -> list[OutgoingMessage]:
    """A weekly digest's keys ``weekly/header``, ``weekly/section:research``...: a subscription
    that had the day's daily report (before it turned weekly) still gets the digest, once."""
    if cadence is Cadence.DAILY:
        return plan
    prefix = f"{cadence.value}/"
    return [replace(m, key=prefix + m.key, parent=m.parent and prefix + m.parent) for m in plan]


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
            halt=bool(error and error.halt),
        )


class MemoryLedger:
    """A ``Ledger`` in a dict, keyed by (day, subscription target). It lives in one process,
    where ``deliver_all`` serves each subscription once: its claims always succeed."""

    def __init__(self) -> None:
        self.records: dict[tuple[date, str], dict[str, DeliveryRecord]] = {}

    def claim(self, day: date, subscription: Subscription, *, lease: float) -> bool:
        return True

    def release(self, day: date, subscription: Subscription) -> None:
        pass

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

    def claim(self, day: date, subscription: Subscription, *, lease: float) -> Awaitable[bool]:
        return asyncio.to_thread(self.base.claim, day, subscription, lease=lease)

    def release(self, day: date, subscription: Subscription) -> Awaitable[None]:
        return asyncio.to_thread(self.base.release, day, subscription)

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
    """Reads ``base`` (only what it holds as sent) and keeps its own writes, and its claims, in
    memory: a dry run neither waits for a real run nor makes one wait."""

    def __init__(self, base: Ledger) -> None:
        super().__init__()
        self.base = base

    def entries(self, day: date, subscription: Subscription) -> Mapping[str, DeliveryRecord]:
        if subscription.id is None:
            return super().entries(day, subscription)
        real = self.base.entries(day, subscription)
        sent = {k: e for k, e in real.items() if e.status == DeliveryStatus.SENT}
        return sent | dict(super().entries(day, subscription))
