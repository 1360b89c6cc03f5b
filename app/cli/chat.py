"""Commands of the follow-up bot: ask one question, or run the Slack or Telegram bot."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from app.cli.common import UserError, current_settings
from core.store.store import Store

app = typer.Typer()
bot_app = typer.Typer(no_args_is_help=True, help="Run the follow-up chat bot.")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A follow-up question, e.g. 'more on GPT-5.2'.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print {found, answer, items} as JSON.")] = False,
):
    """Answer a question from the stored report items, citing them and their sources."""
    import json

    from app.bots import current_index, open_answerer
    from bot.answer import ask as answer_question

    settings = current_settings()
    with Store.open(settings.database_url) as store:
        index = current_index(settings, store)()
        answer = answer_question(index, open_answerer(settings, store), question)
    shown = json.dumps(answer.to_json(), ensure_ascii=False) if as_json else answer.text
    sys.stdout.write(shown + "\n")


@bot_app.command("slack")
def bot_slack():
    """Answer mentions, DMs, digest threads and /aidaily in Slack (Socket Mode, or HTTP with
    AIDAILY_SLACK_MODE=http) until interrupted."""
    from app.bots import open_conversation, open_slack_bot
    from bot.slack_bot import run_slack_bot
    from core.config import ConfigError

    settings = current_settings()
    with Store.open(settings.database_url) as store:
        try:
            bot = open_slack_bot(settings, store, open_conversation(settings, store))
        except ConfigError as exc:
            raise UserError(str(exc)) from None
        if bot is None:
            raise UserError("the Slack bot needs AIDAILY_SLACK_BOT_TOKEN, or the OAuth client id and secret")
        run_slack_bot(bot.app, app_token=bot.app_token, host=settings.web_host, port=settings.web_port)


@bot_app.command("telegram")
def bot_telegram():
    """Answer commands, questions and replies to digest messages in Telegram (long polling)
    until interrupted; webhook mode runs under `aidaily serve`."""
    from app.bots import open_conversation
    from bot.telegram_bot import TelegramBotError, run_telegram_bot

    settings = current_settings()
    if settings.telegram_bot_token is None:
        raise UserError("the Telegram bot needs AIDAILY_TELEGRAM_BOT_TOKEN (from @BotFather)")
    if settings.telegram_mode == "webhook":
        raise UserError("AIDAILY_TELEGRAM_MODE=webhook runs under `aidaily serve`; use polling here")
    token = settings.telegram_bot_token.get_secret_value()
    with Store.open(settings.database_url) as store:
        conversation = open_conversation(settings, store)
        try:
            run_telegram_bot(token, conversation, base_url=settings.telegram_api_url, ballot=store)
        except TelegramBotError as exc:
            raise UserError(str(exc)) from None
