"""Scheduled runs: claiming a (job, day), keeping the claim alive, recording how it ended.

A day's run happens once because of this table, not because of the scheduler: ``claim`` inserts
the (job, day) row, and the unique constraint lets exactly one instance succeed. A row can be
claimed again in two cases only: the run ``failed`` (the next trigger retries it), or it is still
``running`` but its heartbeat is older than the lease (the process that held it died). Both
take-overs are a compare-and-set on the row as it was read, so two instances racing for a dead
claim cannot both win. A ``succeeded`` day is never claimed again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.models import Run, RunStatus, RunSummary
from core.store.tables import RunRow


def claim(
    conn: Connection, job: str, day: date, instance: str, now: datetime, lease: timedelta
) -> Run | None:
    """Claim ``job`` for ``day`` for ``instance``; the claimed run, or None if it is not ours to run."""
    if _insert_new(conn, job, day, instance, now):
        return get(conn, job, day)
    row = _row(conn, job, day)
    if row is None or not _claimable(row, now, lease):
        return None
    taken = conn.execute(
        update(RunRow)
        .where(RunRow.id == row["id"], RunRow.status == row["status"], RunRow.instance == row["instance"])
        .where(RunRow.heartbeat_at == row["heartbeat_at"])
        .values(
            status=RunStatus.RUNNING.value,
            instance=instance,
            attempts=RunRow.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            error=None,
        )
    ).rowcount
    return get(conn, job, day) if taken else None


def _insert_new(conn: Connection, job: str, day: date, instance: str, now: datetime) -> bool:
    values = {
        "job": job,
        "day": day,
        "status": RunStatus.RUNNING.value,
        "instance": instance,
        "attempts": 1,
        "started_at": now,
        "heartbeat_at": now,
        "summary": RunSummary().to_json(),
    }
    # ON CONFLICT DO NOTHING: a lost race is an answer, not an error that aborts the transaction.
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(RunRow).values(values).on_conflict_do_nothing(index_elements=["job", "day"])
    # RETURNING, not rowcount: drivers do not agree on the rowcount of an INSERT.
    return conn.execute(statement.returning(RunRow.id)).first() is not None


def _claimable(row: RowMapping, now: datetime, lease: timedelta) -> bool:
    status = RunStatus(row["status"])
    if status is RunStatus.FAILED:
        return True
    return status is RunStatus.RUNNING and row["heartbeat_at"] < now - lease


def heartbeat(conn: Connection, run_id: int, instance: str, now: datetime) -> bool:
    """Renew the claim; False if this instance no longer holds it (it was taken over)."""
    statement = update(RunRow).where(*_held(run_id, instance)).values(heartbeat_at=now)
    return conn.execute(statement).rowcount == 1


def finish(
    conn: Connection,
    run_id: int,
    instance: str,
    now: datetime,
    summary: RunSummary,
    error: str | None,
) -> bool:
    """Record the end of a run: succeeded without ``error``, failed with it; False if not ours."""
    status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    values = {"status": status.value, "finished_at": now, "heartbeat_at": now, "error": error}
    statement = update(RunRow).where(*_held(run_id, instance)).values(values | {"summary": summary.to_json()})
    return conn.execute(statement).rowcount == 1


def _held(run_id: int, instance: str) -> tuple[Any, ...]:
    return RunRow.id == run_id, RunRow.instance == instance, RunRow.status == RunStatus.RUNNING.value


def get(conn: Connection, job: str, day: date) -> Run | None:
    row = _row(conn, job, day)
    return None if row is None else _run(row)


def recent(conn: Connection, limit: int, job: str | None = None) -> list[Run]:
    """The newest runs first (by day, then start)."""
    query = select(RunRow).order_by(RunRow.day.desc(), RunRow.started_at.desc()).limit(limit)
    if job is not None:
        query = query.where(RunRow.job == job)
    return [_run(row) for row in conn.execute(query).mappings()]


def _row(conn: Connection, job: str, day: date) -> RowMapping | None:
    return conn.execute(select(RunRow).where(RunRow.job == job, RunRow.day == day)).mappings().first()


def _run(row: RowMapping) -> Run:
    return Run(
        job=row["job"],
        day=row["day"],
        status=RunStatus(row["status"]),
        instance=row["instance"],
        started_at=row["started_at"],
        heartbeat_at=row["heartbeat_at"],
        attempts=row["attempts"],
        finished_at=row["finished_at"],
        error=row["error"],
        summary=RunSummary.from_json(row["summary"]),
        id=row["id"],
    )
