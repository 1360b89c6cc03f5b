"""Every stored report item with the date and title of its report, for the bot's search index.

Two queries read everything (items, then their source links), so that a year of reports loads
in well under a second on SQLite and PostgreSQL alike. One more reads the text of the articles
behind each item (titles and the start of their summaries, joined by URL: imported reports have
none), which the index weighs low, so a question in an article's own words finds its item.
``fingerprint`` is a cheap query that changes whenever the stored items do.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from core.models import Importance, Item, SourceLink
from core.store.tables import ArticleRow, ReportItemArticleRow, ReportItemRow, ReportItemSourceRow, ReportRow

#: Articles read per item, and characters of each one's summary: enough of their wording to be
#: found by, and a year of items stays small in memory.
ARTICLES_PER_ITEM = 5
ARTICLE_SUMMARY_CHARS = 400


@dataclass(frozen=True, slots=True)
class ReportedItem:
    """An item as the bot cites it: the item, its id, and the report it appeared in."""

    id: int
    date: date
    report_title: str
    item: Item


def reported_items(conn: Connection, day: date | None = None) -> list[ReportedItem]:
    """All items of all reports (or of the report of ``day``), newest report first, in report order."""
    query = (
        select(
            ReportItemRow.id,
            ReportRow.date,
            ReportRow.title.label("report_title"),
            ReportItemRow.section,
            ReportItemRow.title,
            ReportItemRow.summary,
            ReportItemRow.details,
            ReportItemRow.use_cases,
            ReportItemRow.entities,
            ReportItemRow.importance,
        )
        .join(ReportRow, ReportRow.id == ReportItemRow.report_id)
        .order_by(ReportRow.date.desc(), ReportItemRow.position)
    )
    if day is not None:
        query = query.where(ReportRow.date == day)
    rows = conn.execute(query).all()
    links = _links(conn, [row.id for row in rows] if day is not None else None)
    return [
        ReportedItem(
            row.id,
            row.date,
            row.report_title,
            Item(
                section=row.section,
                title=row.title,
                summary=row.summary,
                details=tuple(row.details),
                use_cases=tuple(row.use_cases),
                entities=tuple(row.entities),
                importance=Importance(row.importance),
                sources=tuple(links[row.id]),
            ),
        )
        for row in rows
    ]


def _links(conn: Connection, item_ids: list[int] | None = None) -> dict[int, list[SourceLink]]:
    """Item id -> its source links, of every item or of ``item_ids``."""
    query = select(
        ReportItemSourceRow.item_id,
        ReportItemSourceRow.name,
        ReportItemSourceRow.url,
        ReportItemSourceRow.valid,
    ).order_by(ReportItemSourceRow.item_id, ReportItemSourceRow.position)
    if item_ids is not None:
        query = query.where(ReportItemSourceRow.item_id.in_(item_ids))
    links: dict[int, list[SourceLink]] = defaultdict(list)
    for item_id, name, url, valid in conn.execute(query):
        links[item_id].append(SourceLink(name, url, valid))
    return links


def article_texts(conn: Connection) -> dict[int, str]:
    """Item id -> the titles and summary openings of its stored articles, in the item's order."""
    query = (
        select(
            ReportItemArticleRow.item_id,
            ReportItemArticleRow.position,
            ArticleRow.title,
            func.substr(ArticleRow.summary, 1, ARTICLE_SUMMARY_CHARS),
        )
        .join(ArticleRow, ArticleRow.url == ReportItemArticleRow.url)
        .where(ReportItemArticleRow.position < ARTICLES_PER_ITEM)
        .order_by(ReportItemArticleRow.item_id, ReportItemArticleRow.position)
    )
    texts: dict[int, list[str]] = defaultdict(list)
    for item_id, _position, title, summary in conn.execute(query):
        texts[item_id] += [title, summary or ""]
    return {item_id: "\n".join(parts) for item_id, parts in texts.items()}


def fingerprint(conn: Connection) -> tuple[int, int, int, str]:
    """Changes whenever stored items do: their count and highest id, the highest article id, and
    the last time a report was saved (saving a date again replaces its items, and SQLite may give
    the new items the ids of the old)."""
    items = conn.execute(select(func.count(ReportItemRow.id), func.max(ReportItemRow.id))).one()
    latest_article = conn.execute(select(func.max(ArticleRow.id))).scalar()
    saved = conn.execute(select(func.max(ReportRow.updated_at))).scalar()
    return (items[0], items[1] or 0, latest_article or 0, saved.isoformat() if saved else "")
