"""``aidaily import``: read report files in the sample-reports format into the store.

Each file is read, parsed by :func:`core.report.importing.reader.parse_report` and saved with
its Markdown as given. One bad file (missing, not UTF-8, not a report) becomes a one-line
outcome and the other files are still imported. Saving replaces the report of the same date,
so importing a file again leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from core.models import Report
from core.report.importing.reader import ReportFormatError, parse_report


class ReportSink(Protocol):
    """What importing needs of a ``Store``."""

    def save_report(self, report: Report, markdown: str) -> int: ...


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What became of one file: the date and item count stored, or why it was skipped."""

    path: Path
    day: date | None = None
    items: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def line(self) -> str:
        """One line for the console."""
        if self.ok and self.day is not None:
            return f"imported {self.day.isoformat()}: {self.items} items"
        return f"skipped {self.path}: {self.error}"


class _FileError(Exception):
    """A file that cannot be read as UTF-8 text; the message is one line."""


def import_files(store: ReportSink, paths: Iterable[Path]) -> list[ImportOutcome]:
    """Import each file in order; a failure is recorded in its outcome and the next file goes on."""
    return [_import_one(store, Path(path)) for path in paths]


def _import_one(store: ReportSink, path: Path) -> ImportOutcome:
    try:
        text = _read_text(path)
        report = parse_report(text, source_name=str(path))
    except _FileError as exc:
        return ImportOutcome(path, error=str(exc))
    except ReportFormatError as exc:
        return ImportOutcome(path, error=exc.reason)
    store.save_report(report, text)
    return ImportOutcome(path, day=report.date, items=len(report.items))


def _read_text(path: Path) -> str:
    """The file's text: UTF-8, a byte order mark dropped; ``_FileError`` with one line otherwise."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _FileError("no such file") from None
    except IsADirectoryError:
        raise _FileError("is a directory, not a report file") from None
    except OSError as exc:
        raise _FileError(f"cannot read it: {exc.strerror or exc}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _FileError("UTF-16 text: save it as UTF-8")
    if b"\x00" in data:  # text never holds NUL; binary files nearly always do
        raise _FileError("binary data (NUL bytes), not a Markdown report")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _FileError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
