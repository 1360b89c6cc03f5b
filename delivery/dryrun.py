"""Dry runs: the API calls a delivery would make, written as JSON Lines instead of sent.

Each adapter has a dry-run API beside its real one that hands every call to a ``CallLog``
and answers with a placeholder id (``placeholder("ts", "section:research")`` is
``"<ts of section:research>"``), so replies show which parent they would go under::

    with CallLog(Path("out/2026-11-22.slack.jsonl")) as calls:
        calls.record("chat.postMessage", {"channel": "C0123ABCD", "text": "..."})

One line per call: ``{"method": "chat.postMessage", "params": {...}}``, in the order the calls
would be made. The file is started afresh when the log opens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any


class CallLog:
    """See the module docstring; ``calls`` keeps every call in memory too."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.calls: list[dict[str, Any]] = []
        self._file: IO[str] | None = None

    def __enter__(self) -> CallLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def record(self, method: str, params: Mapping[str, Any]) -> None:
        call = {"method": method, "params": dict(params)}
        self.calls.append(call)
        if self._file is None:
            raise RuntimeError("CallLog.record outside its with-block")
        self._file.write(json.dumps(call, ensure_ascii=False) + "\n")
        self._file.flush()


def placeholder(kind: str, key: str) -> str:
    """The id a dry run gives the message ``key``: ``"<ts of section:research>"``."""
    return f"<{kind} of {key}>"
