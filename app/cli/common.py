"""What every command group shares: the consoles, the one-line user error, and day parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import typer
from rich.console import Console

from core.config import Settings, load_settings, load_sources
from core.logs import hide_in_logs
from core.models import Report, SourceConfig
from core.store.store import Store

out = Console()
err = Console(stderr=True)


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


DateOption = Annotated[str | None, typer.Option("--date", help="Report day, YYYY-MM-DD.")]


def parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"bad date {text!r}: use YYYY-MM-DD, e.g. 2026-11-22") from None


def current_settings() -> Settings:
    """The settings, their secrets masked in every log line from here on."""
    settings = load_settings()
    hide_in_logs(settings.secret_values())
    return settings


def configured_sources(settings: Settings, only: list[str] | None = None) -> tuple[SourceConfig, ...]:
    sources = load_sources(settings.sources_file)
    if not only:
        return sources
    known = {s.name: s for s in sources}
    for name in only:
        if name not in known:
            raise UserError(f"unknown source {name!r}; `aidaily sources` lists the configured ones")
    return tuple(known[n] for n in only)


def now() -> datetime:
    return datetime.now(UTC)


def first_line(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def stored_report(store: Store, day: date | None) -> Report:
    if day is None:
        dates = store.report_dates()
        if not dates:
            raise UserError("no reports stored yet: run `aidaily build` (or `aidaily demo`) first")
        day = dates[0]
    report = store.get_report(day)
    if report is None:
        raise UserError(f"no report for {day}; `aidaily build --date {day}` builds one")
    return report
