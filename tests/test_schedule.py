"""The schedule: which day a firing builds, and a missed firing run once after a restart."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from app.service.clock import Firing, SimulatedClock, WallClock
from app.service.schedule import clock_for, daily_trigger, scheduling
from core.config import ConfigError, load_settings
from core.store import Store
from core.store.tables import SchedulerJobRow

TAIPEI = ZoneInfo("Asia/Taipei")


pytestmark = pytest.mark.usefixtures("clean_settings_env")


def test_the_wall_clock_builds_the_day_whose_build_time_last_passed():
    clock = WallClock(TAIPEI, clock_time(6, 40))
    before = datetime(2026, 11, 22, 6, 39, tzinfo=TAIPEI)
    after = datetime(2026, 11, 22, 9, 5, tzinfo=TAIPEI)  # a late start, within the grace
    assert clock.latest_firing(before) == Firing(
        date(2026, 11, 21), datetime(2026, 11, 21, 6, 40, tzinfo=TAIPEI)
    )
    assert clock.latest_firing(after) == Firing(
        date(2026, 11, 22), datetime(2026, 11, 22, 6, 40, tzinfo=TAIPEI)
    )
    assert clock.build_now(clock.latest_firing(after), after) == after


def test_the_default_trigger_is_the_build_time_in_the_report_zone():
    trigger = daily_trigger(load_settings(build_time="07:15", timezone="Europe/Berlin"))
    start = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, start) == datetime(
        2026, 11, 23, 7, 15, tzinfo=ZoneInfo("Europe/Berlin")
    )


def test_simulated_days_advance_one_a_firing_and_every_instance_agrees():
    start = datetime(2026, 11, 22, 8, 0, 1, tzinfo=UTC)
    settings = load_settings(
        schedule="*/5 * * * * *", simulate_from="2026-11-01", simulate_start=start.isoformat()
    )
    clock = clock_for(settings, daily_trigger(settings))
    assert isinstance(clock, SimulatedClock) and clock.period == timedelta(seconds=5)
    first = datetime(2026, 11, 22, 8, 0, 5, tzinfo=UTC)  # the first firing at or after the start
    assert clock.latest_firing(first - timedelta(milliseconds=1)) is None
    assert clock.latest_firing(first + timedelta(milliseconds=30)).day == date(2026, 11, 1)
    third = clock.latest_firing(first + timedelta(seconds=12))  # a late run belongs to its firing
    assert third == Firing(date(2026, 11, 3), first + timedelta(seconds=10))
    # The build sees that day's build time, so the report covers that day's own news.
    assert clock.build_now(third, first) == datetime(2026, 11, 3, 6, 40, tzinfo=TAIPEI)


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"schedule": "0 40 6 * *"}, "six fields"),
        ({"simulate_from": "2026-11-01"}, "go together"),
        (
            {"simulate_from": "2026-11-01", "simulate_start": "2026-11-22T08:00:00+00:00"},
            "need AIDAILY_SCHEDULE",
        ),
    ],
)
def test_schedule_mistakes_are_one_line(settings, fragment):
    with pytest.raises(ConfigError, match=fragment) as info:
        load_settings(**settings)
    assert "\n" not in str(info.value)


def test_our_job_table_is_the_one_apscheduler_declares(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'a.db'}") as store:
        theirs = SQLAlchemyJobStore(engine=store.engine).jobs_t
        ours = SchedulerJobRow.__table__
        assert ours.name == theirs.name
        assert _columns(ours) == _columns(theirs)


def _columns(table) -> list[tuple]:
    return [(c.name, repr(c.type), c.primary_key, c.nullable, bool(c.index)) for c in table.columns]


def test_a_firing_missed_while_stopped_runs_once_on_restart(tmp_path):
    """Stop before a firing, stay down through two, start again: one coalesced late run."""
    settings = load_settings(schedule="*/2 * * * * *")
    trigger = daily_trigger(settings)
    calls: list[float] = []

    async def handler() -> None:
        calls.append(time.monotonic())

    async def scenario(store: Store) -> None:
        _sleep_until_just_after_a_firing(2)
        async with scheduling(store.engine, trigger, handler, misfire_grace=60):
            pass  # stopped well before the next firing
        time.sleep(3.0)  # two firings pass while nothing runs
        async with scheduling(store.engine, trigger, handler, misfire_grace=60):
            await asyncio.sleep(0.5)  # the kept (missed) firing is due at once; the next is > 0.5 s away

    with Store.open(f"sqlite:///{tmp_path / 'a.db'}") as store:
        asyncio.run(scenario(store))
    assert len(calls) == 1


def _sleep_until_just_after_a_firing(period: int) -> None:
    now = time.time()
    time.sleep(period - now % period + 0.1)


def test_a_bad_cron_field_is_one_line():
    with pytest.raises(ConfigError, match="SCHEDULE") as info:
        load_settings(schedule="5/60 * * * * *")
    assert "\n" not in str(info.value)
