"""The daily job on APScheduler 3: a cron trigger in the report's time zone, jobs kept in our database.

The job is stored by ``SQLAlchemyJobStore`` in ``apscheduler_jobs`` (created by migration 0005),
with ``misfire_grace_time`` (``AIDAILY_MISFIRE_GRACE``), ``coalesce=True`` and ``max_instances=1``:
after downtime, missed firings within the grace collapse into one late run, later ones are
dropped. On start the stored job's pending firing is kept (a plain ``replace_existing`` would move
it to the next future one and lose the missed day); a changed schedule replaces it.

APScheduler pickles jobs into the table, so the job is a reference to ``fire`` with the job's id
as its only argument: no settings, no secrets in the database. The running service registers the
handler for that id while it schedules; ``fire`` looks it up. The claim in the ``runs`` table, not
this module, is what makes a day run once (see ``core/store/runs.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from app.service.clock import Clock, SimulatedClock, WallClock
from core.config import Settings
from core.logs import event

log = logging.getLogger(__name__)
DAILY = "daily"
Handler = Callable[[], Awaitable[None]]

# Job id -> what runs it in this process; filled only while this process leads (see above).
_handlers: dict[str, Handler] = {}


async def fire(job_id: str) -> None:
    """The function APScheduler stores and calls: runs the handler registered for ``job_id``."""
    handler = _handlers.get(job_id)
    if handler is None:
        event(log, "job.unhandled", level=logging.WARNING, job=job_id)
        return
    await handler()


def daily_trigger(settings: Settings) -> CronTrigger:
    """``AIDAILY_SCHEDULE`` (cron with seconds) if set, else every day at the build time."""
    if settings.schedule:
        second, minute, hour, day, month, weekday = settings.schedule.split()
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekday,
            timezone=settings.zone,
        )
    build = settings.build_time
    return CronTrigger(hour=build.hour, minute=build.minute, second=build.second, timezone=settings.zone)


def clock_for(settings: Settings, trigger: CronTrigger) -> Clock:
    if settings.simulate_from is not None and settings.simulate_start is not None:
        return SimulatedClock.from_trigger(
            trigger, settings.simulate_start, settings.simulate_from, settings.zone, settings.build_time
        )
    return WallClock(settings.zone, settings.build_time)


@asynccontextmanager
async def scheduling(
    engine: Engine, trigger: CronTrigger, handler: Handler, misfire_grace: int
) -> AsyncIterator[AsyncIOScheduler]:
    """The scheduler running ``handler`` at ``trigger``'s firings, until the block ends."""
    jobstore = SQLAlchemyJobStore(engine=engine)
    scheduler = AsyncIOScheduler(jobstores={"default": jobstore}, timezone=trigger.timezone)
    pending = _pending_firing(jobstore, trigger)
    scheduler.add_job(
        fire,
        trigger,
        args=[DAILY],
        id=DAILY,
        name=DAILY,
        replace_existing=True,
        misfire_grace_time=misfire_grace,
        coalesce=True,
        max_instances=1,
        **({"next_run_time": pending} if pending else {}),
    )
    _handlers[DAILY] = handler
    scheduler.start()
    job = scheduler.get_job(DAILY)
    event(log, "scheduler.started", job=DAILY, trigger=str(trigger), next_run=str(job.next_run_time))
    try:
        yield scheduler
    finally:
        _handlers.pop(DAILY, None)
        scheduler.shutdown(wait=False)  # runs in flight are the service's to drain
        await asyncio.sleep(0)  # APScheduler defers the shutdown to the loop: let it happen now
        event(log, "scheduler.stopped", job=DAILY)


def _pending_firing(jobstore: SQLAlchemyJobStore, trigger: CronTrigger) -> datetime | None:
    """The stored job's next firing, if it has the same trigger (it may be a missed one)."""
    try:
        stored = jobstore.lookup_job(DAILY)
    except Exception:  # written by another version (unpicklable): replaced below
        log.debug("stored job unreadable", exc_info=True)
        return None
    if stored is None or repr(stored.trigger) != repr(trigger):
        return None
    return stored.next_run_time
