"""The Telegram chat bot: commands and follow-up questions, answered from the stored reports.

Setup
-----
1. The bot is the one that delivers the digest (``AIDAILY_TELEGRAM_BOT_TOKEN``, see
   :mod:`delivery.telegram`): a reply to a delivered digest message is a follow-up on its items.
2. **Privacy mode** (BotFather ``/setprivacy``): on (the default), in groups the bot receives only
   commands, replies to its own messages and messages that mention it, which is all it answers;
   turn it off only if you want it to see everything (it still answers only those).
3. **Receiving updates** (``AIDAILY_TELEGRAM_MODE``):

   - ``polling`` (the default; no public address needed): :func:`polling` deletes any webhook,
     then long-polls ``getUpdates``. ``aidaily bot telegram`` runs :func:`run_telegram_bot`.
   - ``webhook``: Telegram POSTs each update to ``{AIDAILY_PUBLIC_URL}/telegram/webhook`` (an
     HTTPS URL on port 443, 80, 88 or 8443), with ``AIDAILY_TELEGRAM_WEBHOOK_SECRET`` (1-256 of
     ``A-Z a-z 0-9 _ -``) in a header that :mod:`bot.telegram_webhook` checks; the web app serves
     the route and :func:`bot.telegram_webhook.webhook` registers it. getUpdates stops working
     while a webhook is set: switch back to polling and the webhook is deleted.

4. On start the command menu is registered with ``setMyCommands``, in English and (for users
   whose Telegram is in Chinese) in Chinese.

What it answers
---------------
``/start``, ``/help``, ``/today``, ``/more <topic>``, ``/subscribe [sections]``,
``/unsubscribe``, ``/sections [list|all]`` (:class:`bot.conversation.Conversation` decides what
they say). A command addressed to another bot (``/today@otherbot``) is not ours and is ignored;
an unknown command gets the help text in a private chat, or in a group when addressed to us
(a bare ``/frobnicate`` in a group may be another bot's). Free text is a question in a private
chat; in a group when it mentions the bot or replies to one of its messages. A reply to a digest
message (one our delivery sent, found in the ledger) is a follow-up on that message's items. In
a forum topic the answer goes to the same topic, and ``/subscribe`` subscribes that topic.
In a group, ``/subscribe``, ``/unsubscribe`` and ``/sections <choice>`` are for its
administrators (``getChatMember``: creator or administrator, or an anonymous admin writing as the
group); other members are told so. In a private chat the user decides.

👍 / 👎 under a delivered item: the vote is recorded and the one who pressed gets a toast saying
so (:mod:`bot.telegram_feedback`).

Answers reply to the message that asked, paced to Telegram's limits (:class:`Pacing`, with
``RetryAfter`` honoured). An error while answering is logged in one line (never the token) and
the user is told something went wrong; the bot goes on.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import timedelta

from telegram import Bot, BotCommand, ChatMember, LinkPreviewOptions, Message, ReplyParameters, Update, User
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.conversation import (
    COMMANDS,
    COMMANDS_ZH,
    Chat,
    Conversation,
    DigestContext,
    Reply,
    changes_subscription,
)
from bot.feedback import Ballot
from bot.telegram_feedback import vote_handler
from bot.telegram_reply import render_reply
from core.logs import hide_in_logs
from core.models import Channel
from core.platforms.telegram_api import DEFAULT_API_URL, Pacing

log = logging.getLogger(__name__)

#: The only updates the bot asks Telegram for: new messages (not edits, not channel posts), and
#: presses of the 👍 / 👎 under delivered items.
ALLOWED_UPDATES = ("message", "callback_query")
#: Long-poll seconds of one getUpdates call.
POLL_TIMEOUT = 30.0
#: Updates answered at once (each mostly waits on the store or the LLM in a thread).
CONCURRENT_UPDATES = 16
_FAILED = {
    "en": "Sorry, something went wrong while answering. Please try again later.",
    "zh": "抱歉，回答時發生錯誤，請稍後再試。",
}
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def build_application(
    token: str,
    conversation: Conversation,
    *,
    base_url: str = DEFAULT_API_URL,
    pacing: Pacing | None = None,
    max_retries: int = 3,
    ballot: Ballot | None = None,
) -> Application:
    """A python-telegram-bot ``Application`` answering with ``conversation`` (and, with
    ``ballot``, recording the 👍 / 👎 under delivered items there); start it with
    :func:`polling` or :func:`bot.telegram_webhook.webhook`."""
    handlers = _Handlers(conversation, pacing or Pacing(), max_retries)
    hide_in_logs([token])  # httpx logs each request URL, and a Bot API URL carries the token
    builder = ApplicationBuilder().token(token).base_url(base_url).concurrent_updates(CONCURRENT_UPDATES)
    application = builder.job_queue(None).build()  # no JobQueue: the service has its own scheduler
    new_messages = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler([n for n, _ in COMMANDS], handlers.command, filters=new_messages))
    application.add_handler(MessageHandler(filters.COMMAND & new_messages, handlers.command))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & new_messages, handlers.text))
    if ballot is not None:
        application.add_handler(vote_handler(ballot))
    application.add_error_handler(handlers.error)
    return application


async def register_commands(bot: Bot) -> None:
    """The command menu, in English and for Chinese-speaking users in Chinese."""
    await bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    chinese = [BotCommand(name, COMMANDS_ZH.get(name, text)) for name, text in COMMANDS]
    await bot.set_my_commands(chinese, language_code="zh")


class TelegramBotError(Exception):
    """The bot could not start (a rejected token, an unreachable API); one line, never the token."""


def describe(exc: BaseException, token: str) -> str:
    """``exc`` in one line with ``token`` replaced: python-telegram-bot puts a rejected token in the
    text of its InvalidToken, and URLs (with the token) in some network errors."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text.replace(token, "<token>") if token else text


@contextmanager
def token_free_errors(token: str) -> Iterator[None]:
    """Telegram errors raised inside the block as :class:`TelegramBotError` without the token."""
    try:
        yield
    except TelegramError as exc:
        raise TelegramBotError(describe(exc, token)) from None


@asynccontextmanager
async def polling(application: Application, *, timeout: float = POLL_TIMEOUT) -> AsyncIterator[Application]:
    """The bot answering updates from long polling while the block runs, inside the caller's event
    loop (beside a scheduler and a web app); on exit polling stops and the client is closed."""
    with token_free_errors(application.bot.token):
        async with application:  # getMe; shutdown on exit
            await register_commands(application.bot)
            # start_polling deletes any webhook first: Telegram refuses getUpdates while one is set.
            await application.updater.start_polling(timeout=timeout, allowed_updates=list(ALLOWED_UPDATES))
            await application.start()
            try:
                yield application
            finally:
                await application.updater.stop()
                await application.stop()


def run_telegram_bot(
    token: str, conversation: Conversation, *, base_url: str = DEFAULT_API_URL, ballot: Ballot | None = None
) -> None:
    """Run the bot by long polling until SIGINT or SIGTERM (``aidaily bot telegram``); a start-up
    failure raises :class:`TelegramBotError`."""
    application = build_application(token, conversation, base_url=base_url, ballot=ballot)
    asyncio.run(_poll_until_stopped(application))


async def _poll_until_stopped(application: Application) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    async with polling(application):
        log.info("telegram bot @%s is polling for updates", application.bot.username)
        await stop.wait()


class _Handlers:
    """The update handlers: a message in, a ``Chat`` and a command or question to the conversation,
    the reply out as HTML messages."""

    def __init__(self, conversation: Conversation, pacing: Pacing, max_retries: int) -> None:
        self._conversation = conversation
        self._pacing = pacing
        self._max_retries = max_retries

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        command = _command(message, context.bot.username)
        if command is None:
            return
        name, argument = command
        known = name in dict(COMMANDS)
        if not known and message.chat.type != ChatType.PRIVATE and "@" not in message.text.split()[0]:
            return  # a bare unknown command in a group may be another bot's
        chat = _chat(message, update.effective_user)
        if changes_subscription(name, argument):
            chat = replace(chat, admin=await _administers(context.bot, message, update.effective_user))
        reply = await asyncio.to_thread(self._conversation.command, chat, name, argument)
        await self._answer(context.bot, message, reply)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        bot = context.bot
        chat = _chat(message, update.effective_user)
        replied = _replied(message)
        ours = replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
        digest = await self._digest(chat, replied) if ours else None
        if not (ours or message.chat.type == ChatType.PRIVATE or _mentions(message, bot.username)):
            return
        question = _without_mention(message.text, bot.username)
        reply = await asyncio.to_thread(self._conversation.question, chat, question, digest)
        await self._answer(bot, message, reply)

    async def _digest(self, chat: Chat, replied: Message | None) -> DigestContext | None:
        """The digest message ``replied`` is, when our delivery sent it."""
        if replied is None:
            return None
        quoted = replied.text or replied.caption or ""
        return await asyncio.to_thread(
            self._conversation.digest_context, chat, str(replied.message_id), quoted_text=quoted
        )

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One log line, without the token; the user hears that the answer failed."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram: update %s failed: %s", update_id, describe(context.error, context.bot.token))
        message = update.effective_message if isinstance(update, Update) else None
        if message is None or isinstance(context.error, RetryAfter):
            return
        user = update.effective_user if isinstance(update, Update) else None
        text = _FAILED["zh" if _language(user) == "zh" else "en"]
        try:
            await self._send(context.bot, message, text)
        except TelegramError as exc:
            log.error("telegram: could not tell chat %s: %s", message.chat_id, type(exc).__name__)

    async def _answer(self, bot: Bot, asked: Message, reply: Reply) -> None:
        for html in render_reply(reply):
            await self._send(bot, asked, html)

    async def _send(self, bot: Bot, asked: Message, html: str) -> Message:
        """One message replying to ``asked`` in its chat and topic, paced; after a RetryAfter the
        same message again, up to ``max_retries`` times."""
        for attempt in range(self._max_retries + 1):
            await self._pacing.wait(str(asked.chat_id))
            try:
                return await bot.send_message(
                    asked.chat_id,
                    html,
                    parse_mode=ParseMode.HTML,
                    message_thread_id=_topic(asked),
                    link_preview_options=_NO_PREVIEW,
                    reply_parameters=ReplyParameters(asked.message_id, allow_sending_without_reply=True),
                )
            except RetryAfter as exc:
                if attempt == self._max_retries:
                    raise
                self._pacing.hold(_retry_seconds(exc))
        raise AssertionError("unreachable")  # the loop returns or raises


def _command(message: Message, username: str) -> tuple[str, str] | None:
    """(name, argument) of a ``/name[@bot] argument`` message; None when addressed to another bot.
    The command entity starts the text (``filters.COMMAND``) and is ASCII, so its UTF-16 length
    is its length in characters."""
    text = message.text or ""
    length = message.entities[0].length
    name, _, addressee = text[1:length].partition("@")
    if addressee and addressee.lower() != username.lower():
        return None
    return name.lower(), text[length:].strip()


def _chat(message: Message, user: User | None) -> Chat:
    topic = _topic(message)
    return Chat(
        Channel.TELEGRAM,
        str(message.chat_id),
        str(topic) if topic is not None else None,
        _language(user),
        user=str(user.id) if user is not None else None,
    )


_RUNS_THE_CHAT = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})


async def _administers(bot: Bot, message: Message, user: User | None) -> bool:
    """Whether the sender may change what this chat receives: in a private chat always; in a group
    its creator and administrators, and an anonymous administrator (who writes as the group
    itself). When Telegram cannot say, no: the change is refused, never made by mistake."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    if message.sender_chat is not None and message.sender_chat.id == message.chat_id:
        return True
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(message.chat_id, user.id)
    except TelegramError as exc:
        log.warning("telegram: getChatMember in chat %s failed: %s", message.chat_id, type(exc).__name__)
        return False
    return member.status in _RUNS_THE_CHAT


def _topic(message: Message) -> int | None:
    """The forum topic of ``message``; outside forums ``message_thread_id`` names a reply chain."""
    return message.message_thread_id if message.is_topic_message else None


def _language(user: User | None) -> str | None:
    code = (user.language_code or "").lower() if user is not None else ""
    if not code:
        return None
    return "zh" if code.startswith("zh") else "en"


def _replied(message: Message) -> Message | None:
    """The message ``message`` replies to. In a forum Telegram gives a topic's messages the
    topic's creation as ``reply_to_message`` when they reply to nothing: that is no reply."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return None
    return replied


def _mentions(message: Message, username: str) -> bool:
    mentions = message.parse_entities([MessageEntityType.MENTION]).values()
    return any(mention.lower() == f"@{username.lower()}" for mention in mentions)


def _without_mention(text: str, username: str) -> str:
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).strip()


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 deprecates the int form of retry_after
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
