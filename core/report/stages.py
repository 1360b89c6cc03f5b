"""Timing and progress of pipeline stages, independent of how progress is shown.

The pipeline reports through an ``Observer`` (the CLI draws rich progress bars, the benchmark
records nothing but timings, tests pass nothing) and a ``Stages`` object keeps the seconds spent
in each stage for the run summary.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Observer(Protocol):
    def started(self, stage: str, total: int | None) -> None: ...
    def advanced(self, stage: str, amount: int) -> None: ...
    def finished(self, stage: str) -> None: ...


class SilentObserver:
    def started(self, stage: str, total: int | None) -> None:
        pass

    def advanced(self, stage: str, amount: int) -> None:
        pass

    def finished(self, stage: str) -> None:
        pass


class Stages:
    """Seconds per stage, accumulated over a run, with progress forwarded to an observer."""

    def __init__(self, observer: Observer | None = None) -> None:
        self.observer: Observer = observer or SilentObserver()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def run(self, stage: str, total: int | None = None) -> Iterator[None]:
        self.observer.started(stage, total)
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - began
            self.observer.finished(stage)

    def advance(self, stage: str, amount: int = 1) -> None:
        self.observer.advanced(stage, amount)
