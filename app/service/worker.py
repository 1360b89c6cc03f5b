"""``aidaily worker``: run delivery jobs from the queue (``app.service.queue``) until stopped.

Setup: every machine that delivers runs ``aidaily worker`` (under systemd, one unit per process)
with the same ``AIDAILY_DATABASE_URL`` (PostgreSQL) and the channel settings (tokens, SMTP) of
the channels it serves; ``--queue email`` (repeatable) limits a worker to some channels, for
example to the machines allowed to reach the SMTP relay. ``aidaily deliver --queue`` (or the
scheduled daily job) enqueues a day's fan-out; idle workers wake at once (LISTEN/NOTIFY).

Behaviour:

- up to ``--concurrency`` (``AIDAILY_WORKER_CONCURRENCY``) batches at once, in one event loop;
- each channel's adapter (the SMTP connection pool, the Slack client, the Telegram bot) is
  opened on the first batch of that channel and reused by every later batch of the process;
- SIGTERM or SIGINT stops fetching jobs, lets the batches in flight finish, closes the
  connections and exits 0 (procrastinate's graceful shutdown); a second signal ends it at once,
  and its unfinished batches are then recovered like a dead worker's;
- a heartbeat every third of ``AIDAILY_WORKER_STALLED_SECONDS``; twice in that time each worker
  also looks for jobs whose worker's heartbeat is older than that (killed, frozen, its machine
  gone) and sets them back to ``todo``, so another worker runs them again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterable, Mapping
from contextlib import AsyncExitStack

from procrastinate import App
from procrastinate.exceptions import ConnectorException

from app.channels import CHANNELS, OpenAdapter
from app.service.queue import DELIVER_BATCH, FAN_OUT, Resources, make_app
from core.config import Settings
from core.models import Channel
from core.store import Store
from delivery.base import Adapter

log = logging.getLogger(__name__)


class OpenAdapters:
    """Each channel's adapter, opened on first use and kept open until ``aclose``."""

    def __init__(self, settings: Settings, openers: Mapping[Channel, OpenAdapter]) -> None:
        self._settings = settings
        self._openers = openers
        self._open: dict[Channel, Adapter] = {}
        self._stack = AsyncExitStack()
        self._lock = asyncio.Lock()  # two batches of a new channel at once open it once
        self.opened = 0  # adapters opened, for tests: one per channel per process

    async def __call__(self, channel: Channel) -> Adapter:
        async with self._lock:
            if channel not in self._open:
                opening = self._openers[channel](self._settings, None)
                self._open[channel] = await self._stack.enter_async_context(opening)
                self.opened += 1
            return self._open[channel]

    async def aclose(self) -> None:
        await self._stack.aclose()


def configure_logging() -> None:
    """Job starts, ends and recoveries on stderr. httpx stays at warnings: it logs each request's
    URL, and the Telegram Bot API carries the bot token in the URL."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def default_openers() -> dict[Channel, OpenAdapter]:
    """The adapters of the channel registry, built from settings (``app.channels``)."""
    return {channel: wiring.open for channel, wiring in CHANNELS.items()}


async def run_worker(
    settings: Settings,
    *,
    concurrency: int | None = None,
    queues: Iterable[Channel] | None = None,
    openers: Mapping[Channel, OpenAdapter] | None = None,
) -> None:
    """Run delivery jobs until SIGTERM/SIGINT; see the module docstring."""
    concurrency = concurrency or settings.worker_concurrency
    app = make_app(settings, connections=concurrency + 3)  # + listener, heartbeat, recovery
    adapters = OpenAdapters(settings, openers or default_openers())
    with Store.open(settings.database_url) as store:
        resources = Resources(settings, store, adapters)
        async with app.open_async():
            recovery = asyncio.create_task(recover_stalled(app, settings.worker_stalled_seconds))
            try:
                await app.run_worker_async(**_worker_options(settings, concurrency, queues, resources))
            finally:
                recovery.cancel()
                await adapters.aclose()


def _worker_options(
    settings: Settings, concurrency: int, queues: Iterable[Channel] | None, resources: Resources
) -> dict[str, object]:
    stalled = settings.worker_stalled_seconds
    return {
        "name": f"aidaily@{socket.gethostname()}:{os.getpid()}",
        "concurrency": concurrency,
        "queues": [q.value for q in queues] if queues else None,
        "additional_context": {"resources": resources},
        "update_heartbeat_interval": stalled / 3,
        "stalled_worker_timeout": stalled,
        "delete_jobs": "successful",  # finished batches leave no rows; failed ones stay to inspect
        "shutdown_graceful_timeout": None,  # SIGTERM: the batches in flight finish, however long
    }


async def recover_stalled(app: App, stalled_seconds: float) -> None:
    """Forever: every half of ``stalled_seconds``, run again the jobs of silent workers."""
    while True:
        await asyncio.sleep(stalled_seconds / 2)
        try:
            recovered = await retry_stalled(app, stalled_seconds)
        except ConnectorException as exc:  # the database is away for a moment: next round
            log.warning("looking for stalled delivery jobs failed: %s", exc)
            continue
        if recovered:
            log.warning("%d delivery jobs of a silent worker set to run again", recovered)


async def retry_stalled(app: App, stalled_seconds: float) -> int:
    """Set the delivery jobs of workers silent for ``stalled_seconds`` back to ``todo``."""
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds)
    recovered = 0
    for job in stalled:
        if job.task_name not in (FAN_OUT, DELIVER_BATCH):
            continue
        try:
            await app.job_manager.retry_job(job)
        except ConnectorException:  # another worker recovered it first
            continue
        recovered += 1
    return recovered
