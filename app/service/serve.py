"""``aidaily serve``: one asyncio process that runs the daily job on schedule, until SIGTERM.

Every instance opens the store (migrating it), starts its extra components, and competes for
leadership (``app/service/leader.py``); the leader runs APScheduler (``schedule.py``) and, on
taking the lead, catches up a day that is due but not done. Any number of instances may run
against one PostgreSQL database: one schedules, and the claim on each (job, day) keeps every day
to one run even when leadership changes hands mid-run.

Components are the other long-running parts (the web app, the Slack and Telegram bots), wired
by the caller: each is an async context manager, or an object with ``async start()`` and
``async stop()``. They start before the scheduler and stop after the last run has drained::

    await serve(settings, components=[web_app, slack_bot])

SIGTERM or SIGINT: the scheduler stops at once (no new runs); the run in flight starts no new
message, and every message it has begun is sent and recorded (within ``AIDAILY_SHUTDOWN_GRACE``
seconds; past that it is cut off and its message stays "sending" in the ledger, sent again next
time); the run is recorded as interrupted, the components stop, and the process exits 0. The
next start resumes the day (within the misfire grace), sending only what the ledger lacks.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any, Protocol

from app.service.daily import DailyJob, Deliver, deliver_in_process
from app.service.leader import lead, leader_lock
from app.service.schedule import clock_for, daily_trigger, scheduling
from core.config import Settings, load_sources
from core.logs import event
from core.store import Store
from core.store.db import redact

log = logging.getLogger(__name__)


class StartStop(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


Component = AbstractAsyncContextManager[Any] | StartStop


async def serve(
    settings: Settings,
    components: Sequence[Component] = (),
    *,
    deliver: Deliver = deliver_in_process,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until ``stop`` is set (SIGTERM and SIGINT set it); see the module docstring."""
    stop = stop or asyncio.Event()
    sources = load_sources(settings.sources_file)
    trigger = daily_trigger(settings)
    with Store.open(settings.database_url) as store, _stopping_on_signals(stop):
        clock = clock_for(settings, trigger)
        job = DailyJob(store, settings, sources, clock, deliver=deliver, stopping=stop)
        event(
            log,
            "service.started",
            instance=job.instance,
            database=redact(store.engine.url),
            schedule=str(trigger),
            components=len(components),
        )
        async with AsyncExitStack() as stack:
            for component in components:
                await stack.enter_async_context(_running(component))

            @asynccontextmanager
            async def leading() -> AsyncIterator[None]:
                grace = settings.misfire_grace
                async with scheduling(store.engine, trigger, job.fire, grace):
                    job.catch_up()
                    yield

            await lead(
                leader_lock(store.engine), retry=settings.leader_retry, stop=stop, while_leading=leading
            )
            await job.drain(settings.shutdown_grace)
        event(log, "service.stopped", instance=job.instance)


@asynccontextmanager
async def _running(component: Component) -> AsyncIterator[None]:
    if isinstance(component, AbstractAsyncContextManager):
        async with component:
            yield
        return
    await component.start()
    try:
        yield
    finally:
        await component.stop()


@contextmanager
def _stopping_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` while the service runs (the loop's handlers, not Python's)."""
    loop = asyncio.get_running_loop()

    def received(sig: signal.Signals) -> None:
        event(log, "service.signal", signal=sig.name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, received, sig)
    try:
        yield
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
