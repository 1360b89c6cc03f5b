"""The ``aidaily`` command: the composition root that reads settings and wires the pipeline.

Mistakes a user can make (a bad date, an unreachable database, an unknown source, a broken
configuration file) end with one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.config import ConfigError, Settings, load_settings, load_sources
from core.models import Channel, Report, SourceConfig
from core.output import print_build, print_ingest, print_stats, report_json
from core.progress import RichObserver
from core.runs import build_day, ingest_sources
from core.store.db import StoreError
from core.store.store import Store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="AI Daily: a morning briefing of AI news.",
)
config_app = typer.Typer(no_args_is_help=True, help="Inspect the configuration.")
app.add_typer(config_app, name="config")

out = Console()
err = Console(stderr=True)


class UserError(Exception):
    """A mistake the user can fix; printed as one line."""


DateOption = Annotated[str | None, typer.Option("--date", help="Report day, YYYY-MM-DD.")]


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"bad date {text!r}: use YYYY-MM-DD, e.g. 2026-11-22") from None


def _settings() -> Settings:
    return load_settings()


def _sources(settings: Settings, only: list[str] | None = None) -> tuple[SourceConfig, ...]:
    sources = load_sources(settings.sources_file)
    if not only:
        return sources
    known = {s.name: s for s in sources}
    for name in only:
        if name not in known:
            raise UserError(f"unknown source {name!r}; `aidaily sources` lists the configured ones")
    return tuple(known[n] for n in only)


def _now() -> datetime:
    return datetime.now(UTC)


@app.command()
def fetch(source: Annotated[list[str] | None, typer.Option("--source", help="Only this source.")] = None):
    """Fetch the feeds and store new articles."""
    settings = _settings()
    with Store.open(settings.database_url) as store, RichObserver(err) as observer:
        result = asyncio.run(ingest_sources(store, settings, _sources(settings, source), observer))
    print_ingest(result, out, err)


@app.command("build")
def build_cmd(
    day: DateOption = None,
    no_fetch: Annotated[bool, typer.Option("--no-fetch", help="Build from stored articles only.")] = False,
):
    """Fetch, then build and store the day's report."""
    settings = _settings()
    parsed_day = _parse_day(day)
    with Store.open(settings.database_url) as store, RichObserver(err) as observer:
        if not no_fetch:
            ingested = asyncio.run(ingest_sources(store, settings, _sources(settings), observer))
        result = asyncio.run(build_day(store, settings, parsed_day, _now(), observer))
    if not no_fetch:
        print_ingest(ingested, out, err)
    print_build(result, out)


@app.command()
def show(
    day: DateOption = None,
    fmt: Annotated[str, typer.Option("--format", help="md or json.")] = "md",
    stats: Annotated[bool, typer.Option("--stats", help="What writing it cost: LLM calls, tokens.")] = False,
):
    """Print a stored report (the latest when no date is given)."""
    if fmt not in ("md", "json"):
        raise UserError(f"unknown format {fmt!r}: use md or json")
    settings = _settings()
    parsed_day = _parse_day(day)
    with Store.open(settings.database_url) as store:
        if parsed_day is None:
            dates = store.report_dates()
            if not dates:
                raise UserError("no reports stored yet: run `aidaily build` (or `aidaily demo`) first")
            parsed_day = dates[0]
        report = store.get_report(parsed_day)
        markdown = store.get_markdown(parsed_day)
        writer_stats = store.get_stats(parsed_day)
    if report is None:
        raise UserError(f"no report for {parsed_day}; `aidaily build --date {parsed_day}` builds one")
    if stats:
        print_stats(parsed_day, writer_stats, out)
    elif fmt == "json":
        sys.stdout.write(report_json(report))
    else:
        sys.stdout.write(markdown or "")


@app.command()
def sources():
    """Health of each configured feed: last fetch, status, items, error."""
    settings = _settings()
    configured = _sources(settings)
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
            f"[red]{error}[/]" if error else "",
        )
    out.print(table)


@config_app.command("show")
def config_show():
    """Print every setting, with secrets redacted."""
    settings = _settings()
    table = Table("setting", "value")
    for name, value in settings.redacted().items():
        table.add_row(f"AIDAILY_{name.upper()}", value)
    out.print(table)


@app.command()
def demo():
    """Build a report from the bundled sample feeds, served on loopback; write it under out/."""
    from core.demo.run import run_demo

    settings = _settings()
    run_demo(settings, out, err)


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Report files in the sample-reports Markdown format.")],
):
    """Read Markdown reports into the store (a report of the same date is replaced)."""
    from core.report.importing import import_files

    settings = _settings()
    with Store.open(settings.database_url) as store:
        outcomes = import_files(store, files)
    for outcome in outcomes:
        console = out if outcome.ok else err
        console.print(outcome.line(), markup=False, highlight=False, soft_wrap=True)
    if not all(outcome.ok for outcome in outcomes):
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A follow-up question, e.g. 'more on GPT-5.2'.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print {found, answer, items} as JSON.")] = False,
):
    """Answer a question from the stored report items, citing them and their sources."""
    import json

    from bot.answer import ask as answer_question
    from core.bots import open_answerer, open_index

    settings = _settings()
    with Store.open(settings.database_url) as store:
        index = open_index(settings, store).current()
        answer = answer_question(index, open_answerer(settings, store), question)
    shown = json.dumps(answer.to_json(), ensure_ascii=False) if as_json else answer.text
    sys.stdout.write(shown + "\n")


@app.command()
def web():
    """Serve the subscription pages (sign-up with double opt-in, preferences, one-click
    unsubscribe) on AIDAILY_WEB_HOST:AIDAILY_WEB_PORT until interrupted."""
    from web.serve import run_web

    run_web(_settings())


bot_app = typer.Typer(no_args_is_help=True, help="Run the follow-up chat bot.")
app.add_typer(bot_app, name="bot")


@bot_app.command("slack")
def bot_slack():
    """Answer mentions, DMs, digest threads and /aidaily in Slack (Socket Mode, or HTTP with
    AIDAILY_SLACK_MODE=http) until interrupted."""
    from bot.slack_bot import run_slack_bot
    from core.bots import open_conversation, slack_bot_options

    settings = _settings()
    with Store.open(settings.database_url) as store:
        try:
            run_slack_bot(open_conversation(settings, store), **slack_bot_options(settings, store))
        except ValueError as exc:  # a missing token or secret for the chosen mode
            raise UserError(str(exc)) from None


@bot_app.command("telegram")
def bot_telegram():
    """Answer commands, questions and replies to digest messages in Telegram (long polling)
    until interrupted; webhook mode runs under `aidaily serve`."""
    from bot.telegram_bot import TelegramBotError, run_telegram_bot
    from core.bots import open_conversation

    settings = _settings()
    if settings.telegram_bot_token is None:
        raise UserError("the Telegram bot needs AIDAILY_TELEGRAM_BOT_TOKEN (from @BotFather)")
    if settings.telegram_mode == "webhook":
        raise UserError("AIDAILY_TELEGRAM_MODE=webhook runs under `aidaily serve`; use polling here")
    token = settings.telegram_bot_token.get_secret_value()
    with Store.open(settings.database_url) as store:
        conversation = open_conversation(settings, store)
        try:
            run_telegram_bot(token, conversation, base_url=settings.telegram_api_url)
        except TelegramBotError as exc:
            raise UserError(str(exc)) from None


# Subscriptions and delivery (see delivery/ and core/channels.py)

subscriptions_app = typer.Typer(no_args_is_help=True, help="Where reports are delivered.")
app.add_typer(subscriptions_app, name="subscriptions")
AddressArgument = Annotated[
    str, typer.Argument(help="slack:CHANNEL_ID, telegram:CHAT_ID[/TOPIC_ID] or email:someone@example.org")
]


@subscriptions_app.command("add")
def subscriptions_add(
    address: AddressArgument,
    sections: Annotated[str | None, typer.Option(help="Only these, e.g. top_headlines,research")] = None,
    language: Annotated[str | None, typer.Option(help="zh-TW or en (default: the report's)")] = None,
    confirmed: Annotated[bool, typer.Option("--confirmed", help="Email: skip double opt-in")] = False,
):
    """Deliver reports to ADDRESS (adding it again updates its options)."""
    from core.subscriptions import new_subscription

    try:
        wanted = new_subscription(address, sections=sections, language=language, confirmed=confirmed)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with Store.open(_settings().database_url) as store:
        saved, created = store.add_subscription(wanted)
    out.print(f"{'added' if created else 'updated'} {saved.target} ({saved.status})", highlight=False)


@subscriptions_app.command("list")
def subscriptions_list():
    """Every subscription with its status, sections and language."""
    from core.delivering import subscriptions_table

    with Store.open(_settings().database_url) as store:
        out.print(subscriptions_table(store.subscriptions()))


@subscriptions_app.command("remove")
def subscriptions_remove(address: AddressArgument):
    """Stop delivering to ADDRESS (its delivery history goes with it)."""
    from core.subscriptions import parse_target

    try:
        channel, target, thread = parse_target(address)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with Store.open(_settings().database_url) as store:
        found = store.find_subscription(channel, target, thread)
        if found is None or found.id is None:
            raise UserError(f"no subscription {address!r}; `aidaily subscriptions list` shows them")
        store.remove_subscription(found.id)
    out.print(f"removed {found.target}", highlight=False)


@app.command("deliver")
def deliver_cmd(
    day: DateOption = None,
    channel: Annotated[str, typer.Option(help="slack, telegram, email or all")] = "all",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write the API calls to out/ instead")] = False,
    queue: Annotated[
        bool, typer.Option("--queue", help="Enqueue the fan-out for `aidaily worker` (PostgreSQL)")
    ] = False,
):
    """Send a stored report (the latest by default) to every confirmed subscription; a repeated
    run sends only what is missing. Without a channel's token it is a dry run."""
    from core.channels import deliver_channels, select_channels
    from core.delivering import runs_report

    try:
        channels = select_channels(channel)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if queue and dry_run:
        raise UserError("a dry run delivers in process: use --dry-run without --queue")
    settings = _settings()
    with Store.open(settings.database_url) as store:
        report = _stored_report(store, _parse_day(day))
        if queue:
            _enqueue(settings, report.date, channels)
            return
        runs = asyncio.run(deliver_channels(store, report, settings, channels, dry_run=dry_run))
    for shown in runs_report(runs):
        out.print(shown, highlight=False)
    if any(run.failed for run in runs):
        raise typer.Exit(1)


def _enqueue(settings: Settings, day: date, channels: list[Channel]) -> None:
    from procrastinate.exceptions import ConnectorException

    from core.service.queue import QueueUnavailable, enqueue_fanout

    try:
        answers = asyncio.run(enqueue_fanout(settings, day, channels))
    except QueueUnavailable as exc:
        raise UserError(str(exc)) from None
    except ConnectorException as exc:
        raise UserError(f"cannot reach the delivery queue: {_first_line(exc)}") from None
    for answer in answers:
        state = "fan-out queued" if answer.queued else f"not queued: {answer.reason}"
        out.print(f"{answer.channel.value}: {state} for {day}", highlight=False)


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=64, help="Batches at once (AIDAILY_WORKER_CONCURRENCY)")
    ] = None,
    queue: Annotated[
        list[str] | None, typer.Option("--queue", help="Only this channel's jobs (repeatable)")
    ] = None,
):
    """Run delivery jobs queued by `aidaily deliver --queue` (PostgreSQL) until SIGTERM, which
    lets the batches in flight finish."""
    from procrastinate.exceptions import ConnectorException

    from core.channels import select_channels
    from core.service.queue import QueueUnavailable, conninfo
    from core.service.worker import configure_logging, run_worker

    settings = _settings()
    try:
        conninfo(settings.database_url)
        queues = [c for name in queue or [] for c in select_channels(name)] or None
    except (QueueUnavailable, ValueError) as exc:
        raise UserError(str(exc)) from None
    configure_logging()
    try:
        asyncio.run(run_worker(settings, concurrency=concurrency, queues=queues))
    except ConnectorException as exc:
        raise UserError(f"cannot reach the delivery queue: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def _stored_report(store: Store, day: date | None) -> Report:
    if day is None:
        dates = store.report_dates()
        if not dates:
            raise UserError("no reports stored yet: run `aidaily build` (or `aidaily demo`) first")
        day = dates[0]
    report = store.get_report(day)
    if report is None:
        raise UserError(f"no report for {day}; `aidaily build --date {day}` builds one")
    return report


@app.command()
def deliveries(day: DateOption = None):
    """What was delivered for a day (the latest by default): per subscription, every message,
    whether it was sent, and why not."""
    from core.delivering import ledger_report

    with Store.open(_settings().database_url) as store:
        parsed = _parse_day(day) or store.latest_delivery_day()
        if parsed is None:
            raise UserError("nothing delivered yet: `aidaily deliver` sends the latest report")
        records, subscriptions = store.delivery_records(parsed), store.subscriptions()
    if not records:
        out.print(f"nothing delivered for {parsed}")
    for table in ledger_report(parsed, records, subscriptions):
        out.print(table, highlight=False)


@app.command()
def serve():
    """Run the service until SIGTERM: the daily fetch, build and delivery at the build time (one
    leader among instances schedules; each day runs once), with JSON logs on stderr."""
    from core.logs import configure_logging
    from core.service.components import service_components
    from core.service.daily import deliver_in_process
    from core.service.serve import serve as run_service

    settings = _settings()
    configure_logging(settings)
    deliver = deliver_in_process
    if settings.delivery_mode == "queue":
        from core.service.queue import QueueUnavailable, conninfo, deliver_queued

        try:
            conninfo(settings.database_url)
        except QueueUnavailable as exc:
            raise UserError(f"AIDAILY_DELIVERY_MODE=queue: {exc}") from None
        deliver = deliver_queued
    with Store.open(settings.database_url) as store:
        components = service_components(settings, store)
        asyncio.run(run_service(settings, components, deliver=deliver))


@app.command()
def runs(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
):
    """The scheduled runs of `aidaily serve`: per day, who ran it, how it ended, and what it did
    (articles, topics, items, LLM calls and tokens, messages per channel, failures, seconds)."""
    from core.service.listing import runs_json, runs_table

    with Store.open(_settings().database_url) as store:
        recent = store.recent_runs(limit)
    if as_json:
        sys.stdout.write(runs_json(recent))
    else:
        out.print(runs_table(recent), highlight=False)


def main() -> None:
    try:
        app()
    except (UserError, ConfigError, StoreError) as exc:
        # Escaped: a message may quote user input or name a form like telegram:CHAT_ID[/TOPIC_ID].
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2 if isinstance(exc, UserError) else 1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
