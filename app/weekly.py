"""The weekly digest, from the store and settings: what the service, the CLI and the workers
deliver to weekly subscriptions (the digest itself is ``core.report.weekly``).

A digest is dated by its last day and is delivered by the run of the weekday
``AIDAILY_WEEKLY_DAY``; it is rebuilt from the stored daily reports each time it is asked for,
so a resumed delivery plans the same messages and the ledger sends each once.
"""

from __future__ import annotations

from datetime import date

from app.channels import archive_url
from core.config import Settings
from core.models import Report
from core.report.weekly import week_of, weekly_digest
from core.store import Store

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_weekly_day(settings: Settings, day: date) -> bool:
    """Whether the run of report day ``day`` delivers the weekly digest too."""
    return WEEKDAYS[day.weekday()] == settings.weekly_day


def digest_ending(store: Store, settings: Settings, end: date) -> Report | None:
    """The weekly digest of the stored reports of the seven days ending ``end``; None if none."""
    reports = [report for day in week_of(end) if (report := store.get_report(day)) is not None]
    return weekly_digest(reports, end=end, per_section=settings.weekly_items, day_page=archive_url(settings))
