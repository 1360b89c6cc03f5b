"""What ``aidaily runs`` prints: the stored runs of the scheduled jobs, as a table or as JSON.

Pure functions from ``core.models.Run`` values, so the command in ``app/cli/`` stays short.
"""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape
from rich.table import Table

from core.models import Run, RunStatus

_STATUS = {
    RunStatus.SUCCEEDED: "[green]succeeded[/]",
    RunStatus.FAILED: "[red]failed[/]",
    RunStatus.RUNNING: "[yellow]running[/]",
}


def runs_table(runs: list[Run]) -> Table:
    table = Table(
        "day", "job", "status", "instance", "started (UTC)", "seconds", "articles new/read", "topics",
        "items", "LLM calls (tokens in/out)", "messages sent/failed/skipped", "failures",
        title="Runs",
    )  # fmt: skip
    for run in runs:
        table.add_row(*_cells(run))
    if not runs:
        table.caption = "no runs yet: `aidaily serve` runs the daily job at the build time"
    return table


def _cells(run: Run) -> list[str]:
    s = run.summary
    return [
        run.day.isoformat(),
        run.job,
        _STATUS[run.status] + (f" (attempt {run.attempts})" if run.attempts > 1 else ""),
        escape(run.instance),
        f"{run.started_at:%Y-%m-%d %H:%M:%S}",
        _duration(run),
        f"{s.articles_new}/{s.articles_fetched}",
        str(s.topics),
        str(s.items),
        f"{s.llm.calls} ({s.llm.tokens_in}/{s.llm.tokens_out})",
        ", ".join(f"{ch} {c.sent}/{c.failed}/{c.skipped}" for ch, c in s.messages.items()) or "-",
        escape("; ".join(_failures(run))),
    ]


def _duration(run: Run) -> str:
    if run.finished_at is None:
        return ""
    return f"{(run.finished_at - run.started_at).total_seconds():.1f}"


def _failures(run: Run) -> list[str]:
    return [*([run.error] if run.error else []), *run.summary.failed_feeds, *run.summary.failed_channels]


def runs_json(runs: list[Run]) -> str:
    """One JSON array, newest run first: every field of each run and its summary."""
    return json.dumps([_as_json(r) for r in runs], ensure_ascii=False, indent=2) + "\n"


def _as_json(run: Run) -> dict[str, Any]:
    def when(value):
        return value.isoformat() if value else None

    return {
        "job": run.job,
        "day": run.day.isoformat(),
        "status": run.status.value,
        "instance": run.instance,
        "attempts": run.attempts,
        "started_at": when(run.started_at),
        "heartbeat_at": when(run.heartbeat_at),
        "finished_at": when(run.finished_at),
        "error": run.error,
        "summary": run.summary.to_json(),
    }
