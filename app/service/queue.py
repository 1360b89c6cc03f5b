"""Delivery fan-out on a task queue: procrastinate on the store's own PostgreSQL database.

Why procrastinate: the store already is PostgreSQL wherever more than one machine delivers, so
the queue lives in the same database as the delivery ledger: no broker to run, one backup, one
thing to monitor. It wakes workers with LISTEN/NOTIFY, retries with backoff, serialises jobs
that share a lock, refuses a second waiting job with the same queueing lock, and keeps worker
heartbeats, from which ``app.service.worker`` recovers the jobs of a worker that died.

How a day's delivery runs (``enqueue_fanout``, then ``aidaily worker`` on any number of machines):

1. ``enqueue_fanout(settings, day, channels)`` defers one ``fan_out`` job per channel, on the
   queue named after the channel (``email``, ``slack``, ``telegram``), with the queueing lock
   ``fanout:<day>:<channel>``: while one is waiting, enqueuing it again is a no-op.
2. ``fan_out`` pages through the confirmed subscriptions of the channel (keyset pages of the
   store) and defers one ``deliver_batch`` job per page of ``AIDAILY_QUEUE_EMAIL_BATCH`` (email)
   or ``AIDAILY_QUEUE_CHAT_BATCH`` (Slack, Telegram: paced per chat, so smaller pages spread
   better over workers) subscription ids. Fan-outs of one day and channel share a lock, so they
   never run at once; and one that finds batches of that day and channel still waiting or
   running defers nothing, since those batches will deliver everything. So the batches in
   flight for a day and channel never overlap: no subscription is served by two workers at once.
3. ``deliver_batch`` delivers its subscriptions with ``delivery.dispatch.deliver_all`` and the
   store's ledger, through adapters the worker opened once (``Resources.adapter``). Each batch
   also holds the lock ``deliver:<day>:<channel>:<first id>``. A batch with a subscription that
   failed for a reason that may pass (a timeout, a 5xx, flood control) raises ``BatchIncomplete``
   and is retried with backoff (5 s, 25 s, 125 s, 625 s); the ledger makes the retry send only
   what is missing. Permanent failures (bot removed, address bounced) are recorded, not retried.

A weekly digest goes the same way with ``cadence="weekly"``: its fan-out pages through the weekly
subscriptions only (a daily one the daily subscriptions only), its locks carry ``:weekly``, and
each batch rebuilds the digest from the stored reports (``app.weekly``).

A worker that dies mid-batch (SIGKILL, a lost machine) leaves its job ``doing``; once its
heartbeat is ``AIDAILY_WORKER_STALLED_SECONDS`` old, a surviving worker sets the job back to
``todo`` and it runs again: what the ledger holds as sent is skipped; a message that was in
flight (``sending``) is sent again, the one duplicate ``delivery.dispatch`` describes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from app.channels import CHANNELS, ChannelRun, ledger_policy, missing_token
from app.weekly import digest_ending
from core.config import Settings
from core.logs import event
from core.models import Cadence, Channel, Report, Subscription, SubscriptionStatus
from core.store import Store
from delivery.base import Adapter, DeliveryResult
from delivery.dispatch import ThreadedLedger, deliver_all

log = logging.getLogger(__name__)

FAN_OUT = "fan_out"
DELIVER_BATCH = "deliver_batch"
#: Backoff of a batch that failed (total_wait = 5 ** (attempt + 1)): 5 s, 25 s, 125 s, 625 s.
BATCH_RETRY = RetryStrategy(max_attempts=4, exponential_wait=5)
SQLITE_ERROR = (
    "delivery workers need PostgreSQL (AIDAILY_DATABASE_URL=postgresql+psycopg://...);"
    " on SQLite `aidaily deliver` delivers in process"
)


class QueueUnavailable(ValueError):
    """The configured database cannot hold the queue (SQLite); the message is one line."""


class BatchIncomplete(Exception):
    """Some subscriptions of a batch failed for a reason that may pass: retry the batch."""


@dataclass(frozen=True, slots=True)
class Resources:
    """What a worker process opens once and every job it runs shares (``additional_context``)."""

    settings: Settings
    store: Store
    adapter: Callable[[Channel], Awaitable[Adapter]]  # the channel's adapter, opened on first use


@dataclass(frozen=True, slots=True)
class Enqueued:
    """One channel's answer to ``enqueue_fanout``."""

    channel: Channel
    queued: bool  # False: not queued now (see ``reason``)
    reason: str | None = None  # "already queued", or why the channel cannot send


def conninfo(database_url: str) -> str:
    """The libpq connection string for a SQLAlchemy PostgreSQL URL (query options, such as a
    ``-csearch_path=...`` in ``options``, are kept); ``QueueUnavailable`` for SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() not in ("postgresql", "postgres"):
        raise QueueUnavailable(SQLITE_ERROR)
    parts = {"host": url.host, "port": url.port, "dbname": url.database, "user": url.username}
    parts["password"] = url.password
    query = {key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()}
    return make_conninfo("", **{k: v for k, v in parts.items() if v is not None}, **query)


def make_app(settings: Settings, *, connections: int = 4) -> App:
    """A procrastinate ``App`` on the store's database with our two tasks registered."""
    connector = PsycopgConnector(
        conninfo=conninfo(settings.database_url),
        min_size=1,
        max_size=connections,
        kwargs={"application_name": "aidaily-queue"},
    )
    app = App(connector=connector)
    app.task(name=FAN_OUT, pass_context=True, retry=BATCH_RETRY)(fan_out)
    app.task(name=DELIVER_BATCH, pass_context=True, retry=BATCH_RETRY)(deliver_batch)
    return app


async def enqueue_fanout(
    settings: Settings, report_date: date, channels: Sequence[Channel], cadence: Cadence = Cadence.DAILY
) -> list[Enqueued]:
    """Queue the delivery of the report of ``report_date`` to every confirmed subscription of
    ``channels``; what the scheduled daily job calls instead of delivering in process. A channel
    without its token is not queued (dry runs deliver in process: ``aidaily deliver --dry-run``)."""
    app = make_app(settings, connections=1)
    async with app.open_async():
        return [await _enqueue_one(app, settings, report_date, channel, cadence) for channel in channels]


def _suffix(cadence: str) -> str:
    """Lock names: a day's daily fan-out keeps the names it always had; a weekly one its own."""
    return "" if cadence == Cadence.DAILY.value else f":{cadence}"


async def _enqueue_one(
    app: App, settings: Settings, day: date, channel: Channel, cadence: Cadence
) -> Enqueued:
    if reason := missing_token(settings, channel):
        return Enqueued(channel, queued=False, reason=reason)
    key = f"fanout:{day.isoformat()}:{channel.value}{_suffix(cadence.value)}"
    deferrer = app.configure_task(FAN_OUT, queue=channel.value, lock=key, queueing_lock=key)
    try:
        await deferrer.defer_async(report_date=day.isoformat(), channel=channel.value, cadence=cadence.value)
    except AlreadyEnqueued:
        return Enqueued(channel, queued=False, reason="already queued")
    return Enqueued(channel, queued=True)


def _resources(context: JobContext) -> Resources:
    resources = context.additional_context.get("resources")
    if not isinstance(resources, Resources):
        raise RuntimeError("delivery jobs run in `aidaily worker`, which provides their resources")
    return resources


async def fan_out(context: JobContext, report_date: str, channel: str, cadence: str = "daily") -> int:
    """Defer the batches of one day, channel and cadence; returns how many (0 while some are in
    flight)."""
    resources, day, wanted = _resources(context), date.fromisoformat(report_date), Channel(channel)
    # A retried fan-out (it died half-way) must finish its own work, whose batches are in flight.
    first_attempt = not context.job.attempts
    if first_attempt and await _batches_in_flight(context.app, report_date, channel, cadence):
        log.info("%s %s: batches of an earlier fan-out are still in flight; nothing to add", day, channel)
        return 0
    size = _batch_size(resources.settings, wanted)
    subscriptions = resources.store.iter_subscriptions(
        wanted, SubscriptionStatus.CONFIRMED, page=size, cadence=Cadence(cadence)
    )
    count = 0
    for batch in _chunks((s.id for s in subscriptions if s.id is not None), size):
        count += await _defer_batch(context.app, report_date, channel, batch, cadence)
    log.info("%s %s %s: %d batches queued", day, channel, cadence, count)
    return count


async def _defer_batch(app: App, report_date: str, channel: str, batch: list[int], cadence: str) -> int:
    lock = f"deliver:{report_date}:{channel}:{batch[0]}{_suffix(cadence)}"
    deferrer = app.configure_task(DELIVER_BATCH, queue=channel, lock=lock, queueing_lock=lock)
    try:
        await deferrer.defer_async(
            report_date=report_date, channel=channel, subscription_ids=batch, cadence=cadence
        )
    except AlreadyEnqueued:  # deferred by this fan-out's earlier attempt and still waiting
        return 0
    return 1


async def _batches_in_flight(app: App, report_date: str, channel: str, cadence: str) -> bool:
    def same(kwargs: dict[str, Any]) -> bool:
        return kwargs.get("report_date") == report_date and kwargs.get("cadence", "daily") == cadence

    for status in ("todo", "doing"):
        jobs = await app.job_manager.list_jobs_async(task=DELIVER_BATCH, queue=channel, status=status)
        if any(same(job.task_kwargs) for job in jobs):
            return True
    return False


def _batch_size(settings: Settings, channel: Channel) -> int:
    return settings.queue_email_batch if channel == Channel.EMAIL else settings.queue_chat_batch


def _chunks(ids: Iterator[int], size: int) -> Iterator[list[int]]:
    while batch := list(islice(ids, size)):
        yield batch


async def deliver_batch(
    context: JobContext, report_date: str, channel: str, subscription_ids: list[int], cadence: str = "daily"
) -> dict[str, int]:
    """Deliver the report of ``report_date`` (or the weekly digest ending then) to these
    subscriptions (those still confirmed)."""
    resources, day = _resources(context), date.fromisoformat(report_date)
    if cadence == Cadence.WEEKLY.value:
        report = digest_ending(resources.store, resources.settings, day)
    else:
        report = resources.store.get_report(day)
    if report is None:
        raise LookupError(f"no report for {day}: was it removed after the fan-out?")
    subscriptions = _still_confirmed(resources.store.subscriptions_by_id(subscription_ids))
    adapter = await resources.adapter(Channel(channel))
    concurrency = _concurrency(resources.settings, Channel(channel), len(subscriptions))
    # Commits in threads: a PostgreSQL commit waits for the disk, and must not stop the loop.
    ledger = ThreadedLedger(resources.store.ledger)
    policy = ledger_policy(resources.settings)
    results = await deliver_all(
        adapter, report, subscriptions, ledger, concurrency=concurrency, policy=policy
    )
    return batch_outcome(results)


def _still_confirmed(subscriptions: list[Subscription]) -> list[Subscription]:
    # Someone may have unsubscribed (or bounced) between the fan-out and this batch.
    return [s for s in subscriptions if s.status == SubscriptionStatus.CONFIRMED]


def _concurrency(settings: Settings, channel: Channel, size: int) -> int:
    # Email: enough sends in flight to keep every pooled SMTP connection busy. Slack and
    # Telegram pace each chat on its own, so every chat of the batch may wait at once.
    if channel == Channel.EMAIL:
        return settings.smtp_connections * 2
    return max(1, size)


def batch_outcome(results: list[DeliveryResult]) -> dict[str, Any]:
    """Counts for the job's result; ``BatchIncomplete`` when a retry may finish the batch."""
    counts = {
        "subscriptions": len(results),
        "sent": sum(r.sent for r in results),
        "already_sent": sum(r.already_sent for r in results),
        "failed_permanently": sum(1 for r in results if not r.complete and r.permanent),
    }
    halted = next((r for r in results if r.halt), None)
    if halted is not None:  # the rest of the batch was never tried: not done, whatever else
        raise BatchIncomplete(f"stopped at {halted.subscription.target}: {halted.error}; {counts}")
    transient = [r for r in results if not r.complete and not r.permanent]
    if transient:
        first = transient[0]
        raise BatchIncomplete(
            f"{len(transient)} of {len(results)} subscriptions unfinished"
            f" (first: {first.subscription.target}: {first.error}); {counts}"
        )
    return counts


async def deliver_queued(
    store: Store, report: Report, settings: Settings, stopping: asyncio.Event
) -> list[ChannelRun]:
    """The daily job's delivery when ``AIDAILY_DELIVERY_MODE=queue``: the fan-out is enqueued for
    the workers (``aidaily worker``) and nothing is sent from the service itself, so the run's
    summary counts no messages; what the workers send shows in ``aidaily deliveries``. A channel
    without its token is not queued, and the log says why."""
    enqueued = await enqueue_fanout(settings, report.date, list(CHANNELS), report.cadence)
    for answer in enqueued:
        fields = {"queued": answer.queued, "reason": answer.reason, "cadence": report.cadence.value}
        event(log, "run.enqueued", channel=answer.channel.value, **fields)
    return [ChannelRun(answer.channel) for answer in enqueued]
