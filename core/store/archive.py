"""Read-only views of the store for the web archive and the metrics endpoint.

``report_summaries`` pages through the stored reports (newest first) without loading their
items or Markdown: the index page and the RSS feed need a title, a date and counts, and a year
of reports is read a page at a time. ``store_counts`` is every number ``/metrics`` exposes,
read in one connection at scrape time with aggregate queries, so a scrape costs a handful of
index lookups however large the store grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, RowMapping, func, select

from core.store.tables import ArticleRow, DeliveryRow, ReportRow, SubscriptionRow


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """One stored report as a listing shows it."""

    date: date
    title: str
    description: str
    summary: str
    generated_at: datetime  # aware, in the report's own time zone
    items: int  # items over all sections
    articles: int  # articles read for the report
    topics: int
    updated_at: datetime | None = None  # when it was last stored (built, rebuilt or imported)


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """What the store holds, as gauges: counts and the newest dates."""

    reports: int
    articles: int
    latest_report: date | None = None
    latest_generated_at: datetime | None = None
    subscriptions: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status) -> n
    latest_delivery_day: date | None = None
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # of that day, (channel, status)


_SUMMARY_COLUMNS = (
    ReportRow.date,
    ReportRow.title,
    ReportRow.description,
    ReportRow.summary,
    ReportRow.generated_at,
    ReportRow.timezone,
    ReportRow.sections,
    ReportRow.articles_count,
    ReportRow.topics_count,
    ReportRow.updated_at,
)


def report_summaries(conn: Connection, limit: int, offset: int = 0) -> list[ReportSummary]:
    """Reports newest first, ``limit`` of them after skipping ``offset``."""
    query = select(*_SUMMARY_COLUMNS).order_by(ReportRow.date.desc()).limit(limit).offset(offset)
    return [_summary(row) for row in conn.execute(query).mappings()]


def _summary(row: RowMapping) -> ReportSummary:
    return ReportSummary(
        date=row["date"],
        title=row["title"],
        description=row["description"],
        summary=row["summary"],
        generated_at=_in_zone(row["generated_at"], row["timezone"]),
        items=sum(int(section.get("items", 0)) for section in row["sections"]),
        articles=row["articles_count"],
        topics=row["topics_count"],
        updated_at=row["updated_at"],
    )


def _in_zone(moment: datetime, zone: str) -> datetime:
    try:
        return moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return moment  # an unknown zone name written by an old import: keep UTC


def report_count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(ReportRow)).scalar_one()


def updated_at(conn: Connection, day: date) -> datetime | None:
    """When the report of ``day`` was last stored, or None when there is none."""
    return conn.execute(select(ReportRow.updated_at).where(ReportRow.date == day)).scalar()


def latest_report_date(conn: Connection) -> date | None:
    return conn.execute(select(func.max(ReportRow.date))).scalar()


def neighbours(conn: Connection, day: date) -> tuple[date | None, date | None]:
    """The dates of the reports just before and just after ``day`` (None at either end)."""
    older = conn.execute(select(func.max(ReportRow.date)).where(ReportRow.date < day)).scalar()
    newer = conn.execute(select(func.min(ReportRow.date)).where(ReportRow.date > day)).scalar()
    return older, newer


def store_counts(conn: Connection) -> StoreCounts:
    """Every gauge of ``/metrics``, read in one connection."""
    latest = conn.execute(
        select(ReportRow.date, ReportRow.generated_at).order_by(ReportRow.date.desc()).limit(1)
    ).first()
    delivery_day = conn.execute(select(func.max(DeliveryRow.report_date))).scalar()
    return StoreCounts(
        reports=report_count(conn),
        articles=conn.execute(select(func.count()).select_from(ArticleRow)).scalar_one(),
        latest_report=latest.date if latest else None,
        latest_generated_at=latest.generated_at if latest else None,
        subscriptions=_subscription_counts(conn),
        latest_delivery_day=delivery_day,
        deliveries=_delivery_counts(conn, delivery_day) if delivery_day else {},
    )


def _subscription_counts(conn: Connection) -> dict[tuple[str, str], int]:
    query = select(SubscriptionRow.channel, SubscriptionRow.status, func.count()).group_by(
        SubscriptionRow.channel, SubscriptionRow.status
    )
    return {(channel, status): n for channel, status, n in conn.execute(query)}


def _delivery_counts(conn: Connection, day: date) -> dict[tuple[str, str], int]:
    """Ledger entries (messages) of ``day`` by the channel of their subscription and their status."""
    query = (
        select(SubscriptionRow.channel, DeliveryRow.status, func.count())
        .join(SubscriptionRow, SubscriptionRow.id == DeliveryRow.subscription_id)
        .where(DeliveryRow.report_date == day)
        .group_by(SubscriptionRow.channel, DeliveryRow.status)
    )
    return {(channel, status): n for channel, status, n in conn.execute(query)}
