"""The Telegram bot's 👍 / 👎: the inline keyboard under each delivered reply of items
(``delivery.telegram_format.vote_keyboard``).

A press arrives as a ``callback_query`` update (long polling or the webhook); it is recorded in a
worker thread (``bot.feedback.press``) for the reader, the Telegram user who pressed, and answered
with ``answerCallbackQuery``: a short toast that only they see; the digest message is left as it
is (a group's members each have their own vote). The callback query's id is the press's id, so
an update delivered twice (a webhook retry, a replay) counts once; its second answer, which
Telegram refuses, is not an error. Data that is no button of ours (a modified client may send
anything) records nothing and is answered so.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.feedback import Ballot, press
from core.models import Channel

log = logging.getLogger(__name__)


def vote_handler(ballot: Ballot) -> CallbackQueryHandler:
    """The handler of every callback query: the vote buttons are the bot's only ones."""

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        code = (query.from_user.language_code or "").lower()
        language = ("zh" if code.startswith("zh") else "en") if code else None
        _, line = await asyncio.to_thread(
            press,
            ballot,
            Channel.TELEGRAM,
            str(query.from_user.id),
            query.data,
            event=query.id,
            language=language,
        )
        try:
            await query.answer(line)
        except TelegramError as exc:  # answered already (a replay), or too late
            log.info("telegram: callback query %s not answered: %s", query.id, type(exc).__name__)

    return CallbackQueryHandler(on_press)
