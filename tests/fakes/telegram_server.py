"""A fake Telegram Bot API on 127.0.0.1 (port 0) that the real python-telegram-bot talks to.

It answers ``POST /bot<token>/<method>`` with JSON or form bodies (python-telegram-bot sends
forms whose nested values are JSON strings) for ``getMe``, ``sendMessage`` and ``close``/``logOut``
(no-ops), and, for the chat bot, ``getUpdates``, ``setWebhook``/``deleteWebhook`` and
``setMyCommands`` (see "Updates" below). It enforces what the real API enforces, with the real
error texts::

    from fakes.telegram_server import TelegramServer

    with TelegramServer(time_scale=0.01) as server:    # 1 Telegram second = 10 ms
        server.add_chat(-1001234, kind="supergroup", forum=True, topics=(45,))
        bot = Bot(server.token, base_url=server.base_url)
        ...
        server.messages                   # every accepted message, in order (see Recorded)
        server.thread(-1001234, parent_id) # the replies to one message
        server.kick(-1001234)             # 403 "Forbidden: bot was kicked from the group chat"
        server.fail_after(5)              # accept 5 more messages, then answer 500 until
        server.fail_after(None)           # told otherwise (a crash half-way)
        server.flood(3, retry_after=2)    # the next 3 sends get 429 retry_after=2
        server.errors                     # (status, description) of every refusal

Checks on ``sendMessage``: the chat exists (``Bad Request: chat not found``) and the bot is in it
(403); ``parse_mode`` HTML is parsed like Telegram does: only the allowed tags, nested properly,
attributes as documented, ``&`` only in ``&lt; &gt; &amp; &quot;`` and numeric entities — anything
else is ``Bad Request: can't parse entities: ...`` with a byte offset; the text after parsing is
1..4096 UTF-16 code units; a reply's ``message_id`` exists in that chat (``Bad Request: message to
be replied not found`` unless ``allow_sending_without_reply``); ``message_thread_id`` names a topic
of that chat (``Bad Request: message thread not found``).

Stricter than Telegram, on purpose: a bare ``&`` is refused (Telegram keeps it as text), and so
is a message with more than 100 entities (Telegram silently drops the formatting past the 100th,
which would lose links without anyone noticing).

Rate limits, in Telegram seconds times ``time_scale``; a message over either gets 429 with
``parameters.retry_after`` (whole Telegram seconds, as the real API):

- per chat, one message per ``per_chat`` second with "short bursts" allowed, as Telegram's FAQ
  puts it: a token bucket of ``burst`` messages. A client that keeps to one a second never meets
  it, however its requests jitter on the way; one that sends faster does within a few messages.
- per group, supergroup or channel, ``group_max`` messages in any ``group_window`` seconds, to
  within ``tolerance`` real seconds: in one process, GC pauses, the GIL and event-loop wake-ups
  shift arrivals by milliseconds (measured up to 5 ms, more on a busy machine), which a scaled
  minute (600 ms at 0.01) must forgive.

Updates: a test plays the user. ``server.user_says(chat, "/today")`` makes a message as Telegram
would deliver it (``bot_command`` and ``mention`` entities, ``reply_to_message`` with the whole
replied message, a forum topic's ``message_thread_id`` and, as Telegram does, the topic's creation
message as ``reply_to_message`` when the user replied to nothing) and queues it for ``getUpdates``,
which long-polls like the real one: ``offset`` confirms (drops) every earlier update, ``timeout``
seconds (real ones) are waited for a new update. ``server.update_for(...)`` builds the same update
without queueing it, for a webhook. ``server.answers(chat, message_id)`` waits for the bot's
replies to that message. While a webhook is set, ``getUpdates`` answers 409 Conflict, as Telegram
does; ``server.webhook`` and ``server.commands`` (per ``language_code``) record what the bot set.

Buttons: a ``sendMessage`` may carry ``reply_markup`` with an ``inline_keyboard`` (checked: rows
of buttons with a text and ``callback_data`` of 1 to 64 bytes, else ``Bad Request:
BUTTON_DATA_INVALID``), kept as ``Recorded.reply_markup``. ``server.press(chat, message_id, row,
column)`` plays a user pressing one: it queues a ``callback_query`` update (``callback_update_for``
builds it without queueing, for a webhook, or with any ``data`` a modified client might send) and
returns the query id (``replay`` queues an update again under a new update id);
``answerCallbackQuery`` must answer a known query once (else ``Bad Request:
query is too old and response timeout expired or query ID is invalid``), and
``server.callback_answers`` keeps what was answered, by query id.

Members: ``getChatMember`` answers a ChatMember object of the member's status, with every field
Telegram sends for it. Everyone who is not told otherwise is a plain ``member``; the user of a
private chat is that chat's ``member``::

    server.set_member(GROUP, USER["id"], "administrator")   # or creator, restricted, left, kicked
    server.user_says(GROUP, "/unsubscribe", anonymous=True)  # an anonymous admin: from
                                                             # GroupAnonymousBot, as the group
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, NoReturn
from urllib.parse import parse_qs, urlsplit

from fakes.loopback import LoopbackServer

MAX_TEXT = 4096
MAX_ENTITIES = 100
BOT = {"id": 7000001, "is_bot": True, "first_name": "AI Daily", "username": "aidaily_test_bot"}

# Tag -> entity type. Attributes are checked in _open_tag.
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s>'\"]+))?)*)\s*>"
)
_ATTRIBUTE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>'\"]+)))?")
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot);|#([0-9]{1,7});|#[xX]([0-9a-fA-F]{1,6});)")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


# --- Telegram HTML, parsed independently of the product's own code ----------------------------


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    name: str
    entity: dict[str, Any]
    start: int  # UTF-16 offset in the parsed text


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's reading of ``source``: the plain text and its entities (UTF-16 offsets)."""
    out: list[str] = []
    length = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    position = 0
    while position < len(source):
        char = source[position]
        if char == "<":
            position = _tag(source, position, stack, entities, length)
            continue
        if char == "&":
            match = _ENTITY.match(source, position)
            if not match:
                _fail(source, position, "Character '&' must be escaped (fake: Telegram would keep it)")
            char = _decode(match)
            position = match.end()
        else:
            position += 1
        out.append(char)
        length += units(char)
    if stack:
        reason = f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        raise ApiError(400, f"Bad Request: can't parse entities: {reason}")
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _tag(source: str, position: int, stack: list[_Open], entities: list[dict[str, Any]], length: int) -> int:
    match = _TAG.match(source, position)
    if not match:
        _fail(source, position, "Unexpected end of name token")
    closing, name, attributes = match.group(1) == "/", match.group(2).lower(), match.group(3)
    if closing:
        if not stack or stack[-1].name != name:
            expected = f'"</{stack[-1].name}>"' if stack else "nothing"
            _fail(source, position, f'Unmatched end tag, expected {expected}, found "</{name}>"')
        opened = stack.pop()
        opened.entity.update(offset=opened.start, length=length - opened.start)
        if opened.entity["length"] > 0:
            entities.append(opened.entity)
    else:
        stack.append(_Open(name, _open_tag(source, position, name, attributes, stack), length))
    return match.end()


def _open_tag(source: str, position: int, name: str, attributes: str, stack: list[_Open]) -> dict[str, Any]:
    if name not in _ENTITY_TYPES:
        _fail(source, position, f'Unsupported start tag "{name}"')
    values = {
        m.group(1).lower(): html.unescape(next((g for g in m.groups()[1:] if g is not None), ""))
        for m in _ATTRIBUTE.finditer(attributes)
    }
    names = [s.name for s in stack]
    if any(n in ("code", "pre") for n in names) and not (name == "code" and names[-1:] == ["pre"]):
        _fail(source, position, f'Tag "{name}" can\'t be inside a "{names[-1]}" entity')
    if name == "blockquote" and "blockquote" in names:
        _fail(source, position, "Blockquote entities can't be nested")
    if name == "a" and "a" in names:
        _fail(source, position, "Links can't be nested")
    entity: dict[str, Any] = {"type": _ENTITY_TYPES[name]}
    if name == "a":
        if not values.get("href", "").strip():
            _fail(source, position, 'Tag "a" must have attribute "href"')
        entity["url"] = values["href"]
    elif name == "span" and values.get("class") != "tg-spoiler":
        _fail(source, position, 'Tag "span" must have class "tg-spoiler"')
    elif name == "blockquote" and "expandable" in values:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji" and not values.get("emoji-id", "").isdigit():
        _fail(source, position, 'Tag "tg-emoji" must have attribute "emoji-id"')
    return entity


def _decode(match: re.Match[str]) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _fail(source: str, position: int, reason: str) -> NoReturn:
    offset = len(source[:position].encode("utf-8"))
    raise ApiError(400, f"Bad Request: can't parse entities: {reason} at byte offset {offset}")


# --- chats, messages, limits ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recorded:
    """One accepted message: ``text`` is what users see, ``html`` what the bot sent."""

    chat_id: int
    message_id: int
    thread: int | None
    reply_to: int | None
    text: str
    html: str
    parse_mode: str | None
    entities: tuple[dict[str, Any], ...]
    link_preview: dict[str, Any] | None
    at: float  # time.monotonic() when accepted
    sender: dict[str, Any] | None = None  # a user's message (update_for); None: the bot's
    reply_markup: dict[str, Any] | None = None  # the inline keyboard the bot attached

    @property
    def links(self) -> list[str]:
        return [e["url"] for e in self.entities if e["type"] == "text_link"]


@dataclass
class Chat:
    id: int
    kind: str  # private, group, supergroup, channel
    forum: bool = False
    topics: set[int] = field(default_factory=set)
    kicked: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> status, if not "member"
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    messages: dict[int, Recorded] = field(default_factory=dict)
    accepted: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    tokens: float = -1.0  # the per-chat bucket; filled on the first message
    filled_at: float = 0.0

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.kind}
        if self.kind == "private":
            data["first_name"] = "Reader"
        else:
            data["title"] = f"Chat {self.id}"
        if self.forum:
            data["is_forum"] = True
        return data


class TelegramServer(LoopbackServer):
    """See the module docstring."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-token_for_the_fake",
        time_scale: float = 1.0,
        per_chat: float = 1.0,
        burst: int = 3,
        group_max: int = 20,
        group_window: float = 60.0,
        tolerance: float = 0.05,
    ) -> None:
        self.token = token
        self.scale = time_scale
        self._per_chat, self._burst = per_chat, burst
        self._group_max, self._group_window = group_max, group_window
        self._tolerance = tolerance
        self._lock = threading.Lock()
        self._chats: dict[int, Chat] = {}
        self._messages: list[Recorded] = []
        self._calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[tuple[int, str]] = []
        self._fail_after: int | None = None
        self._flood: list[int] = []
        self._arrived = threading.Condition(self._lock)  # a new update, or a new bot message
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[str, list[tuple[str, str]]] = {}
        self._users: dict[int, dict[str, Any]] = {USER["id"]: USER}  # who has written, by id
        self._queries: dict[str, bool] = {}  # callback query id -> answered
        self._query_ids = itertools.count(1)
        self.callback_answers: dict[str, dict[str, Any]] = {}
        super().__init__(_Handler, name="telegram-fake")
        self._http.telegram = self  # type: ignore[attr-defined]

    @property
    def base_url(self) -> str:
        """What AIDAILY_TELEGRAM_API_URL would be: the token is appended by the client."""
        return f"{self.origin}/bot"

    # --- set-up -------------------------------------------------------------------------------

    def add_chat(
        self, chat_id: int, *, kind: str = "supergroup", forum: bool = False, topics: Iterable[int] = ()
    ) -> None:
        """A chat the bot is in. Topic ids are reserved as message ids (as in Telegram)."""
        topics = set(topics)
        start = max(topics, default=0) + 1
        with self._lock:
            self._chats[chat_id] = Chat(chat_id, kind, forum, topics, message_ids=itertools.count(start))

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """``user_id``'s status in the chat: creator, administrator, member, restricted, left, kicked."""
        assert status in _MEMBER_FIELDS, status
        with self._lock:
            self._chats[chat_id].members[user_id] = status

    def kick(self, chat_id: int) -> None:
        with self._lock:
            self._chats[chat_id].kicked = True

    def fail_after(self, count: int | None) -> None:
        """Accept ``count`` more messages, then answer 500 to every send; None heals."""
        with self._lock:
            self._fail_after = count

    def flood(self, count: int, retry_after: int = 1) -> None:
        """The next ``count`` sends get 429 with ``retry_after`` (a flood-control storm)."""
        with self._lock:
            self._flood += [retry_after] * count

    # --- what arrived -------------------------------------------------------------------------

    @property
    def messages(self) -> list[Recorded]:
        with self._lock:
            return list(self._messages)

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every API call received, refused or not: (method, parameters)."""
        with self._lock:
            return list(self._calls)

    def in_chat(self, chat_id: int) -> list[Recorded]:
        return [m for m in self.messages if m.chat_id == chat_id]

    def thread(self, chat_id: int, parent_id: int) -> list[Recorded]:
        return [m for m in self.in_chat(chat_id) if m.reply_to == parent_id]

    def too_many_requests(self) -> int:
        return sum(1 for status, _ in self.errors if status == 429)

    # --- a user talking to the bot ------------------------------------------------------------

    def update_for(
        self,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        thread: int | None = None,
        user: dict[str, Any] | None = None,
        anonymous: bool = False,
    ) -> dict[str, Any]:
        """An update with a user's message, as Telegram would deliver it; the message is stored in
        the chat, so the bot may reply to it, but it is not queued (see ``user_says``).
        ``anonymous``: an anonymous administrator's, sent as the group itself."""
        with self._lock:
            chat = self._chat(chat_id)
            if reply_to is not None and reply_to not in chat.messages:
                raise ValueError(f"no message {reply_to} in chat {chat_id}")
            sender = ANONYMOUS_ADMIN if anonymous else {**USER, **(user or {})}
            self._users[sender["id"]] = sender
            entities = tuple(_user_entities(text))
            record = Recorded(
                chat.id, next(chat.message_ids), thread, reply_to, text, text, None, entities, None,
                time.monotonic(), sender,
            )  # fmt: skip
            chat.messages[record.message_id] = record
            message = self._message_json(chat, record)
            if anonymous:
                message["sender_chat"] = chat.json()
            if reply_to is not None:
                message["reply_to_message"] = self._replied(chat, chat.messages[reply_to])
            elif thread is not None:
                message["reply_to_message"] = _topic_created(chat, thread)
            return {"update_id": next(self._update_ids), "message": message}

    def user_says(self, chat_id: int, text: str, **options: Any) -> int:
        """Queue a user's message for ``getUpdates``; returns its message_id."""
        update = self.update_for(chat_id, text, **options)
        with self._lock:
            self._updates.append(update)
            self._arrived.notify_all()
        return int(update["message"]["message_id"])

    def callback_update_for(
        self,
        chat_id: int,
        message_id: int,
        row: int = 0,
        column: int = 0,
        *,
        data: str | None = None,
        user: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The update of a user pressing button (``row``, ``column``) of the bot's message
        ``message_id``, or sending ``data`` for it (a modified client); not queued."""
        with self._lock:
            chat = self._chat(chat_id)
            message = chat.messages[message_id]
            if data is None:
                data = message.reply_markup["inline_keyboard"][row][column]["callback_data"]
            sender = {**USER, **(user or {})}
            self._users[sender["id"]] = sender
            query_id = f"{4_000_000_000 + next(self._query_ids)}"
            self._queries[query_id] = False
            query = {
                "id": query_id,
                "from": sender,
                "message": self._message_json(chat, message),
                "chat_instance": f"-{abs(chat_id)}77",
                "data": data,
            }
            return {"update_id": next(self._update_ids), "callback_query": query}

    def press(self, chat_id: int, message_id: int, row: int = 0, column: int = 0, **options: Any) -> str:
        """Queue a button press for ``getUpdates``; returns the callback query's id."""
        return self.queue(self.callback_update_for(chat_id, message_id, row, column, **options))

    def queue(self, update: dict[str, Any]) -> str:
        """Queue ``update`` for ``getUpdates``; returns its callback query id."""
        with self._lock:
            self._updates.append(update)
            self._arrived.notify_all()
        return str(update.get("callback_query", {}).get("id", ""))

    def replay(self, update: dict[str, Any]) -> str:
        """Queue ``update`` once more under a new update_id: the same press delivered again."""
        with self._lock:
            again = {**update, "update_id": next(self._update_ids)}
        return self.queue(again)

    def callback_answer(self, query_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """What the bot answered to the press ``query_id`` (waits for it)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while query_id not in self.callback_answers:
                left = deadline - time.monotonic()
                assert left > 0, f"callback query {query_id} was never answered"
                self._arrived.wait(left)
            return self.callback_answers[query_id]

    def answers(
        self, chat_id: int, message_id: int, *, timeout: float = 5.0, settle: float = 0.3
    ) -> list[Recorded]:
        """The bot's replies to message ``message_id``: waits up to ``timeout`` for the first, then
        until none has come for ``settle`` seconds (an answer may take several messages)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            count = 0
            while True:
                replies = [m for m in self._messages if m.chat_id == chat_id and m.reply_to == message_id]
                if replies and len(replies) == count:
                    return replies
                count = len(replies)
                wait = settle if replies else deadline - time.monotonic()
                if wait <= 0:
                    return replies
                self._arrived.wait(wait)

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a later ``offset``."""
        with self._lock:
            return len(self._updates)

    def _replied(self, chat: Chat, parent: Recorded) -> dict[str, Any]:
        replied = self._message_json(chat, parent)
        replied.pop("reply_to_message", None)  # Telegram never nests a reply in a reply
        return replied

    # --- getUpdates, webhooks, commands -------------------------------------------------------

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                "to delete the webhook first",
            )  # fmt: skip
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not self._updates and not self.closing.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._arrived.wait(min(remaining, 0.05))  # releases the lock while waiting
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return self._delete_webhook(params)
        if not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = dict(params)
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = [(str(c.get("command", "")), str(c.get("description", ""))) for c in params["commands"]]
        for command, description in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: command description must be 1-256 characters")
        self.commands[str(params.get("language_code") or "")] = commands
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if self._queries.get(query_id, True):  # unknown, or answered already
            raise ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        text = str(params.get("text") or "")
        if len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._queries[query_id] = True
        self.callback_answers[query_id] = dict(params)
        self._arrived.notify_all()
        return True

    def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"))
        try:
            user_id = int(params["user_id"])
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: invalid user_id specified") from None
        if chat.kind == "private" and user_id != chat.id:
            raise ApiError(400, "Bad Request: user not found")
        user = self._users.get(user_id, {"id": user_id, "is_bot": False, "first_name": "User"})
        status = chat.members.get(user_id, "member")
        return {"status": status, "user": user, **_MEMBER_FIELDS[status]}

    # --- the API ------------------------------------------------------------------------------

    def call(self, token: str, method: str, params: dict[str, Any], arrived: float) -> Any:
        with self._lock:
            self._calls.append((method, params))
            try:
                return self._dispatch(token, method, params, arrived)
            except ApiError as error:
                self.errors.append((error.status, error.description))
                raise

    def _dispatch(self, token: str, method: str, params: dict[str, Any], arrived: float) -> Any:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        if method == "getMe":
            return {
                **BOT,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in ("close", "logOut"):
            return True
        if method == "sendMessage":
            message = self._send_message(params, arrived)
            self._arrived.notify_all()
            return message
        if method in _BOT_METHODS:
            return _BOT_METHODS[method](self, params)
        raise ApiError(404, "Not Found")

    def _send_message(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"))
        if self._fail_after is not None and self._fail_after <= 0:
            raise ApiError(500, "Internal Server Error")
        if self._flood:
            raise ApiError(
                429, f"Too Many Requests: retry after {self._flood[0]}", {"retry_after": self._flood.pop(0)}
            )
        text, entities = self._parse(params)
        markup = _keyboard(params.get("reply_markup"))
        thread = self._thread_id(chat, params)
        reply_to = self._reply_to(chat, params)
        self._rate_limit(chat, now)
        message_id = next(chat.message_ids)
        record = Recorded(
            chat.id,
            message_id,
            thread,
            reply_to,
            text,
            str(params.get("text", "")),
            params.get("parse_mode"),
            tuple(entities),
            params.get("link_preview_options"),
            now,
            reply_markup=markup,
        )
        chat.messages[message_id] = record
        chat.accepted.append(now)
        self._messages.append(record)
        if self._fail_after is not None:
            self._fail_after -= 1
        return self._message_json(chat, record)

    def _chat(self, raw: Any) -> Chat:
        try:
            chat = self._chats[int(raw)]
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat.kicked:
            reason = {
                "private": "bot was blocked by the user",
                "channel": "bot is not a member of the channel chat",
            }
            raise ApiError(
                403, "Forbidden: " + reason.get(chat.kind, f"bot was kicked from the {chat.kind} chat")
            )
        return chat

    def _parse(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        source = str(params.get("text", ""))
        mode = params.get("parse_mode")
        if mode is None:
            text, entities = source, []
        elif str(mode).lower() == "html":
            text, entities = parse_html(source)
        else:
            raise ApiError(400, f"Bad Request: fake: parse mode {mode!r} is not implemented")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if units(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        if len(entities) > MAX_ENTITIES:
            raise ApiError(
                400, f"Bad Request: fake: {len(entities)} entities; Telegram drops those past {MAX_ENTITIES}"
            )
        return text, entities

    def _thread_id(self, chat: Chat, params: dict[str, Any]) -> int | None:
        thread = params.get("message_thread_id")
        if thread is None:
            return None
        if int(thread) not in chat.topics and int(thread) not in chat.messages:
            raise ApiError(400, "Bad Request: message thread not found")
        return int(thread)

    def _reply_to(self, chat: Chat, params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        if int(message_id) in chat.messages:
            return int(message_id)
        if reply.get("allow_sending_without_reply", params.get("allow_sending_without_reply")):
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")

    def _rate_limit(self, chat: Chat, now: float) -> None:
        """429 when this message would break the per-chat or the per-group limit."""
        interval = self._per_chat * self.scale
        tokens = self._burst if chat.tokens < 0 else chat.tokens + (now - chat.filled_at) / interval
        waits = [(1 - min(tokens, self._burst)) * interval]
        if chat.kind != "private" and len(chat.accepted) >= self._group_max:
            window = chat.accepted[-self._group_max] + self._group_window * self.scale - now
            waits.append(window if window > self._tolerance else 0.0)
        wait = max(waits)
        if wait > 0:
            retry_after = max(1, math.ceil(wait / self.scale))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        chat.tokens, chat.filled_at = min(tokens, self._burst) - 1, now

    def _message_json(self, chat: Chat, record: Recorded) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": record.message_id,
            "date": int(time.time()),
            "chat": chat.json(),
            "text": record.text,
        }
        if record.entities:
            data["entities"] = list(record.entities)
        data["sender_chat" if chat.kind == "channel" else "from"] = (
            chat.json() if chat.kind == "channel" else record.sender or BOT
        )
        if record.reply_markup is not None:
            data["reply_markup"] = record.reply_markup
        if record.thread is not None:
            data["message_thread_id"] = record.thread
            data["is_topic_message"] = chat.forum
        if record.reply_to is not None:
            parent = chat.messages[record.reply_to]
            data["reply_to_message"] = {
                "message_id": parent.message_id,
                "date": data["date"],
                "chat": chat.json(),
                "text": parent.text,
            }
        return data


USER = {"id": 5550001, "is_bot": False, "first_name": "Reader", "language_code": "en"}
# Who sends the messages of a group's anonymous administrators (with the group as sender_chat).
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
_RESTRICTED = """can_change_info can_invite_users can_pin_messages can_manage_topics can_send_messages
    can_send_audios can_send_documents can_send_photos can_send_videos can_send_video_notes
    can_send_voice_notes can_send_polls can_send_other_messages can_add_web_page_previews can_edit_tag
    can_react_to_messages"""
# The fields of each ChatMember kind beside status and user, as getChatMember sends them.
_MEMBER_FIELDS: dict[str, dict[str, Any]] = {
    "creator": {"is_anonymous": False},
    "administrator": {
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": False,
        "can_edit_stories": False,
        "can_delete_stories": False,
        "can_pin_messages": True,
        "can_manage_topics": False,
    },
    "member": {},
    "restricted": {
        "is_member": True,
        "until_date": 0,
        **dict.fromkeys(_RESTRICTED.split(), False),
    },
    "left": {},
    "kicked": {"until_date": 0},
}
_BOT_METHODS = {
    "getUpdates": TelegramServer._get_updates,
    "setWebhook": TelegramServer._set_webhook,
    "deleteWebhook": TelegramServer._delete_webhook,
    "setMyCommands": TelegramServer._set_my_commands,
    "getChatMember": TelegramServer._get_chat_member,
    "answerCallbackQuery": TelegramServer._answer_callback_query,
}


def _keyboard(markup: Any) -> dict[str, Any] | None:
    """An inline keyboard as Telegram checks it, or None; other reply markups are not faked."""
    if markup is None:
        return None
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) and row for row in rows):
        raise ApiError(400, "Bad Request: fake: only inline keyboards are implemented")
    for button in (b for row in rows for b in row):
        if not str(button.get("text", "")).strip():
            raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
        if not 1 <= len(str(button.get("callback_data", "")).encode("utf-8")) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _user_entities(text: str) -> Iterator[dict[str, Any]]:
    """The entities Telegram finds in a user's plain text: a leading /command, @mentions."""
    for match in re.finditer(r"(?:^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?)|(?:@[A-Za-z0-9_]{5,32})", text):
        kind = "bot_command" if match.group().startswith("/") else "mention"
        offset = units(text[: match.start()])
        yield {"type": kind, "offset": offset, "length": units(match.group())}


def _topic_created(chat: Chat, thread: int) -> dict[str, Any]:
    """The service message that opened a forum topic: what Telegram puts in ``reply_to_message``
    of a topic message that replies to nothing."""
    return {
        "message_id": thread,
        "date": int(time.time()),
        "chat": chat.json(),
        "from": USER,
        "message_thread_id": thread,
        "forum_topic_created": {"name": f"Topic {thread}", "icon_color": 7322096},
    }


# --- HTTP -------------------------------------------------------------------------------------

_JSON_FIELDS = (
    "reply_parameters",
    "link_preview_options",
    "entities",
    "reply_markup",
    "commands",
    "scope",
    "allowed_updates",
)
_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")


def form_params(body: bytes) -> dict[str, Any]:
    """A form as python-telegram-bot sends it: nested objects are JSON strings."""
    params: dict[str, Any] = {
        k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()
    }
    for name in _JSON_FIELDS:
        if isinstance(params.get(name), str):
            params[name] = json.loads(params[name])
    for name, value in params.items():
        if value in ("true", "false"):
            params[name] = value == "true"
    return params


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TelegramFake/1"
    # Headers and body leave in two writes; with Nagle on, the second waits ~40 ms for an ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_POST(self) -> None:
        # Limits are judged on arrival, as Telegram does, not after this fake's slow parsing.
        arrived = time.monotonic()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = _PATH.match(urlsplit(self.path).path)
        if not match:
            self._answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        content_type = self.headers.get("Content-Type", "")
        params = json.loads(body or b"{}") if "json" in content_type else form_params(body)
        server: TelegramServer = self.server.telegram  # type: ignore[attr-defined]
        try:
            result = server.call(match["token"], match["method"], params, arrived)
        except ApiError as error:
            answer = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                answer["parameters"] = error.parameters
            self._answer(error.status, answer)
            return
        self._answer(200, {"ok": True, "result": result})

    do_GET = do_POST  # the Bot API accepts both

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # The client may have given up waiting (a long poll cancelled when the bot stops).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)
