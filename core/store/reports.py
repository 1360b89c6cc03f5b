"""Reports in the store: save a day's ``Report`` with its items, read it back unchanged.

A report is written whole: saving a date again replaces its items in the same transaction
and keeps the report's id. Reading rebuilds the exact ``Report`` value, with datetimes in the
report's own time zone. Earlier items are also served to the editor, which uses them to spot
stories already told and to link follow-ups.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, RowMapping, delete, insert, select, update

from core.models import (
    Brief,
    FollowUp,
    Importance,
    Insight,
    Item,
    Reading,
    ReadingLink,
    Report,
    Section,
    SourceLink,
    StoredItem,
)
from core.store.tables import (
    ReportItemArticleRow,
    ReportItemRow,
    ReportItemSourceRow,
    ReportRow,
    ReportStatsRow,
)


def save_report(conn: Connection, report: Report, markdown: str) -> int:
    """Store ``report`` and its rendered Markdown, replacing any report of that date."""
    now = datetime.now(UTC)
    values = _report_values(report, markdown) | {"updated_at": now}
    report_id = conn.execute(select(ReportRow.id).where(ReportRow.date == report.date)).scalar()
    if report_id is None:
        statement = insert(ReportRow).values(values | {"created_at": now}).returning(ReportRow.id)
        report_id = conn.execute(statement).scalar_one()
    else:
        conn.execute(update(ReportRow).where(ReportRow.id == report_id).values(values))
        conn.execute(delete(ReportItemRow).where(ReportItemRow.report_id == report_id))
        # The old writer stats describe the old report (an import replacing a build has none).
        conn.execute(delete(ReportStatsRow).where(ReportStatsRow.report_id == report_id))
    _insert_items(conn, report_id, report.items)
    return report_id


def _report_values(report: Report, markdown: str) -> dict[str, Any]:
    sections = [
        {"key": s.key, "heading": s.heading, "items": len(s.items), "more": [_brief_json(b) for b in s.more]}
        for s in report.sections
    ]
    return {
        "date": report.date,
        "title": report.title,
        "description": report.description,
        "summary": report.summary,
        "tags": list(report.tags),
        "language": report.language,
        "cover_image": report.cover_image,
        "generated_at": report.generated_at,
        "timezone": report.timezone,
        "window_start": report.window_start,
        "window_end": report.window_end,
        "articles_count": report.articles_count,
        "topics_count": report.topics_count,
        "sections": sections,
        "insight": {f.name: list(getattr(report.insight, f.name)) for f in dataclasses.fields(Insight)},
        "reading": _reading_json(report.reading),
        "left_out": dict(report.left_out),
        "markdown": markdown,
    }


def _brief_json(brief: Brief) -> dict[str, str]:
    return {"title": brief.title, "line": brief.line, "url": brief.url}


def _reading_json(reading: Reading) -> dict[str, Any]:
    return {
        "articles": [{"title": r.title, "url": r.url, "note": r.note} for r in reading.articles],
        "background": [list(pair) for pair in reading.background],
        "keywords": list(reading.keywords),
    }


def _insert_items(conn: Connection, report_id: int, items: Sequence[Item]) -> None:
    if not items:
        return
    linkable = _existing_item_ids(conn, [i.follow_up.item_id for i in items if i.follow_up])
    rows = [_item_values(report_id, position, item, linkable) for position, item in enumerate(items)]
    statement = insert(ReportItemRow).returning(ReportItemRow.id, sort_by_parameter_order=True)
    ids = conn.execute(statement, rows).scalars().all()
    _insert_links(conn, list(zip(ids, items, strict=True)))


def _insert_links(conn: Connection, items: list[tuple[int, Item]]) -> None:
    """The source links and article URLs of stored items."""
    sources = [
        {"item_id": id_, "position": n, "name": s.name, "url": s.url, "valid": s.valid}
        for id_, item in items
        for n, s in enumerate(item.sources)
    ]
    articles = [
        {"item_id": id_, "position": n, "url": url}
        for id_, item in items
        for n, url in enumerate(item.article_urls)
    ]
    if sources:
        conn.execute(insert(ReportItemSourceRow), sources)
    if articles:
        conn.execute(insert(ReportItemArticleRow), articles)


def _existing_item_ids(conn: Connection, ids: Iterable[int | None]) -> set[int]:
    wanted = {id_ for id_ in ids if id_ is not None}
    if not wanted:
        return set()
    return set(conn.execute(select(ReportItemRow.id).where(ReportItemRow.id.in_(wanted))).scalars())


def _item_values(report_id: int, position: int, item: Item, linkable: set[int]) -> dict[str, Any]:
    follow_up = item.follow_up
    # A follow-up pointing at an item that no longer exists keeps its date and title; the
    # dangling id is dropped rather than failing the whole report on the foreign key.
    follow_up_id = follow_up.item_id if follow_up and follow_up.item_id in linkable else None
    return {
        "report_id": report_id,
        "section": item.section,
        "position": position,
        "title": item.title,
        "summary": item.summary,
        "details": list(item.details),
        "use_cases": list(item.use_cases),
        "entities": list(item.entities),
        "importance": item.importance.value,
        "importance_reason": item.importance_reason,
        "writer": item.writer,
        "topic_key": item.topic_key,
        "follow_up_item_id": follow_up_id,
        "follow_up_date": follow_up.date if follow_up else None,
        "follow_up_title": follow_up.title if follow_up else None,
    }


def get_report(conn: Connection, day: date) -> Report | None:
    """The report of ``day`` exactly as it was saved, or None."""
    row = conn.execute(select(ReportRow).where(ReportRow.date == day)).mappings().first()
    if row is None:
        return None
    of_report = ReportItemRow.report_id == row["id"]
    links = _links_by_item(conn, of_report)
    urls = _urls_by_item(conn, of_report)
    query = select(ReportItemRow).where(of_report).order_by(ReportItemRow.position)
    items = [_item(r, links[r["id"]], urls[r["id"]]) for r in conn.execute(query).mappings()]
    return _report(row, items)


def _links_by_item(conn: Connection, where: ColumnElement[bool]) -> dict[int, list[SourceLink]]:
    query = (
        select(
            ReportItemSourceRow.item_id,
            ReportItemSourceRow.name,
            ReportItemSourceRow.url,
            ReportItemSourceRow.valid,
        )
        .join(ReportItemRow, ReportItemRow.id == ReportItemSourceRow.item_id)
        .where(where)
        .order_by(ReportItemSourceRow.item_id, ReportItemSourceRow.position)
    )
    links: dict[int, list[SourceLink]] = defaultdict(list)
    for item_id, name, url, valid in conn.execute(query):
        links[item_id].append(SourceLink(name, url, valid))
    return links


def _urls_by_item(conn: Connection, where: ColumnElement[bool]) -> dict[int, list[str]]:
    query = (
        select(ReportItemArticleRow.item_id, ReportItemArticleRow.url)
        .join(ReportItemRow, ReportItemRow.id == ReportItemArticleRow.item_id)
        .join(ReportRow, ReportRow.id == ReportItemRow.report_id)
        .where(where)
        .order_by(ReportItemArticleRow.item_id, ReportItemArticleRow.position)
    )
    urls: dict[int, list[str]] = defaultdict(list)
    for item_id, url in conn.execute(query):
        urls[item_id].append(url)
    return urls


def _item(row: RowMapping, sources: list[SourceLink], article_urls: list[str]) -> Item:
    follow_up = None
    if row["follow_up_date"] is not None:
        follow_up = FollowUp(row["follow_up_date"], row["follow_up_title"] or "", row["follow_up_item_id"])
    return Item(
        section=row["section"],
        title=row["title"],
        summary=row["summary"],
        details=tuple(row["details"]),
        use_cases=tuple(row["use_cases"]),
        entities=tuple(row["entities"]),
        importance=Importance(row["importance"]),
        importance_reason=row["importance_reason"],
        sources=tuple(sources),
        follow_up=follow_up,
        writer=row["writer"],
        topic_key=row["topic_key"],
        article_urls=tuple(article_urls),
    )


def _report(row: RowMapping, items: list[Item]) -> Report:
    zone = ZoneInfo(row["timezone"])
    remaining = iter(items)
    sections = tuple(
        Section(
            s["key"],
            s["heading"],
            tuple(islice(remaining, s["items"])),
            tuple(Brief(b["title"], b["line"], b["url"]) for b in s.get("more", ())),
        )
        for s in row["sections"]
    )
    return Report(
        date=row["date"],
        title=row["title"],
        generated_at=row["generated_at"].astimezone(zone),
        timezone=row["timezone"],
        window_start=row["window_start"].astimezone(zone),
        window_end=row["window_end"].astimezone(zone),
        articles_count=row["articles_count"],
        topics_count=row["topics_count"],
        sections=sections,
        insight=Insight(**{key: tuple(value) for key, value in row["insight"].items()}),
        reading=_reading(row["reading"]),
        description=row["description"],
        summary=row["summary"],
        tags=tuple(row["tags"]),
        language=row["language"],
        cover_image=row["cover_image"],
        left_out=tuple(sorted((row["left_out"] or {}).items())),
    )


def _reading(data: dict[str, Any]) -> Reading:
    return Reading(
        articles=tuple(ReadingLink(a["title"], a["url"], a["note"]) for a in data["articles"]),
        background=tuple((term, explanation) for term, explanation in data["background"]),
        keywords=tuple(data["keywords"]),
    )


def get_markdown(conn: Connection, day: date) -> str | None:
    """The Markdown saved with the report of ``day``, or None."""
    return conn.execute(select(ReportRow.markdown).where(ReportRow.date == day)).scalar()


def report_dates(conn: Connection) -> list[date]:
    """Dates of all stored reports, newest first."""
    return list(conn.execute(select(ReportRow.date).order_by(ReportRow.date.desc())).scalars())


def _dated_before(before: date, days: int) -> ColumnElement[bool]:
    return (ReportRow.date >= before - timedelta(days=days)) & (ReportRow.date < before)


def earlier_items(conn: Connection, before: date, days: int = 7) -> list[StoredItem]:
    """Items of reports dated in [before - days, before): newest report first, in report order."""
    window = _dated_before(before, days)
    urls = _urls_by_item(conn, window)
    query = (
        select(
            ReportItemRow.id,
            ReportRow.date,
            ReportItemRow.section,
            ReportItemRow.title,
            ReportItemRow.topic_key,
            ReportItemRow.entities,
        )
        .join(ReportRow, ReportRow.id == ReportItemRow.report_id)
        .where(window)
        .order_by(ReportRow.date.desc(), ReportItemRow.position)
    )
    return [
        StoredItem(id_, day, section, title, topic_key, tuple(entities), tuple(urls[id_]))
        for id_, day, section, title, topic_key, entities in conn.execute(query)
    ]


def reported_article_urls(conn: Connection, before: date, days: int = 7) -> dict[str, int]:
    """Article URL -> id of the newest earlier item (reports in [before - days, before)) citing it."""
    query = (
        select(ReportItemArticleRow.url, ReportItemArticleRow.item_id)
        .join(ReportItemRow, ReportItemRow.id == ReportItemArticleRow.item_id)
        .join(ReportRow, ReportRow.id == ReportItemRow.report_id)
        .where(_dated_before(before, days))
        # Oldest first, so that in the dict a later item overwrites an earlier one.
        .order_by(ReportRow.date, ReportItemRow.position)
    )
    return dict(conn.execute(query).all())
