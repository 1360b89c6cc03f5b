"""The daily run: claim the day, fetch, build, deliver to every channel, record what happened.

``DailyJob.fire`` is what the scheduler calls. It runs the day of the latest firing (see
``app/service/clock.py``) if this instance wins the claim on (daily, day) in the ``runs`` table;
a day done already is skipped, and a day being run elsewhere is waited for: if its holder stops
renewing the claim's heartbeat (it died), the claim goes stale after ``AIDAILY_RUN_LEASE``
seconds and this instance takes the day over. While it runs it renews its own heartbeat.

A day's report is built once: a retried run (the first one failed or was interrupted) delivers
the stored report, and the delivery ledger sends only what is missing. Every step logs one
structured event, and the run's summary (articles, topics, items, LLM calls and tokens, messages
per channel, failures, seconds per stage) is stored with it.

Delivery is one replaceable function (``Deliver``): today ``deliver_in_process`` sends to every
registered channel from this process. On ``AIDAILY_WEEKLY_DAY`` the run hands it the week's
digest too (``app.weekly``), for the weekly subscriptions; every other day they get nothing.
A task engine that fans deliveries out to workers (``app.service.queue.deliver_queued``) takes
its place without the rest of the run changing.

Runs are tasks the job tracks, apart from the scheduler's: stopping the scheduler does not cut
a delivery short, and runs go one at a time, each firing with its own day. On SIGTERM
``stopping`` is set: deliveries begin no new message (see ``StoppingLedger``) but finish the
ones in flight; ``drain`` waits for that within the shutdown grace, then cancels what is left.
Either way the run is recorded as failed, "interrupted by shutdown", and the next start
resumes it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from app.building import build_day, ingest_sources
from app.channels import CHANNELS, ChannelRun, deliver_channels
from app.service.clock import Clock, Firing
from app.weekly import digest_ending, is_weekly_day
from core.config import Settings
from core.logs import event
from core.models import (
    ChannelCounts,
    DeliveryRecord,
    Report,
    Run,
    RunStatus,
    RunSummary,
    SourceConfig,
    Subscription,
)
from core.pipeline import BuildResult, IngestResult
from core.store import Store
from delivery.base import DeliveryStopped, Ledger

log = logging.getLogger(__name__)
JOB = "daily"
INTERRUPTED = "interrupted by shutdown"

#: The delivery step: (store, report, settings, stopping) -> what each channel did. ``stopping``
#: is set on SIGTERM: start no new message, finish the ones in flight.
Deliver = Callable[[Store, Report, Settings, asyncio.Event], Awaitable[list[ChannelRun]]]


async def deliver_in_process(
    store: Store, report: Report, settings: Settings, stopping: asyncio.Event
) -> list[ChannelRun]:
    """The report to every confirmed subscription of every channel, from this process."""
    ledger = StoppingLedger(store.ledger, stopping)
    return await deliver_channels(store, report, settings, list(CHANNELS), ledger=ledger)


class ShuttingDown(DeliveryStopped):
    """Raised instead of beginning a message (or waiting for a claim) once the service is stopping."""


class StoppingLedger:
    """The store's ledger, refusing to *begin* a message once ``stopping`` is set.

    ``delivery.dispatch`` begins every message in the ledger before sending it, so this is the
    one place to stop a delivery between messages: a message already begun is sent and recorded
    as usual, the next one is never started, and the subscription's result says why. The next
    run resumes from the ledger.
    """

    def __init__(self, base: Ledger, stopping: asyncio.Event) -> None:
        self._base = base
        self._stopping = stopping
        self._held: set[tuple[date, str]] = set()

    def claim(self, day: date, subscription: Subscription, *, lease: float) -> bool:
        # A new claim is refused (that also ends a wait for another run's); a held one is
        # renewed, so the message in flight keeps its subscription until it is recorded.
        if self._stopping.is_set() and (day, subscription.target) not in self._held:
            raise ShuttingDown(f"{subscription.target} not started: the service is stopping")
        claimed = self._base.claim(day, subscription, lease=lease)
        if claimed:
            self._held.add((day, subscription.target))
        return claimed

    def release(self, day: date, subscription: Subscription) -> None:
        self._held.discard((day, subscription.target))
        self._base.release(day, subscription)

    def entries(self, day: date, subscription: Subscription) -> Mapping[str, DeliveryRecord]:
        return self._base.entries(day, subscription)

    def begin(
        self, day: date, subscription: Subscription, key: str, *, section: str | None, parent: str | None
    ) -> None:
        if self._stopping.is_set():
            raise ShuttingDown(f"{key} not started: the service is stopping")
        self._base.begin(day, subscription, key, section=section, parent=parent)

    def sent(self, day: date, subscription: Subscription, key: str, platform_id: str) -> None:
        self._base.sent(day, subscription, key, platform_id)

    def failed(self, day: date, subscription: Subscription, key: str, error: str, *, permanent: bool) -> None:
        self._base.failed(day, subscription, key, error, permanent=permanent)


def instance_name() -> str:
    """``hostname:pid``: who holds a claim, as ``aidaily runs`` shows it."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(slots=True)
class _Tally:
    """The summary of a run as it accumulates (frozen into ``RunSummary`` at the end)."""

    summary: RunSummary = field(default_factory=RunSummary)

    def add(self, **changes: object) -> None:
        self.summary = dataclasses.replace(self.summary, **changes)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            seconds = round(time.perf_counter() - started, 3)
            self.add(seconds={**self.summary.seconds, stage: seconds})


@dataclass(slots=True)
class DailyJob:
    store: Store
    settings: Settings
    sources: Sequence[SourceConfig]
    clock: Clock
    deliver: Deliver = deliver_in_process
    stopping: asyncio.Event = field(default_factory=asyncio.Event)  # set on SIGTERM
    instance: str = field(default_factory=instance_name)
    _runs: set[asyncio.Task[Run | None]] = field(default_factory=set)
    # One run at a time in this process (a catch-up and a firing may meet): two deliveries at
    # once would share the platforms' rate limits without sharing a pacer.
    _one_at_a_time: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def fire(self) -> None:
        """The scheduler's handler: start the due day's run and return.

        The run is this job's task, not the scheduler's: stopping the scheduler cannot cancel it,
        and a firing that comes while a run is still going is queued with its own day (runs wait
        for each other) instead of being dropped as an instance over ``max_instances``."""
        self.start()

    def start(self) -> asyncio.Task[Run | None]:
        task = asyncio.create_task(self.run_due(), name="daily-run")
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)
        return task

    def catch_up(self) -> asyncio.Task[Run | None] | None:
        """On taking the lead: run the latest day again if it is within the misfire grace
        (a failed or interrupted day resumes; a succeeded one is a no-op, by its claim)."""
        now = self.clock.now()
        firing = self.clock.latest_firing(now)
        if firing is None or now - firing.at > timedelta(seconds=self.settings.misfire_grace):
            return None
        return self.start()

    async def drain(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for runs in flight, then interrupt what is left."""
        if not self._runs:
            return
        event(log, "service.draining", runs=len(self._runs), grace_seconds=grace)
        _, left = await asyncio.wait(set(self._runs), timeout=grace)
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)

    async def run_due(self) -> Run | None:
        now = self.clock.now()
        firing = self.clock.latest_firing(now)  # decided now: a run that waits keeps its day
        if firing is None:
            return None
        async with self._one_at_a_time:
            return await self.run(firing, now)

    async def run(self, firing: Firing, now: datetime) -> Run | None:
        """Run ``firing``'s day if this instance claims it; the finished run, or None if skipped."""
        run = await self._claim(firing)
        if run is None or run.id is None:
            return None
        event(log, "run.started", run_id=run.id, day=firing.day.isoformat(), attempt=run.attempts)
        tally, error = _Tally(), None
        try:
            async with self._heartbeat(run.id):
                error = await self._stages(firing, now, tally, run.id)
        except asyncio.CancelledError:
            self._finish(run, tally, INTERRUPTED)
            raise
        except Exception as exc:
            log.debug("run failed", exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
        return self._finish(run, tally, error)

    async def _claim(self, firing: Firing) -> Run | None:
        """Claim the day; while another instance holds it running, wait for it to finish or for
        its claim to go stale (its process died), then try again."""
        lease = timedelta(seconds=self.settings.run_lease)
        while not self.stopping.is_set():
            now = self.clock.now()
            run = self.store.claim_run(JOB, firing.day, self.instance, now, lease)
            if run is not None:
                return run
            held = self.store.get_run(JOB, firing.day)
            fields = {"day": firing.day.isoformat(), "holder": held.instance if held else None}
            if held is None or held.status is not RunStatus.RUNNING:
                event(log, "run.skipped", status=held.status.value if held else None, **fields)
                return None
            stale_in = (held.heartbeat_at + lease - now).total_seconds()
            event(log, "run.waiting", stale_in_seconds=round(stale_in, 1), **fields)
            with suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), max(stale_in, 0.0) + 0.1)
        return None

    def _finish(self, run: Run, tally: _Tally, error: str | None) -> Run | None:
        assert run.id is not None
        recorded = self.store.finish_run(run.id, self.instance, self.clock.now(), tally.summary, error)
        level = logging.INFO if error is None else logging.ERROR
        fields = {"run_id": run.id, "day": run.day.isoformat(), "error": error, "recorded": recorded}
        event(log, "run.finished", level=level, status="failed" if error else "succeeded", **fields)
        return self.store.get_run(JOB, run.day)

    async def _stages(self, firing: Firing, now: datetime, tally: _Tally, run_id: int) -> str | None:
        day = firing.day.isoformat()
        report = self.store.get_report(firing.day)
        if report is None:  # a retried run delivers the report built the first time
            with tally.timed("fetch"):
                ingested = await ingest_sources(self.store, self.settings, self.sources)
            _record_ingest(tally, ingested, run_id, day)
            with tally.timed("build"):
                built = await build_day(
                    self.store, self.settings, firing.day, self.clock.build_now(firing, now)
                )
            _record_build(tally, built, run_id, day)
            report = built.report
        else:
            tally.add(topics=report.topics_count, items=len(report.items))
            event(log, "run.report_reused", run_id=run_id, day=day)
        started = datetime.now(UTC)  # the ledger's clock: it says what this run sent
        with tally.timed("deliver"):
            channels = await self.deliver(self.store, report, self.settings, self.stopping)
            channels += await self._deliver_weekly(firing.day, run_id)
        counts = self.store.delivery_counts(firing.day, started)
        error = _record_delivery(tally, channels, counts, run_id, day)
        return f"{INTERRUPTED}: {error}" if error and self.stopping.is_set() else error

    async def _deliver_weekly(self, day: date, run_id: int) -> list[ChannelRun]:
        """On the weekly day, the digest of the week ending ``day`` to the weekly subscriptions;
        the day's claim and the ledger (keys ``weekly/...``) keep it to once a week."""
        if not is_weekly_day(self.settings, day):
            return []
        digest = digest_ending(self.store, self.settings, day)
        if digest is None:
            return []
        event(log, "run.weekly", run_id=run_id, day=day.isoformat(), items=len(digest.items))
        return await self.deliver(self.store, digest, self.settings, self.stopping)

    @asynccontextmanager
    async def _heartbeat(self, run_id: int) -> AsyncIterator[None]:
        beats = asyncio.create_task(self._beat(run_id, self.settings.run_lease / 4))
        try:
            yield
        finally:
            beats.cancel()
            with suppress(asyncio.CancelledError):
                await beats

    async def _beat(self, run_id: int, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            held = await asyncio.to_thread(self.store.heartbeat_run, run_id, self.instance, self.clock.now())
            if not held:
                event(log, "run.claim_lost", level=logging.WARNING, run_id=run_id)
                return


def _record_ingest(tally: _Tally, ingested: IngestResult, run_id: int, day: str) -> None:
    failed = tuple(f"{f.source}: {f.error}" for f in ingested.failed)
    tally.add(
        articles_fetched=ingested.parsed_articles, articles_new=ingested.new_articles, failed_feeds=failed
    )
    event(
        log,
        "run.fetched",
        run_id=run_id,
        day=day,
        feeds=len(ingested.feeds),
        failed_feeds=len(failed),
        articles=ingested.parsed_articles,
        new_articles=ingested.new_articles,
        seconds=tally.summary.seconds.get("fetch"),
    )


def _record_build(tally: _Tally, built: BuildResult, run_id: int, day: str) -> None:
    report = built.report
    tally.add(topics=report.topics_count, items=len(report.items), llm=built.stats)
    event(
        log,
        "run.built",
        run_id=run_id,
        day=day,
        topics=report.topics_count,
        items=len(report.items),
        llm_calls=built.stats.calls,
        tokens_in=built.stats.tokens_in,
        tokens_out=built.stats.tokens_out,
        cache_hits=built.stats.cache_hits,
        fallbacks=built.stats.fallbacks,
        seconds=tally.summary.seconds.get("build"),
    )


def _record_delivery(
    tally: _Tally, channels: list[ChannelRun], counts: dict[str, ChannelCounts], run_id: int, day: str
) -> str | None:
    """Record each channel's messages (counted in the ledger: a delivery stopped half-way still
    counts what it sent); the run's error if any delivery may still succeed when retried."""
    failures: list[str] = []
    retryable = 0
    for run in channels:
        name = run.channel.value
        counts.setdefault(name, ChannelCounts())
        if run.error or run.stopped:
            failures.append(f"{name}: {run.error}" if run.error else f"{name}: stopped: {run.stopped}")
            retryable += 1
        for result in (r for r in run.results if r.error or not r.complete):
            failures.append(f"{result.subscription.target}: {result.error}")
            retryable += not result.permanent
        fields = dataclasses.asdict(counts[name]) | {"dry_run": run.dry_run_reason}
        event(log, "run.delivered", run_id=run_id, day=day, channel=name, **fields)
    tally.add(messages=counts, failed_channels=tuple(failures))
    return f"{retryable} deliveries incomplete" if retryable else None
