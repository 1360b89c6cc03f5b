"""A fake Slack Web API on 127.0.0.1 (port 0), for the real slack_sdk client to talk to.

It serves ``POST /api/chat.postMessage`` (JSON or form body, ``Authorization: Bearer``), checks
what Slack checks, and records every message it accepts; for the bot also ``auth.test``,
``oauth.v2.access``, ``apps.connections.open`` and response URLs (see "For the bot" below)::

    from fakes.slack_server import SlackServer

    with SlackServer(token="xoxb-test", interval=0.02) as slack:   # 1 msg / 20 ms per channel
        slack.add_channel("C0123ABCD")
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        slack.messages                   # accepted messages, in order (channel, ts, thread_ts, ...)
        slack.replies("C0123ABCD", ts)   # a thread's replies, in order
        slack.remove_bot("C0123ABCD")    # from now on: not_in_channel
        slack.storm(5, retry_after=0.01) # the next 5 requests get 429 + Retry-After
        slack.crash_after(10, "close")   # once 10 messages exist: "close" the connection without
                                         # answering, answer "500", or "hang": hold each request
                                         # unanswered and unserved until recover()
        slack.recover()
        slack.slow(2.0)                  # answer each request only after 2 s (0: at once again)
        slack.rate_limited               # how many 429s were answered
        slack.arrivals                   # requests that arrived (held and dropped ones too)

Errors come back as Slack sends them: HTTP 200 with ``{"ok": false, "error": ...}`` (429 for
rate limits). Checked: the token (``invalid_auth``); the channel (``channel_not_found``,
``not_in_channel``, ``is_archived``); the per-channel rate (``interval`` seconds between messages,
a GCRA with ``tolerance`` for network jitter, answered ``ratelimited`` with a Retry-After of the
seconds left, fractional when ``interval`` is under a second); ``no_text``; ``msg_too_long``
(text over 40,000); ``invalid_blocks`` (over 50 blocks, a section over 3,000 characters, a header
over 150 or not plain_text, a context over 10 elements, an actions block that is not 1 to 25
buttons of plain_text up to 75 characters with action ids up to 255 and values up to 2,000, a
block_id over 255 or repeated in the message, an unknown block type); ``msg_blocks_too_long``
(over 12,000 characters of block text in all); ``thread_not_found`` (a ``thread_ts`` that is not
a top-level message of that channel).

For the bot
-----------
Each bot token belongs to a workspace (the constructor's token to ``T0TEST``; more with
``add_workspace``), and every message records the workspace whose token posted it::

    slack.add_workspace("T0SECOND", "xoxb-second", bot_user_id="U0BOT2")
    slack.user_message("C0123ABCD", "U0HUMAN", "hi <@U0BOT>")   # a person's message, for its ts
    slack.enable_oauth("client-id", "client-secret"); code = slack.issue_code("T0SECOND")
    slack.enable_socket_mode("xapp-test", socket.url)  # apps.connections.open answers that URL
    url = slack.response_url("cmd1"); slack.responses("cmd1")  # what respond() posted there

``auth.test`` answers the token's workspace and bot user; ``oauth.v2.access`` trades a code
(once) for the workspace's bot token, checking the client id and secret.

A channel may belong to one workspace: then only that workspace's token may post there (any
other gets ``channel_not_found``, as from Slack). A workspace's token can be revoked::

    slack.add_channel("C0BETA001", team="T0SECOND")
    slack.revoke("T0SECOND", "token_revoked")   # every call with its tokens: that error
    slack.posts["T0SECOND"]                     # chat.postMessage calls with its token, refused too

People are added per workspace, with their roles, and ``users.info`` (GET, as slack_sdk calls
it, or POST) answers them as Slack does, ``user_not_found`` for anyone else::

    slack.add_user("U0HUMAN")                        # a member of T0TEST
    slack.add_user("U0BOSS", admin=True)             # a workspace admin (owner=True: an owner)
    slack.user_lookups                               # the user ids users.info was asked about
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fakes.loopback import LoopbackServer

TEXT_LIMIT = 40_000
MAX_BLOCKS = 50
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
PAYLOAD_LIMIT = 12_000
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")
_GRANTED_SCOPES = (
    "app_mentions:read,chat:write,commands,im:history,channels:history,groups:history,users:read"
)


@dataclass(frozen=True, slots=True)
class Message:
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    params: dict[str, Any] = field(repr=False)
    team: str | None = None  # the workspace whose bot token posted it; None for a person's message
    user: str | None = None  # the bot user, or the person who wrote it

    def mrkdwn(self) -> str:
        """All mrkdwn text of the message's blocks, in order (plain_text headers left out:
        Slack shows those as they are)."""
        return "\n".join(_block_texts(self.blocks, kind="mrkdwn"))


def links(mrkdwn: str) -> list[tuple[str, str]]:
    """The ``(url, label)`` of every ``<url|label>`` link, entities decoded as Slack shows them."""
    return [(_unescape(url), _unescape(label)) for url, label in _LINK.findall(mrkdwn)]


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackError(Exception):
    def __init__(self, error: str, status: int = 200, retry_after: str | None = None) -> None:
        super().__init__(error)
        self.error, self.status, self.retry_after = error, status, retry_after


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    team_id: str
    admin: bool = False
    owner: bool = False
    primary_owner: bool = False
    deleted: bool = False

    def json(self) -> dict[str, Any]:
        """The ``user`` object of ``users.info``, with the fields Slack always sends."""
        name = self.id.lower()
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": name,
            "deleted": self.deleted,
            "real_name": f"Person {self.id}",
            "tz": "Asia/Taipei",
            "tz_label": "China Standard Time",
            "tz_offset": 28800,
            "profile": {"real_name": f"Person {self.id}", "display_name": name, "team": self.team_id},
            "is_admin": self.admin or self.owner,  # Slack's owners are admins too
            "is_owner": self.owner or self.primary_owner,
            "is_primary_owner": self.primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": 1_700_000_000,
        }


@dataclass(frozen=True, slots=True)
class Workspace:
    team_id: str
    token: str
    bot_user_id: str
    bot_id: str
    team_name: str


class SlackServer(LoopbackServer):
    """See the module docstring."""

    def __init__(self, token: str = "xoxb-test", *, interval: float = 1.0, tolerance: float | None = None):
        self.token = token
        self.interval = interval
        self.tolerance = interval * 0.25 if tolerance is None else tolerance
        self.rate_limited = 0
        self.requests = 0  # served (not held, not dropped)
        self.arrivals = 0  # every request that arrived, held and dropped ones too
        self._channels: dict[str, str] = {}  # id -> "member" | "removed" | "archived"
        self._messages: list[Message] = []
        self._next_allowed: dict[str, float] = {}  # GCRA: theoretical arrival time per channel
        self._storm: tuple[int, str] = (0, "1")
        self._crash: tuple[int, str] | None = None
        self._delay = 0.0
        self._lock = threading.Lock()
        self._recovered = threading.Event()
        self._workspaces: dict[str, Workspace] = {}
        self._oauth: tuple[str, str] | None = None
        self._codes: dict[str, str] = {}  # OAuth code -> team id
        self._socket: tuple[str, str] | None = None  # (app token, websocket URL)
        self._responses: dict[str, list[dict[str, Any]]] = {}
        self._people: dict[tuple[str, str], Person] = {}  # (team id, user id) -> person
        self._channel_teams: dict[str, str] = {}  # channel id -> the only workspace that may post
        self._revoked: dict[str, str] = {}  # token -> the error it now gets
        self.posts: Counter[str] = Counter()  # team id -> chat.postMessage calls with its token
        self.user_lookups: list[str] = []
        self._counter = itertools.count(1)
        super().__init__(_Handler, name="slack-fake")
        self.add_workspace("T0TEST", token, bot_user_id="U0BOT")
        self._http.slack = self  # type: ignore[attr-defined]

    @property
    def api_url(self) -> str:
        return f"{self.origin}/api/"

    # What a test arranges

    def add_workspace(self, team_id: str, token: str, *, bot_user_id: str, team_name: str = "") -> None:
        bot_id = "B" + bot_user_id[1:]
        with self._lock:
            self._workspaces[token] = Workspace(team_id, token, bot_user_id, bot_id, team_name or team_id)

    def workspace(self, team_id: str) -> Workspace:
        return next(w for w in self._workspaces.values() if w.team_id == team_id)

    def add_user(self, user_id: str, *, team_id: str = "T0TEST", **roles: bool) -> None:
        """A person of workspace ``team_id``; ``roles``: admin, owner, primary_owner, deleted."""
        with self._lock:
            self._people[(team_id, user_id)] = Person(user_id, team_id, **roles)

    def enable_oauth(self, client_id: str, client_secret: str) -> None:
        self._oauth = (client_id, client_secret)

    def issue_code(self, team_id: str) -> str:
        """A one-time OAuth code that ``oauth.v2.access`` trades for ``team_id``'s bot token."""
        code = f"code-{next(self._counter)}"
        with self._lock:
            self._codes[code] = team_id
        return code

    def enable_socket_mode(self, app_token: str, url: str) -> None:
        self._socket = (app_token, url)

    def user_message(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> Message:
        """A message a person posted (no rate limit, no token): its ts is real for threads."""
        with self._lock:
            ts = self._next_ts()
            message = Message(channel, ts, thread_ts, text, [], {"text": text}, None, user)
            self._messages.append(message)
            return message

    def response_url(self, tag: str) -> str:
        with self._lock:
            self._responses.setdefault(tag, [])
        return f"{self.origin}/response/{tag}"

    def add_channel(self, channel: str, *, team: str | None = None) -> None:
        with self._lock:
            self._channels[channel] = "member"
            if team is not None:
                self._channel_teams[channel] = team

    def revoke(self, team_id: str, error: str = "token_revoked") -> None:
        """From now on every call with ``team_id``'s tokens is answered ``error`` (a token added
        later with ``add_workspace``, a reinstall's, works)."""
        with self._lock:
            for w in self._workspaces.values():
                if w.team_id == team_id:
                    self._revoked[w.token] = error

    def remove_bot(self, channel: str) -> None:
        with self._lock:
            self._channels[channel] = "removed"

    def archive(self, channel: str) -> None:
        with self._lock:
            self._channels[channel] = "archived"

    def storm(self, count: int, retry_after: float = 0.01) -> None:
        with self._lock:
            self._storm = (count, _seconds(retry_after))

    def crash_after(self, count: int, mode: str = "close") -> None:
        assert mode in ("close", "500", "hang")
        with self._lock:
            self._crash = (count, mode)
            self._recovered.clear()

    def slow(self, seconds: float) -> None:
        with self._lock:
            self._delay = seconds

    def recover(self) -> None:
        with self._lock:
            self._crash = None
            self._recovered.set()

    # What a test reads

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return list(self._messages)

    def top_level(self, channel: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel and m.thread_ts is None]

    def replies(self, channel: str, ts: str) -> list[Message]:
        return [m for m in self.messages if m.channel == channel and m.thread_ts == ts]

    def bot_messages(self) -> list[Message]:
        """Messages a bot token posted (not ``user_message``)."""
        return [m for m in self.messages if m.team is not None]

    def responses(self, tag: str) -> list[dict[str, Any]]:
        """The payloads posted to ``response_url(tag)``, in order."""
        with self._lock:
            return list(self._responses.get(tag, []))

    def shape(self) -> list[tuple[str, int | None, str, str]]:
        """The messages without their ts: (channel, index of the thread parent, text, blocks)."""
        messages = self.messages
        index = {(m.channel, m.ts): n for n, m in enumerate(messages)}
        return [
            (
                m.channel,
                index[(m.channel, m.thread_ts)] if m.thread_ts else None,
                m.text,
                json.dumps(m.blocks),
            )
            for m in messages
        ]

    # Serving

    def _crash_mode(self) -> str | None:
        with self._lock:
            if self._crash and len(self._messages) >= self._crash[0]:
                return self._crash[1]
            return None

    def _post_message(self, auth: str | None, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests += 1
            self._check_storm()
            workspace = self._authorized(auth, params, counting=self.posts)
            channel = str(params.get("channel", ""))
            self._check_channel(channel, workspace.team_id)
            self._check_rate(channel)
            text, blocks = _checked_content(params)
            thread_ts = params.get("thread_ts") or None
            if thread_ts and not any(
                m.channel == channel and m.ts == thread_ts and m.thread_ts is None for m in self._messages
            ):
                raise SlackError("thread_not_found")
            ts = self._next_ts()
            user = workspace.bot_user_id
            self._messages.append(
                Message(channel, ts, thread_ts, text, blocks, params, workspace.team_id, user)
            )
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": text, "ts": ts}}

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + len(self._messages)}.{len(self._messages):06d}"

    def _authorized(
        self, auth: str | None, params: dict[str, Any], counting: Counter[str] | None = None
    ) -> Workspace:
        token = auth.removeprefix("Bearer ") if auth else params.get("token")
        workspace = self._workspaces.get(str(token))
        if workspace is None:
            raise SlackError("invalid_auth")
        if counting is not None:
            counting[workspace.team_id] += 1
        if workspace.token in self._revoked:
            raise SlackError(self._revoked[workspace.token])
        return workspace

    def _auth_test(self, auth: str | None, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests += 1
            w = self._authorized(auth, params)
        return {
            "ok": True,
            "url": f"https://{w.team_id.lower()}.slack.example/",
            "team": w.team_name,
            "team_id": w.team_id,
            "user": "aidaily",
            "user_id": w.bot_user_id,
            "bot_id": w.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, auth: str | None, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests += 1
            workspace = self._authorized(auth, params)
            user = str(params.get("user") or "")
            self.user_lookups.append(user)
            person = self._people.get((workspace.team_id, user))
            if person is None:
                raise SlackError("user_not_found")
            return {"ok": True, "user": person.json()}

    def _oauth_access(self, auth: str | None, params: dict[str, Any]) -> dict[str, Any]:
        client_id, secret = params.get("client_id"), params.get("client_secret")
        if auth and auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        with self._lock:
            if self._oauth is None or client_id != self._oauth[0]:
                raise SlackError("invalid_client_id")
            if secret != self._oauth[1]:
                raise SlackError("bad_client_secret")
            team_id = self._codes.pop(str(params.get("code")), None)
            if team_id is None:
                raise SlackError("invalid_code")
            w = self.workspace(team_id)
        return {
            "ok": True,
            "app_id": "A0AIDAILY",
            "authed_user": {"id": "U0INSTALLER"},
            "scope": _GRANTED_SCOPES,
            "token_type": "bot",
            "access_token": w.token,
            "bot_user_id": w.bot_user_id,
            "team": {"id": w.team_id, "name": w.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _connections_open(self, auth: str | None) -> dict[str, Any]:
        if self._socket is None or auth != f"Bearer {self._socket[0]}":
            raise SlackError("invalid_auth")
        return {"ok": True, "url": self._socket[1]}

    def _respond(self, tag: str, payload: dict[str, Any]) -> None:
        with self._lock:
            if tag not in self._responses:
                raise SlackError("no_such_response_url", 404)
            self._responses[tag].append(payload)

    def _check_storm(self) -> None:
        count, retry_after = self._storm
        if count > 0:
            self._storm = (count - 1, retry_after)
            self.rate_limited += 1
            raise SlackError("ratelimited", 429, retry_after)

    def _check_channel(self, channel: str, team_id: str) -> None:
        state = self._channels.get(channel)
        if state is None or self._channel_teams.get(channel, team_id) != team_id:
            raise SlackError("channel_not_found")
        if state == "removed":
            raise SlackError("not_in_channel")
        if state == "archived":
            raise SlackError("is_archived")

    def _check_rate(self, channel: str) -> None:
        now = time.monotonic()
        due = self._next_allowed.get(channel, now)
        if now < due - self.tolerance:
            self.rate_limited += 1
            raise SlackError("ratelimited", 429, _seconds(due - self.tolerance - now))
        self._next_allowed[channel] = max(due, now) + self.interval


def _seconds(value: float) -> str:
    # Slack sends whole seconds; scaled-down tests need fractions (our client accepts both).
    if value >= 1:
        return str(math.ceil(value))
    return f"{max(value, 0.001):.3f}"


def _checked_content(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    text = str(params.get("text") or "")
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > TEXT_LIMIT:
        raise SlackError("msg_too_long")
    if len(blocks) > MAX_BLOCKS:
        raise SlackError("invalid_blocks")
    ids = [block["block_id"] for block in blocks if "block_id" in block]
    if len(ids) != len(set(ids)) or any(len(str(i)) > 255 for i in ids):
        raise SlackError("invalid_blocks")
    for block in blocks:
        _check_block(block)
    if sum(len(t) for t in _block_texts(blocks)) > PAYLOAD_LIMIT:
        raise SlackError("msg_blocks_too_long")
    return text, blocks


def _check_block(block: dict[str, Any]) -> None:
    kind = block.get("type")
    if kind == "section":
        if len(block.get("text", {}).get("text", "")) > SECTION_LIMIT:
            raise SlackError("invalid_blocks")
    elif kind == "header":
        text = block.get("text", {})
        if text.get("type") != "plain_text" or len(text.get("text", "")) > HEADER_LIMIT:
            raise SlackError("invalid_blocks")
    elif kind == "context":
        if len(block.get("elements", [])) > 10:
            raise SlackError("invalid_blocks")
    elif kind == "actions":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= 25 or not all(map(_valid_button, elements)):
            raise SlackError("invalid_blocks")
    elif kind != "divider":
        raise SlackError("invalid_blocks")


def _valid_button(element: dict[str, Any]) -> bool:
    text = element.get("text") or {}
    return (
        element.get("type") == "button"
        and text.get("type") == "plain_text"
        and 1 <= len(text.get("text", "")) <= 75
        and 1 <= len(str(element.get("action_id", ""))) <= 255
        and len(str(element.get("value", ""))) <= 2000
    )


def _block_texts(blocks: list[dict[str, Any]], kind: str | None = None) -> list[str]:
    """The text objects of ``blocks`` (only those of type ``kind`` when given)."""
    objects = [block["text"] for block in blocks if "text" in block]
    objects += [element for block in blocks for element in block.get("elements", [])]
    return [o.get("text", "") for o in objects if kind is None or o.get("type") == kind]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SlackFake/1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        slack: SlackServer = self.server.slack  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with slack._lock:
            slack.arrivals += 1
        with slack._lock:
            delay = slack._delay
        if delay:
            slack.closing.wait(delay)  # a slow platform: the request is in flight all this time
        mode = slack._crash_mode()
        if mode == "hang":  # held, never served: recover() lets it go unanswered
            while not (slack.closing.is_set() or slack._recovered.wait(0.05)):
                pass
        if mode in ("close", "hang") or slack.closing.is_set():
            self.close_connection = True  # no answer at all: a crashed server or a cut connection
            return
        if mode == "500":
            self._answer(500, {"ok": False, "error": "internal_error"})
            return
        self._serve(slack, body)

    def _serve(self, slack: SlackServer, body: bytes) -> None:
        auth = self.headers.get("Authorization")
        path = urlsplit(self.path).path  # slack_sdk adds ?team_id=... to a workspace's calls
        methods = {
            "/api/chat.postMessage": lambda: slack._post_message(auth, self._params(body)),
            "/api/auth.test": lambda: slack._auth_test(auth, self._params(body)),
            "/api/users.info": lambda: slack._users_info(auth, self._params(body)),
            "/api/oauth.v2.access": lambda: slack._oauth_access(auth, self._params(body)),
            "/api/apps.connections.open": lambda: slack._connections_open(auth),
        }
        try:
            if path.startswith("/response/"):
                slack._respond(path.removeprefix("/response/"), self._params(body))
                self._answer(200, {"ok": True})
                return
            if path not in methods:
                raise SlackError("unknown_method", 404)
            result = methods[path]()
        except SlackError as exc:
            self._answer(exc.status, {"ok": False, "error": exc.error}, exc.retry_after)
            return
        self._answer(200, result)

    do_GET = do_POST  # read methods such as users.info come as GET with a query string

    def _params(self, body: bytes) -> dict[str, Any]:
        if self.command == "GET":
            return dict(parse_qsl(urlsplit(self.path).query))
        if "json" in (self.headers.get("Content-Type") or ""):
            return json.loads(body or b"{}")
        return dict(parse_qsl(body.decode("utf-8")))

    def _answer(self, status: int, payload: dict[str, Any], retry_after: str | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(data)
