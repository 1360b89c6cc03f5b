"""Commands on the pipeline and its reports: fetch, build, show, sources, import, demo, config."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from app.building import build_day, ingest_sources
from app.cli.common import (
    DateOption,
    UserError,
    configured_sources,
    current_settings,
    err,
    now,
    out,
    parse_day,
    stored_report,
)
from app.progress import RichObserver
from app.report_output import print_build, print_ingest, print_stats, report_json
from core.store.store import Store

app = typer.Typer()
config_app = typer.Typer(no_args_is_help=True, help="Inspect the configuration.")


@app.command()
def fetch(source: Annotated[list[str] | None, typer.Option("--source", help="Only this source.")] = None):
    """Fetch the feeds and store new articles."""
    settings = current_settings()
    with Store.open(settings.database_url) as store, RichObserver(err) as observer:
        result = asyncio.run(ingest_sources(store, settings, configured_sources(settings, source), observer))
    print_ingest(result, out, err)


@app.command("build")
def build_cmd(
    day: DateOption = None,
    no_fetch: Annotated[bool, typer.Option("--no-fetch", help="Build from stored articles only.")] = False,
):
    """Fetch, then build and store the day's report."""
    settings = current_settings()
    parsed_day = parse_day(day)
    with Store.open(settings.database_url) as store, RichObserver(err) as observer:
        if not no_fetch:
            ingested = asyncio.run(ingest_sources(store, settings, configured_sources(settings), observer))
        result = asyncio.run(build_day(store, settings, parsed_day, now(), observer))
    if not no_fetch:
        print_ingest(ingested, out, err)
    print_build(result, out)


@app.command()
def show(
    day: DateOption = None,
    fmt: Annotated[str, typer.Option("--format", help="md or json.")] = "md",
    stats: Annotated[
        bool,
        typer.Option("--stats", help="What made the report, what was left out, what writing cost."),
    ] = False,
):
    """Print a stored report (the latest when no date is given)."""
    if fmt not in ("md", "json"):
        raise UserError(f"unknown format {fmt!r}: use md or json")
    with Store.open(current_settings().database_url) as store:
        report = stored_report(store, parse_day(day))
        markdown = store.get_markdown(report.date)
        writer_stats = store.get_stats(report.date)
    if stats:
        print_stats(report, writer_stats, out)
    elif fmt == "json":
        sys.stdout.write(report_json(report))
    else:
        sys.stdout.write(markdown or "")


@app.command()
def sources():
    """Health of each configured feed: last fetch, status, items, error."""
    settings = current_settings()
    configured = configured_sources(settings)
    with Store.open(settings.database_url) as store:
        store.sync_sources(configured)
        health = {h.name: h for h in store.source_health()}
    table = Table("source", "kind", "last fetch", "status", "items", "stored", "error")
    for source in configured:
        h = health.get(source.name)
        when = h.last_fetched_at.strftime("%Y-%m-%d %H:%M") if h and h.last_fetched_at else "never"
        status = str(h.last_status or "") if h else ""
        items = "" if not h or h.last_items is None else str(h.last_items)
        error = (h.last_error or "") if h else ""
        table.add_row(
            source.name,
            source.kind.value,
            when,
            status,
            items,
            str(h.articles if h else 0),
            _health_error(error),
        )
    out.print(table)


@config_app.command("show")
def config_show():
    """Print every setting, with secrets redacted."""
    settings = current_settings()
    table = Table("setting", "value")
    for name, value in settings.redacted().items():
        table.add_row(f"AIDAILY_{name.upper()}", value)
    out.print(table)


@app.command()
def demo():
    """Build a report from the bundled sample feeds, served on loopback; write it under out/."""
    from app.demo.run import run_demo

    settings = current_settings()
    run_demo(settings, out, err)


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Report files in the sample-reports Markdown format.")],
):
    """Read Markdown reports into the store (a report of the same date is replaced)."""
    from core.report.importing.files import import_files

    settings = current_settings()
    with Store.open(settings.database_url) as store:
        outcomes = import_files(store, files)
    for outcome in outcomes:
        console = out if outcome.ok else err
        console.print(outcome.line(), markup=False, highlight=False, soft_wrap=True)
    if not all(outcome.ok for outcome in outcomes):
        raise typer.Exit(1)


def _health_error(error: str) -> str:
    """A feed's last error in red, a repaired feed's warning in yellow; feed text is escaped."""
    if not error:
        return ""
    return f"[{'yellow' if error.startswith('warning:') else 'red'}]{escape(error)}[/]"
