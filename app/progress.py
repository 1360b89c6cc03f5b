"""Progress bars for the pipeline stages, drawn with rich on stderr."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

_LABELS = {
    "fetch": "Fetching feeds",
    "parse": "Parsing",
    "dedupe": "Removing duplicates",
    "store": "Storing articles",
    "select": "Selecting the window",
    "cluster": "Grouping into stories",
    "edit": "Editing",
    "write": "Writing items",
    "render": "Rendering",
    "save": "Saving the report",
}


class RichObserver:
    """An Observer (see core.report.stages) that shows one bar per stage."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> RichObserver:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def started(self, stage: str, total: int | None) -> None:
        label = _LABELS.get(stage, stage)
        self._tasks[stage] = self._progress.add_task(label, total=total if total else 1)

    def advanced(self, stage: str, amount: int) -> None:
        self._progress.advance(self._tasks[stage], amount)

    def finished(self, stage: str) -> None:
        task = self._tasks[stage]
        total = self._progress.tasks[task].total
        self._progress.update(task, completed=total)
