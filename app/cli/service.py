"""Commands of the long-running service: web, serve, and the record of its runs."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from app.cli.common import UserError, current_settings, out
from core.store.store import Store

app = typer.Typer()


@app.command()
def web():
    """Serve the subscription pages (sign-up with double opt-in, preferences, one-click
    unsubscribe) on AIDAILY_WEB_HOST:AIDAILY_WEB_PORT until interrupted."""
    from app.web import run_web

    run_web(current_settings())


@app.command()
def serve():
    """Run the service until SIGTERM: the daily fetch, build and delivery at the build time (one
    leader among instances schedules; each day runs once), with JSON logs on stderr."""
    from app.service.components import service_components
    from app.service.daily import deliver_in_process
    from app.service.serve import serve as run_service
    from core.logs import configure_logging

    settings = current_settings()
    configure_logging(settings.log_level, settings.secret_values())
    deliver = deliver_in_process
    if settings.delivery_mode == "queue":
        from app.service.queue import QueueUnavailable, conninfo, deliver_queued

        try:
            conninfo(settings.database_url)
        except QueueUnavailable as exc:
            raise UserError(f"AIDAILY_DELIVERY_MODE=queue: {exc}") from None
        deliver = deliver_queued
    from bot.telegram_bot import TelegramBotError

    with Store.open(settings.database_url) as store:
        components = service_components(settings, store)
        try:
            asyncio.run(run_service(settings, components, deliver=deliver))
        except TelegramBotError as exc:  # a rejected token: the bot cannot start, so neither can we
            raise UserError(f"the Telegram bot could not start: {exc}") from None


@app.command()
def runs(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")] = False,
):
    """The scheduled runs of `aidaily serve`: per day, who ran it, how it ended, and what it did
    (articles, topics, items, LLM calls and tokens, messages per channel, failures, seconds)."""
    from app.service.listing import runs_json, runs_table

    with Store.open(current_settings().database_url) as store:
        recent = store.recent_runs(limit)
    if as_json:
        sys.stdout.write(runs_json(recent))
    else:
        out.print(runs_table(recent), highlight=False)
