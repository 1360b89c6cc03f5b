"""The report window: 24 hours before the build time of day D, in the report time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.report.window import report_window

TAIPEI = ZoneInfo("Asia/Taipei")


def test_past_day_ends_at_its_build_time():
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    window = report_window(date(2026, 11, 20), now=now, zone=TAIPEI, build_time=time(6, 40))
    assert window.end == datetime(2026, 11, 19, 22, 40, tzinfo=UTC)  # 06:40 +08:00
    assert window.end - window.start == timedelta(hours=24)
    assert window.hours == 24


def test_no_day_means_today_ending_now():
    now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)  # already 23 Nov in Taipei
    window = report_window(None, now=now, zone=TAIPEI, build_time=time(6, 40), hours=12)
    assert window.day == date(2026, 11, 23)
    assert window.end == now and window.start == now - timedelta(hours=12)


def test_today_before_build_time_ends_now():
    now = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)  # 04:00 on 22 Nov in Taipei
    window = report_window(date(2026, 11, 22), now=now, zone=TAIPEI, build_time=time(6, 40))
    assert window.end == now
