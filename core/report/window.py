"""Which hours of news a day's report covers.

The report of day D covers the ``hours`` before D at the build time (06:40 Asia/Taipei by
default), so a past day can be rebuilt from the articles dated then. A report built for
today before its build time, or without a date, ends at the moment of the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Window:
    day: date
    start: datetime  # aware UTC, inclusive
    end: datetime  # aware UTC, exclusive

    @property
    def hours(self) -> int:
        return round((self.end - self.start).total_seconds() / 3600)


def report_window(
    day: date | None, *, now: datetime, zone: ZoneInfo, build_time: time, hours: int = 24
) -> Window:
    """The window of ``day``'s report; ``day=None`` means today, ending now."""
    local_now = now.astimezone(zone)
    if day is None:
        day, end = local_now.date(), now
    else:
        end = min(datetime.combine(day, build_time, tzinfo=zone), now)
    end = end.astimezone(UTC)
    return Window(day=day, start=end - timedelta(hours=hours), end=end)
