"""Which report day a firing of the daily job builds, and what "now" its build sees.

``WallClock`` is the real one: the day is the one whose build time (``AIDAILY_BUILD_TIME`` in
``AIDAILY_TIMEZONE``) has most recently passed, so a run that starts late (a restart within the
misfire grace) still builds the day it was meant for, and the build sees the real time.

``SimulatedClock`` compresses time for demos and soak tests: with ``AIDAILY_SCHEDULE`` firing every
few seconds, the first firing at or after ``AIDAILY_SIMULATE_START`` builds the report of
``AIDAILY_SIMULATE_FROM``, and each later firing the next day's. The build then sees that day's
build time as "now", so each report covers its own 24 hours of (past) articles. The mapping is a
pure function of the firing times, so every instance (and a restarted one) agrees on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger


@dataclass(frozen=True, slots=True)
class Firing:
    """The scheduled moment a run belongs to, and the report day it builds."""

    day: date
    at: datetime  # aware


class Clock(Protocol):
    def now(self) -> datetime: ...

    def latest_firing(self, now: datetime) -> Firing | None:
        """The most recent scheduled firing at or before ``now`` (None: none yet)."""
        ...

    def build_now(self, firing: Firing, now: datetime) -> datetime:
        """The "now" the build of ``firing``'s day sees."""
        ...


@dataclass(frozen=True, slots=True)
class WallClock:
    zone: ZoneInfo
    build_time: time

    def now(self) -> datetime:
        return datetime.now(UTC)

    def latest_firing(self, now: datetime) -> Firing:
        today = now.astimezone(self.zone).date()
        for day in (today, today - timedelta(days=1)):
            at = datetime.combine(day, self.build_time, tzinfo=self.zone)
            if at <= now:
                return Firing(day, at)
        raise AssertionError("unreachable: yesterday's build time is always in the past")

    def build_now(self, firing: Firing, now: datetime) -> datetime:
        return now


@dataclass(frozen=True, slots=True)
class SimulatedClock:
    first_day: date
    first_firing: datetime  # aware: the firing that builds ``first_day``
    period: timedelta  # one simulated day
    zone: ZoneInfo
    build_time: time

    @classmethod
    def from_trigger(
        cls, trigger: BaseTrigger, start: datetime, first_day: date, zone: ZoneInfo, build_time: time
    ) -> SimulatedClock:
        first = trigger.get_next_fire_time(None, start)
        second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1))
        if first is None or second is None:
            raise ValueError("AIDAILY_SCHEDULE must keep firing to simulate days")
        return cls(first_day, first, second - first, zone, build_time)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def latest_firing(self, now: datetime) -> Firing | None:
        index = (now - self.first_firing) // self.period
        if index < 0:
            return None
        return Firing(self.first_day + timedelta(days=index), self.first_firing + index * self.period)

    def build_now(self, firing: Firing, now: datetime) -> datetime:
        return datetime.combine(firing.day, self.build_time, tzinfo=self.zone)
