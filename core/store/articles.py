"""Articles in the store: which keys are known, bulk insert, and reading a time window.

Ingest sees tens of thousands of entries (arXiv alone lists thousands a day), so lookups go in
chunks of bound parameters and inserts go as one executemany, never one ORM object per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, RowMapping, String, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute

from core.models import Article, SeenKeys, SourceKind
from core.store.tables import ArticleRow

# Keys per lookup query. SQLite before 3.32 allowed at most 999 bound parameters; PostgreSQL
# takes each chunk as one array parameter, so its chunks can be larger.
SQLITE_CHUNK = 900
POSTGRES_CHUNK = 10_000


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _among(column: InstrumentedAttribute[Any], keys: Sequence[str], dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        # psycopg re-parses a statement with a thousand placeholders on every execution (it only
        # caches short ones); "= ANY(array)" is one parameter and several times faster.
        return column == any_(bindparam(None, list(keys), type_=ARRAY(String())))
    return column.in_(keys)


def _lookup(
    conn: Connection,
    columns: Sequence[InstrumentedAttribute[Any]],
    key: InstrumentedAttribute[Any],
    keys: Iterable[str | None],
) -> Iterator[Row[Any]]:
    """Rows of ``columns`` for the articles whose ``key`` is one of ``keys`` (empty keys ignored)."""
    dialect = conn.dialect.name
    wanted = sorted({k for k in keys if k})
    for chunk in _chunks(wanted, POSTGRES_CHUNK if dialect == "postgresql" else SQLITE_CHUNK):
        yield from conn.execute(select(*columns).where(_among(key, chunk, dialect)))


def _existing(conn: Connection, column: InstrumentedAttribute[Any], keys: Iterable[str | None]) -> set[str]:
    """Those of ``keys`` (empty ones ignored) that some stored article has in ``column``."""
    return {value for (value,) in _lookup(conn, [column], column, keys)}


def ids_by_url(conn: Connection, urls: Iterable[str]) -> dict[str, int]:
    """Store ids of the stored articles among ``urls``."""
    return dict(_lookup(conn, [ArticleRow.url, ArticleRow.id], ArticleRow.url, urls))


def seen_keys(
    conn: Connection, urls: Iterable[str], arxiv_ids: Iterable[str], title_keys: Iterable[str]
) -> SeenKeys:
    """Which of the given keys the store already has."""
    return SeenKeys(
        urls=frozenset(_existing(conn, ArticleRow.url, urls)),
        arxiv_ids=frozenset(_existing(conn, ArticleRow.arxiv_id, arxiv_ids)),
        title_keys=frozenset(_existing(conn, ArticleRow.title_key, title_keys)),
    )


def add_articles(conn: Connection, articles: Sequence[Article]) -> list[Article]:
    """Insert the articles whose URL is not stored yet; return those, with their ids."""
    fresh = _unstored(conn, articles)
    if not fresh:
        return []
    # A plain executemany, then the ids by URL: psycopg pipelines an executemany, whereas
    # INSERT..RETURNING over many rows costs it a parse of every huge batch (4x slower).
    conn.execute(insert(ArticleRow), [_values(article) for article in fresh])
    ids = ids_by_url(conn, [article.url for article in fresh])
    return [article.with_id(ids[article.url]) for article in fresh]


def _unstored(conn: Connection, articles: Sequence[Article]) -> list[Article]:
    by_url: dict[str, Article] = {}
    for article in articles:
        by_url.setdefault(article.url, article)  # the first of repeats in one batch wins
    stored = _existing(conn, ArticleRow.url, by_url)
    return [article for url, article in by_url.items() if url not in stored]


def _values(article: Article) -> dict[str, Any]:
    return {
        "source": article.source,
        "url": article.url,
        "title": article.title,
        "summary": article.summary,
        "published": article.published,
        "fetched_at": article.fetched_at,
        "language": article.language,
        "guid": article.guid,
        "arxiv_id": article.arxiv_id,
        "authors": list(article.authors),
        "title_key": article.title_key,
        "source_kind": article.source_kind.value,
        "source_weight": article.source_weight,
        "dated": article.dated,
    }


def articles_between(conn: Connection, start: datetime, end: datetime) -> list[Article]:
    """Articles published in [start, end), oldest first (ties by id)."""
    if start.utcoffset() is None or end.utcoffset() is None:
        raise ValueError("articles_between needs aware datetimes")
    query = (
        select(ArticleRow)
        .where(ArticleRow.published >= start, ArticleRow.published < end)
        .order_by(ArticleRow.published, ArticleRow.id)
    )
    return [article_from_row(row) for row in conn.execute(query).mappings()]


def article_from_row(row: RowMapping) -> Article:
    """An ``Article`` from a row of the articles table."""
    return Article(
        source=row["source"],
        source_kind=SourceKind(row["source_kind"]),
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        published=row["published"],
        fetched_at=row["fetched_at"],
        language=row["language"],
        guid=row["guid"],
        arxiv_id=row["arxiv_id"],
        authors=tuple(row["authors"]),
        title_key=row["title_key"],
        source_weight=row["source_weight"],
        dated=row["dated"],
        id=row["id"],
    )
