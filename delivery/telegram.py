"""Telegram delivery: the day's report as a header and one reply thread per section.

Setup
-----
1. **Create the bot.** In Telegram, talk to @BotFather: ``/newbot``, give it a name and a user
   name ending in ``bot``. BotFather answers with a token such as ``123456:ABC-DEF...``; set it as
   ``AIDAILY_TELEGRAM_BOT_TOKEN`` (environment only, never in a file that is committed; ``/revoke``
   in BotFather replaces a leaked one).
2. **Let it post.**
   - *Group or supergroup:* add the bot as a member (group info → Add members → its user name).
     Privacy mode only limits what the bot *reads*; it may post either way.
   - *Channel:* add the bot as an administrator with the "Post messages" right.
   - *Private chat:* the user must open the bot and press Start first; bots cannot start chats.
3. **Find the chat id.** Post any message in the group (in a channel: any post), then open
   ``https://api.telegram.org/bot<TOKEN>/getUpdates`` in a browser and read ``"chat": {"id": ...}``.
   Supergroups and channels have ids starting with ``-100``, basic groups other negative numbers,
   private chats positive ones. (getUpdates answers ``Conflict`` while a webhook is set or another
   process polls: stop the chat bot for a moment.) When a basic group is upgraded to a supergroup
   its id changes; a delivery to the old id fails permanently with a message naming the new one.
4. **Forum topics.** In a supergroup with Topics turned on, a subscription may name a topic:
   "Copy Link" on a message in it gives ``https://t.me/c/1234567890/45/678``, where ``45`` is the
   topic id. Subscribe with ``aidaily subscriptions add telegram:-1001234567890/45``; without a
   topic, messages go to General. The bot needs the right to post in that topic (a closed topic
   refuses bots that are not admins).
5. **Subscribe** with ``aidaily subscriptions add telegram:CHAT_ID[/TOPIC_ID]`` (``--sections``
   to choose sections) and deliver with ``aidaily deliver --channel telegram``.

Settings (read by the composition root, handed to :class:`TelegramAdapter`):
``AIDAILY_TELEGRAM_BOT_TOKEN``; ``AIDAILY_TELEGRAM_API_URL`` (Bot API base, default
``https://api.telegram.org/bot``, the token is appended; point it at a Local Bot API Server or a
test fake); ``AIDAILY_PUBLIC_URL`` (the header links to ``{public_url}/reports/{date}/``).

What is sent
------------
:meth:`TelegramAdapter.plan` gives, in order: ``header`` (title, date, counts, archive link — the
one message with a link preview, since a card of the archive page helps); then per non-empty
section the subscription wants (the item sections, then ``insight`` and ``reading``, as for
Slack), ``section:<key>`` (heading and numbered item titles) followed by
``section:<key>/part:<n>``, the items packed into as few messages as Telegram's limits allow
(:mod:`delivery.telegram_format`), each a reply to the section message. With
``AIDAILY_FEEDBACK_BUTTONS`` on (the default) a reply of items carries an inline keyboard, a row
of 👍 / 👎 per item, numbered as the items are; the presses reach the Telegram bot (``aidaily
bot telegram`` or ``aidaily serve``), which records them. Replies are sent with
``allow_sending_without_reply=False``: if the parent is gone, the reply fails instead of
appearing out of context. With a topic, every message carries its ``message_thread_id``.

Limits and errors
-----------------
:class:`Pacing` keeps to Telegram's published limits (1 message per second per chat, 20 per minute
per group or channel, 30 per second overall) with the shared pacer of :mod:`core.platforms.pacing`.
A ``RetryAfter`` (429) pauses sending for the time Telegram asks, then the message is retried,
up to ``max_retries`` times.

Failures become :class:`~delivery.base.DeliveryError`. Permanent (this subscription cannot be
served until someone acts): the bot was kicked, blocked or lacks rights (403 Forbidden, "not
enough rights"), the chat does not exist or was migrated, the topic is gone, or the parent of a
reply was deleted — "permanent for this run": the ledger still holds the deleted parent's id, so
a later run fails the same way until that section's entries are cleared. Not permanent: network
errors, timeouts, a rejected token, flood control that outlasts the retries, and any other bad
request (most likely a bug of ours, fixed and re-run). A timeout may hide a message Telegram did
accept; re-running then sends that one message again, the one duplicate no client can rule out.
"""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError

from core.models import Report, Subscription
from core.platforms.telegram_api import DEFAULT_API_URL, Pacing
from core.report.rendering.labels import Labels, labels_for
from delivery.base import DeliveryError, OutgoingMessage
from delivery.dryrun import CallLog, placeholder
from delivery.telegram_format import (
    LIMITS,
    PARSE_MODE,
    Limits,
    Thread,
    archive_url,
    render_header,
    render_index,
    render_parts,
    threads,
    vote_keyboard,
)

# Bad requests that no retry can cure: the chat, topic or parent is gone, or the bot may not post.
_PERMANENT_BAD_REQUESTS = (
    "chat not found",
    "message thread not found",
    "topic_deleted",
    "topic_closed",
    "message to be replied not found",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "group chat was upgraded",
)
_NUMERIC = re.compile(r"-?\d+")


class TelegramAdapter:
    """The Telegram channel of :mod:`delivery.base`; see the module docstring."""

    channel = "telegram"

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_API_URL,
        public_url: str | None = None,
        pacing: Pacing | None = None,
        max_retries: int = 5,
        limits: Limits = LIMITS,
        calls: CallLog | None = None,
        votes: bool = False,
    ) -> None:
        self._token, self._base_url = token, base_url
        self._votes = votes  # 👍 / 👎 under each item (the Telegram bot records the presses)
        self._public_url = public_url
        self._pacing = pacing or Pacing()
        self._max_retries = max_retries
        self._limits = limits
        self._calls = calls
        self._starting: asyncio.Task[Bot] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def dry_run(
        cls, calls: CallLog, *, public_url: str | None = None, limits: Limits = LIMITS, votes: bool = False
    ) -> TelegramAdapter:
        """An adapter that writes each sendMessage call to ``calls`` instead of sending it, and
        answers with a placeholder id (``"<message_id of section:research>"``)."""
        return cls("", public_url=public_url, limits=limits, calls=calls, votes=votes)

    # --- plan: pure ---------------------------------------------------------------------------

    def plan(self, report: Report, subscription: Subscription) -> list[OutgoingMessage]:
        labels = labels_for(subscription.language or report.language)
        wanted = [thread for thread in threads(report, labels) if subscription.wants(thread.key)]
        item_sections = [s for s in report.sections if s.items and subscription.wants(s.key)]
        header = render_header(report, item_sections, labels, self._public_url)
        messages = [OutgoingMessage("header", None, _payload(header, archive_url(self._public_url, report)))]
        for thread in wanted:
            messages += self._thread_messages(report, thread, labels)
        return messages

    def _thread_messages(self, report: Report, thread: Thread, labels: Labels) -> list[OutgoingMessage]:
        parent = f"section:{thread.key}"
        messages = [OutgoingMessage(parent, thread.key, _payload(render_index(thread, labels, self._limits)))]
        for number, text in enumerate(render_parts(thread, self._limits), 1):
            payload = _payload(text)
            if self._votes and (keyboard := vote_keyboard(report.date, thread, text)):
                payload["reply_markup"] = keyboard
            messages.append(OutgoingMessage(f"{parent}/part:{number}", thread.key, payload, parent))
        return messages

    # --- send: one API call, paced and retried ------------------------------------------------

    async def send(self, message: OutgoingMessage, subscription: Subscription, parent_id: str | None) -> str:
        params = api_params(message, subscription, parent_id)
        if self._calls is not None:  # a dry run: the call is written down, nothing is sent
            self._calls.record("sendMessage", params)
            return placeholder("message_id", message.key)
        chat = str(params["chat_id"])
        bot = await self._ready()
        # One message at a time per chat, even for two subscriptions of one forum's topics.
        async with self._locks.setdefault(chat, asyncio.Lock()):
            return await self._send_paced(bot, chat, params)

    async def _send_paced(self, bot: Bot, chat: str, params: dict[str, Any]) -> str:
        for _ in range(self._max_retries + 1):
            await self._pacing.wait(chat)
            try:
                sent = await bot.send_message(**_ptb_arguments(params))
            except RetryAfter as exc:
                self._pacing.hold(_seconds(exc))  # refused, not sent: the same message again
                continue
            except TelegramError as exc:
                raise self._error(exc) from exc
            return str(sent.message_id)
        raise DeliveryError(f"flood control: still limited after {self._max_retries} retries")

    async def _ready(self) -> Bot:
        """The Bot, initialised (getMe) once per event loop, however many sends ask at once. Its
        HTTP client and the chat locks belong to one loop, so a caller that runs each delivery
        in a new loop gets fresh ones each time."""
        loop = asyncio.get_running_loop()
        if self._starting is None or self._loop is not loop:
            self._loop, self._locks = loop, {}
            self._starting = loop.create_task(self._start())
        try:
            return await asyncio.shield(self._starting)
        except DeliveryError:
            self._starting = None  # the next send tries again
            raise

    async def _start(self) -> Bot:
        bot = Bot(self._token, base_url=self._base_url)
        try:
            await bot.initialize()
        except TelegramError as exc:
            raise self._error(exc) from exc
        return bot

    async def connect(self) -> None:
        """Build the client and check the token (getMe) now rather than on the first send; a
        dry run has nothing to connect."""
        if self._calls is None:
            await self._ready()

    async def aclose(self) -> None:
        """Close the HTTP client; the next send opens a new one."""
        starting, self._starting = self._starting, None
        if starting is not None and self._loop is asyncio.get_running_loop():
            if starting.done() and not starting.cancelled() and starting.exception() is None:
                await starting.result().shutdown()
            elif not starting.done():
                starting.cancel()
        self._loop = None

    async def __aenter__(self) -> TelegramAdapter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _error(self, exc: TelegramError) -> DeliveryError:
        """The DeliveryError for ``exc``; the token never appears in its text."""
        text = f"{type(exc).__name__}: {exc.message}"
        if self._token:
            text = text.replace(self._token, "<token>")
        if isinstance(exc, ChatMigrated):
            text = f"the group became supergroup {exc.new_chat_id}: subscribe that id instead"
        return DeliveryError(text, permanent=_is_permanent(exc))


def _is_permanent(exc: TelegramError) -> bool:
    if isinstance(exc, Forbidden | ChatMigrated):
        return True
    if isinstance(exc, InvalidToken):
        return False  # the operator's token, not this subscription, is wrong
    return isinstance(exc, BadRequest) and any(p in exc.message.lower() for p in _PERMANENT_BAD_REQUESTS)


def _seconds(exc: RetryAfter) -> float:
    # PTB 22 deprecates reading retry_after as an int (it becomes a timedelta); accept both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# --- the API call, as plain data (also what a dry run records) --------------------------------


def _payload(text: str, preview_url: str | None = None) -> dict[str, Any]:
    """sendMessage parameters without routing. Previews are off unless a URL is worth a card."""
    preview = {"is_disabled": False, "url": preview_url} if preview_url else {"is_disabled": True}
    return {"text": text, "parse_mode": PARSE_MODE, "link_preview_options": preview}


def api_params(message: OutgoingMessage, subscription: Subscription, parent_id: str | None) -> dict[str, Any]:
    """The exact sendMessage parameters for ``message``: its payload plus chat, topic and reply."""
    params: dict[str, Any] = {"chat_id": chat_id(subscription.address), **message.payload}
    if subscription.thread:
        params["message_thread_id"] = _topic_id(subscription.thread)
    if message.parent is not None:
        if parent_id is None:
            raise DeliveryError(f"{message.key}: its parent {message.parent} was not sent")
        # A lost parent must fail the send, not leave a reply floating without its section.
        params["reply_parameters"] = {"message_id": _number(parent_id), "allow_sending_without_reply": False}
    return params


def _topic_id(thread: str) -> int:
    if not _NUMERIC.fullmatch(thread):
        raise DeliveryError(f"topic id {thread!r} is not a number", permanent=True)
    return int(thread)


def chat_id(address: str) -> int | str:
    """A numeric chat id as an int; an ``@channelusername`` as it is."""
    return _number(address)


def _number(value: str) -> int | str:
    """An id as the API wants it; a dry run's placeholder id stays text."""
    return int(value) if _NUMERIC.fullmatch(value) else value


def _ptb_arguments(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with the nested objects as python-telegram-bot wants them."""
    arguments = dict(params)
    if "link_preview_options" in arguments:
        arguments["link_preview_options"] = LinkPreviewOptions(**arguments["link_preview_options"])
    if "reply_parameters" in arguments:
        arguments["reply_parameters"] = ReplyParameters(**arguments["reply_parameters"])
    if "reply_markup" in arguments:
        rows = arguments["reply_markup"]["inline_keyboard"]
        arguments["reply_markup"] = InlineKeyboardMarkup(
            [[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row] for row in rows]
        )
    return arguments
