"""The ``aidaily`` command: the composition root that reads settings and wires the pipeline.

One module per command group (``reports``, ``delivery``, ``chat``, ``service``), each with a
Typer app of its own; this module joins them. Mistakes a user can make (a bad date, an
unreachable database, an unknown source, a broken configuration file) end with one line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from app.cli import chat, delivery, feedback, reports, service
from app.cli.common import UserError, err
from core.config import ConfigError
from core.store.db import StoreError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="AI Daily: a morning briefing of AI news.",
)
for group in (reports, chat, delivery, service, feedback):
    for command in group.app.registered_commands:
        app.registered_commands.append(command)
app.add_typer(reports.config_app, name="config")
app.add_typer(chat.bot_app, name="bot")
app.add_typer(delivery.subscriptions_app, name="subscriptions")


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
