"""Feeds in the store: the configured list, conditional-GET state and the health of each feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from core.models import FetchResult, SourceConfig, SourceHealth, SourceKind, SourceState
from core.store.tables import ArticleRow, SourceRow


def _config_values(source: SourceConfig) -> dict[str, Any]:
    return {
        "name": source.name,
        "url": source.url,
        "kind": source.kind.value,
        "language": source.language,
        "weight": source.weight,
    }


def sync_sources(conn: Connection, sources: Sequence[SourceConfig]) -> None:
    """Make the sources table mirror the configuration, keeping the state of unchanged feeds."""
    stored = dict(conn.execute(select(SourceRow.name, SourceRow.url)).all())
    names = {source.name for source in sources}
    gone = [name for name in stored if name not in names]
    if gone:
        conn.execute(delete(SourceRow).where(SourceRow.name.in_(gone)))
    for source in sources:
        if source.name not in stored:
            conn.execute(insert(SourceRow).values(_config_values(source)))
            continue
        values = _config_values(source)
        if stored[source.name] != source.url:
            # The validators belong to the old URL; sending them to the new one could yield a
            # 304 for content we never saw.
            values |= {"etag": None, "last_modified": None}
        conn.execute(update(SourceRow).where(SourceRow.name == source.name).values(values))


def source_states(conn: Connection) -> dict[str, SourceState]:
    """The conditional-GET validators of every stored feed, by source name."""
    rows = conn.execute(select(SourceRow.name, SourceRow.etag, SourceRow.last_modified))
    return {name: SourceState(etag, last_modified) for name, etag, last_modified in rows}


def record_fetch(
    conn: Connection, result: FetchResult, items: int, error: str | None, warning: str | None = None
) -> None:
    """Remember one fetch. Validators change only on a clean 200; a 304 keeps them.

    A ``warning`` (a feed that parsed only after repairs, such as bytes its charset could not
    decode) is kept where an error would be, so the feed's health shows it is not clean.
    """
    values: dict[str, Any] = {
        "last_fetched_at": result.fetched_at,
        "last_status": result.status,
        "last_items": items,
        "last_error": error or (f"warning: {warning}" if warning else None),
    }
    if result.status == 200 and error is None and warning is None:
        # After a failed parse or store, the old validators make the next fetch retry the body;
        # after a repaired one too, or a 304 would clear the warning of a feed still broken.
        values |= {"etag": result.etag, "last_modified": result.last_modified}
    updated = conn.execute(update(SourceRow).where(SourceRow.name == result.source.name).values(values))
    if updated.rowcount == 0:
        # A feed fetched without sync_sources first (a one-off run): remember it all the same.
        conn.execute(insert(SourceRow).values(_config_values(result.source) | values))


def source_health(conn: Connection) -> list[SourceHealth]:
    """Every stored feed with its last fetch and how many of its articles are stored, by name."""
    counts = select(ArticleRow.source, func.count().label("articles")).group_by(ArticleRow.source).subquery()
    query = (
        select(SourceRow, func.coalesce(counts.c.articles, 0).label("articles"))
        .outerjoin(counts, counts.c.source == SourceRow.name)
        .order_by(SourceRow.name)
    )
    return [_health(row) for row in conn.execute(query).mappings()]


def _health(row: RowMapping) -> SourceHealth:
    return SourceHealth(
        name=row["name"],
        url=row["url"],
        kind=SourceKind(row["kind"]),
        last_fetched_at=row["last_fetched_at"],
        last_status=row["last_status"],
        last_items=row["last_items"],
        last_error=row["last_error"],
        articles=row["articles"],
        etag=row["etag"],
        last_modified=row["last_modified"],
    )
