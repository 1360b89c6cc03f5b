"""``serve()`` in process: extra components live exactly as long as the service, around the schedule."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.service.schedule import DAILY
from app.service.serve import serve
from core.config import load_settings
from core.store import Store
from core.store.tables import SchedulerJobRow

pytestmark = pytest.mark.usefixtures("clean_settings_env")


def test_components_start_before_the_schedule_and_stop_after_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'aidaily.db'}"
    # The build time an hour ago and a one-second grace: no run is due while the test lasts.
    an_hour_ago = (datetime.now(load_settings().zone) - timedelta(hours=1)).time().replace(microsecond=0)
    settings = load_settings(database_url=url, build_time=an_hour_ago, misfire_grace=1, leader_retry=0.05)
    seen: list[str] = []

    class WebApp:  # the start()/stop() kind
        async def start(self) -> None:
            seen.append("web started")

        async def stop(self) -> None:
            seen.append(f"web stopped, scheduled: {_scheduled(url)}")

    @asynccontextmanager
    async def bot():  # the async context manager kind
        seen.append("bot started")
        yield
        seen.append("bot stopped")

    async def scenario() -> None:
        stop = asyncio.Event()
        service = asyncio.create_task(serve(settings, components=[WebApp(), bot()], stop=stop))
        while not _scheduled(url):
            await asyncio.sleep(0.05)
        seen.append("scheduling")
        stop.set()
        await asyncio.wait_for(service, 10)

    asyncio.run(scenario())
    assert seen == ["web started", "bot started", "scheduling", "bot stopped", "web stopped, scheduled: True"]
    with Store.open(url) as store:
        assert store.recent_runs() == []  # nothing was due


def _scheduled(url: str) -> bool:
    with Store.open(url) as store, store.engine.connect() as conn:
        return conn.execute(select(SchedulerJobRow.id).where(SchedulerJobRow.id == DAILY)).first() is not None
