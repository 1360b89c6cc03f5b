"""What the report writer keeps in the store: its cache of model answers and per-report stats.

The cache is written once per key: the same key means the same prompt inputs, so a second
answer would say nothing new. Both SQLite and PostgreSQL take ``INSERT .. ON CONFLICT DO
NOTHING``, so two writers storing one key at once cannot fail each other.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from core.models import WriterStats
from core.store.tables import LLMCacheRow, ReportRow, ReportStatsRow

_COUNTS = tuple(f.name for f in dataclasses.fields(WriterStats) if f.type == "int")


def cached_response(conn: Connection, key: str) -> dict[str, Any] | None:
    """The answer stored under ``key``, or None."""
    return conn.execute(select(LLMCacheRow.response).where(LLMCacheRow.key == key)).scalar()


def cache_response(conn: Connection, key: str, model: str, response: dict[str, Any]) -> None:
    """Store an answer under ``key`` unless one is there already."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {"key": key, "model": model, "response": response, "created_at": datetime.now(UTC)}
    conn.execute(dialect.insert(LLMCacheRow).values(values).on_conflict_do_nothing(index_elements=["key"]))


def _report_id(conn: Connection, day: date) -> int | None:
    return conn.execute(select(ReportRow.id).where(ReportRow.date == day)).scalar()


def save_stats(conn: Connection, day: date, stats: WriterStats) -> None:
    """Replace the stats of the report of ``day``; ValueError when there is no such report."""
    report_id = _report_id(conn, day)
    if report_id is None:
        raise ValueError(f"no report for {day}: save the report before its stats")
    conn.execute(delete(ReportStatsRow).where(ReportStatsRow.report_id == report_id))
    values = dataclasses.asdict(stats) | {"report_id": report_id, "updated_at": datetime.now(UTC)}
    conn.execute(insert(ReportStatsRow).values(values))


def get_stats(conn: Connection, day: date) -> WriterStats | None:
    """The stats of the report of ``day``, or None (no report, or one stored before stats were)."""
    query = (
        select(
            ReportStatsRow.writer,
            ReportStatsRow.model,
            ReportStatsRow.fell_back,
            *(getattr(ReportStatsRow, c) for c in _COUNTS),
        )
        .join(ReportRow, ReportRow.id == ReportStatsRow.report_id)
        .where(ReportRow.date == day)
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return WriterStats.from_json(dict(row))
