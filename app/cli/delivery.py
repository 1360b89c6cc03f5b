"""Commands on subscriptions and delivery: subscriptions, deliver, worker, deliveries."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

import typer

from app.cli.common import DateOption, UserError, current_settings, first_line, out, parse_day, stored_report
from core.config import Settings
from core.models import Channel, SlackWorkspace
from core.store.store import Store

app = typer.Typer()
subscriptions_app = typer.Typer(no_args_is_help=True, help="Where reports are delivered.")
AddressArgument = Annotated[
    str, typer.Argument(help="slack:CHANNEL_ID, telegram:CHAT_ID[/TOPIC_ID] or email:someone@example.org")
]


@subscriptions_app.command("add")
def subscriptions_add(
    address: AddressArgument,
    sections: Annotated[str | None, typer.Option(help="Only these, e.g. top_headlines,research")] = None,
    language: Annotated[str | None, typer.Option(help="zh-TW or en (default: the report's)")] = None,
    confirmed: Annotated[bool, typer.Option("--confirmed", help="Email: skip double opt-in")] = False,
    workspace: Annotated[
        str | None, typer.Option(help="Slack: the workspace (T0123ABCD) whose OAuth installation posts")
    ] = None,
):
    """Deliver reports to ADDRESS (adding it again updates its options)."""
    from core.subscriptions import new_subscription

    try:
        wanted = new_subscription(
            address, sections=sections, language=language, confirmed=confirmed, workspace=workspace
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with Store.open(current_settings().database_url) as store:
        saved, created = store.add_subscription(wanted)
    out.print(f"{'added' if created else 'updated'} {saved.target} ({saved.status})", highlight=False)


@subscriptions_app.command("list")
def subscriptions_list():
    """Every subscription with its status, sections and language."""
    from app.delivery_output import subscriptions_table

    with Store.open(current_settings().database_url) as store:
        out.print(subscriptions_table(store.subscriptions()))


@subscriptions_app.command("remove")
def subscriptions_remove(address: AddressArgument):
    """Stop delivering to ADDRESS (its delivery history goes with it)."""
    from core.subscriptions import parse_target

    try:
        channel, target, thread = parse_target(address)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with Store.open(current_settings().database_url) as store:
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
    from app.channels import check_email_secrets, deliver_channels, select_channels
    from app.delivery_output import runs_report

    try:
        channels = select_channels(channel)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if queue and dry_run:
        raise UserError("a dry run delivers in process: use --dry-run without --queue")
    settings = current_settings()
    check_email_secrets(settings, channels, dry_run=dry_run)
    with Store.open(settings.database_url) as store:
        report = stored_report(store, parse_day(day))
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

    from app.service.queue import QueueUnavailable, enqueue_fanout

    try:
        answers = asyncio.run(enqueue_fanout(settings, day, channels))
    except QueueUnavailable as exc:
        raise UserError(str(exc)) from None
    except ConnectorException as exc:
        raise UserError(f"cannot reach the delivery queue: {first_line(exc)}") from None
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

    from app.channels import CHANNELS, check_email_secrets, select_channels
    from app.service.queue import QueueUnavailable, conninfo
    from app.service.worker import configure_logging, run_worker

    settings = current_settings()
    try:
        conninfo(settings.database_url)
        queues = [c for name in queue or [] for c in select_channels(name)] or None
    except (QueueUnavailable, ValueError) as exc:
        raise UserError(str(exc)) from None
    check_email_secrets(settings, queues or CHANNELS)
    configure_logging()
    try:
        asyncio.run(run_worker(settings, concurrency=concurrency, queues=queues))
    except ConnectorException as exc:
        raise UserError(f"cannot reach the delivery queue: {first_line(exc)}") from None


@app.command()
def deliveries(day: DateOption = None):
    """What was delivered for a day (the latest by default): per subscription, every message,
    whether it was sent, and why not; then any Slack workspace whose installation was revoked."""
    from app.delivery_output import ledger_report, revoked_lines

    settings = current_settings()
    with Store.open(settings.database_url) as store:
        parsed = parse_day(day) or store.latest_delivery_day()
        if parsed is None:
            raise UserError("nothing delivered yet: `aidaily deliver` sends the latest report")
        records, subscriptions = store.delivery_records(parsed), store.subscriptions()
        workspaces = _slack_workspaces(settings, store)
    if not records:
        out.print(f"nothing delivered for {parsed}")
    for table in ledger_report(parsed, records, subscriptions):
        out.print(table, highlight=False)
    for line in revoked_lines(workspaces):
        out.print(line, highlight=False)


@app.command("slack-workspaces")
def slack_workspaces():
    """The Slack workspaces that installed the app through OAuth: when, whether the installation
    still works (if revoked: when and why), and their subscriptions. Tokens are never shown."""
    from app.delivery_output import workspaces_table

    settings = current_settings()
    if settings.slack_client_id is None:
        raise UserError(
            "AIDAILY_SLACK_CLIENT_ID is not set: without OAuth, AIDAILY_SLACK_BOT_TOKEN serves one workspace"
        )
    with Store.open(settings.database_url) as store:
        workspaces = _slack_workspaces(settings, store)
        subscriptions = store.subscriptions(Channel.SLACK)
    out.print(workspaces_table(workspaces, subscriptions), highlight=False)


def _slack_workspaces(settings: Settings, store: Store) -> list[SlackWorkspace]:
    """The OAuth installations (none without ``AIDAILY_SLACK_CLIENT_ID``)."""
    from core.store.slack_tokens import TokenKeyError

    if settings.slack_client_id is None:
        return []
    try:
        return store.slack_workspaces(settings.slack_client_id, settings.secret("slack_token_key")).all()
    except TokenKeyError as exc:
        raise UserError(str(exc)) from None
