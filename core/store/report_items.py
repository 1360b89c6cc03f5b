"""Every stored report item with the date and title of its report, for the bot's search index.

Two queries read everything (items, then their source links), so that a year of reports loads
in well under a second on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from core.models import Importance, Item, SourceLink
from core.store.tables import ReportItemRow, ReportItemSourceRow, ReportRow


@dataclass(frozen=True, slots=True)
class ReportedItem:
    """An item as the bot cites it: the item, its id, and the report it appeared in."""

    id: int
    date: date
    report_title: str
    item: Item


def reported_items(conn: Connection) -> list[ReportedItem]:
    """All items of all reports, newest report first, in report order."""
    links = _links(conn)
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
        for row in conn.execute(query)
    ]


def _links(conn: Connection) -> dict[int, list[SourceLink]]:
    query = select(
        ReportItemSourceRow.item_id,
        ReportItemSourceRow.name,
        ReportItemSourceRow.url,
        ReportItemSourceRow.valid,
    ).order_by(ReportItemSourceRow.item_id, ReportItemSourceRow.position)
    links: dict[int, list[SourceLink]] = defaultdict(list)
    for item_id, name, url, valid in conn.execute(query):
        links[item_id].append(SourceLink(name, url, valid))
    return links
