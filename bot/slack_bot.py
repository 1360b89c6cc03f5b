"""The Slack bot: answers mentions, direct messages, questions in digest threads, and ``/aidaily``.

What it does
------------
- ``@AI Daily <question>`` in a channel: the answer, in the thread of the mention. In the thread
  of a delivered digest section, that section's items are preferred.
- A direct message: the answer, in the conversation.
- A message in the thread of a delivered digest section (no mention needed): the answer in that
  thread, that section's items preferred (the thread's parent is found in the delivery ledger;
  other threads and channel messages are left alone).
- ``/aidaily today | more <topic> | subscribe [sections] | unsubscribe | sections [list|all] |
  help``: acknowledged at once (Slack allows three seconds), then answered through the
  command's response URL; ``help`` and unknown commands are answered in the acknowledgement.
- ``help``, ``today``, ``subscribe`` ... as the first word of a mention or DM run that command.
- 👍 / 👎 under a delivered item: the vote is recorded, and the one who pressed is told so
  ephemerally (``bot.slack_feedback``).
- Changing a channel's subscription (``subscribe``, ``unsubscribe``, ``sections <choice>``) is for
  the workspace's admins and owners (``users.info``; hence the ``users:read`` scope) and the user
  who subscribed the channel; in a DM the user decides. Anyone else is told so, ephemerally.

Everything said is decided by ``bot.conversation`` (called in a worker thread: it is sync);
this module receives Slack's events with slack-bolt (``AsyncApp``) and formats the replies
(``bot.slack_reply``). Messages from bots, edits and the bot's own messages are never answered,
so two bots cannot talk to each other forever. Stored text is shown, never obeyed.

Setting it up
-------------
1. Create the app from ``deploy/slack-app-manifest.json`` (https://api.slack.com/apps >
   "Create New App" > "From an app manifest"), replacing ``https://aidaily.example.org`` with
   ``AIDAILY_PUBLIC_URL`` (HTTP mode only). It declares the bot scopes (``BOT_SCOPES``), the
   events (``BOT_EVENTS``) and ``/aidaily``.
2. Either install it to your workspace and copy the bot token (``xoxb-``) to
   ``AIDAILY_SLACK_BOT_TOKEN``, or, to install it into many workspaces, set
   ``AIDAILY_SLACK_CLIENT_ID`` and ``AIDAILY_SLACK_CLIENT_SECRET`` and let each workspace install
   it at ``/slack/install`` (``bot.slack_oauth``; the install pages are HTTP, so the web app
   serves them). With both set, OAuth wins and each workspace's own token is used.
3. Choose how Slack reaches the bot (``AIDAILY_SLACK_MODE``):
   ``socket`` (the default): "Basic Information" > "App-Level Tokens", a token with
   ``connections:write`` in ``AIDAILY_SLACK_APP_TOKEN`` (``xapp-``); the bot opens a WebSocket to
   Slack, so no public URL is needed (Slack does not list Socket Mode apps in its Marketplace).
   ``http``: Slack posts to ``{AIDAILY_PUBLIC_URL}/slack/events`` (``slack_routes``, mounted by
   the web app); every request's signature is checked with "Basic Information" > "Signing
   Secret" in ``AIDAILY_SLACK_SIGNING_SECRET`` (a missing, wrong or stale signature, older than
   five minutes, is answered 401 and nothing runs).
4. Invite the bot to the channels where it should answer (``/invite @AI Daily``).

``AIDAILY_SLACK_API_URL`` changes the Web API base (tests point it at a loopback fake). A 429
is retried after its Retry-After, as in delivery (``delivery.slack.RetryAfterHandler``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import uvicorn
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.answer import language_of
from bot.conversation import COMMANDS, Chat, Conversation, Reply, changes_subscription, split_command
from bot.feedback import Ballot
from bot.slack_feedback import register_votes
from bot.slack_oauth import SlackOAuth, listen_for_revocations, oauth_settings
from bot.slack_reply import reply_message
from core.models import Channel
from core.platforms.slack_api import RetryAfterHandler, slack_pacer
from core.subscriptions import slack_workspace

log = logging.getLogger(__name__)

SLASH_COMMAND = "/aidaily"
#: Bot token scopes the handlers below need (the manifest must grant each).
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "im:history",
    "chat:write",
    "commands",
    "users:read",  # users.info: is who changes a channel's subscription a workspace admin?
)
#: Event subscriptions the handlers below answer (the manifest must subscribe to each).
BOT_EVENTS = (
    "app_mention",
    "message.channels",
    "message.groups",
    "message.im",
    "app_uninstalled",  # with tokens_revoked: an OAuth installation stops working (bot.slack_oauth)
    "tokens_revoked",
)
SLACK_API_URL = "https://slack.com/api/"

_COMMAND_NAMES = frozenset(name for name, _ in COMMANDS)
# Commands answered in the acknowledgement itself: they only format text.
_INSTANT = frozenset({"help", "start"})
# Commands that change what the channel receives are shown to the whole channel.
_PUBLIC = frozenset({"subscribe", "unsubscribe"})
_WORKING = {"en": "Working on it…", "zh": "處理中…"}
_FAILED = {
    "en": "Sorry, something went wrong on our side; please try again in a minute.",
    "zh": "抱歉，系統出了點問題，請稍後再試。",
}


def create_slack_app(
    conversation: Conversation,
    *,
    signing_secret: str,
    token: str | None = None,
    oauth: SlackOAuth | None = None,
    api_url: str = SLACK_API_URL,
    ballot: Ballot | None = None,
) -> AsyncApp:
    """The bolt app: one workspace with ``token`` (xoxb-), or many installed through ``oauth``;
    with ``ballot``, the 👍 / 👎 under delivered items are recorded there (``bot.slack_feedback``)."""
    if (token is None) == (oauth is None):
        raise ValueError("give either a bot token (one workspace) or OAuth settings (many), not both")
    pacer = slack_pacer()
    retries = [AsyncConnectionErrorRetryHandler(), RetryAfterHandler(pacer)]
    client = AsyncWebClient(token=token, base_url=api_url, retry_handlers=retries)
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        oauth_settings=oauth_settings(oauth, BOT_SCOPES) if oauth else None,
    )
    _Handlers(conversation).register(app)
    if ballot is not None:
        register_votes(app, ballot)
    listen_for_revocations(app, oauth)
    return app


def slack_routes(app: AsyncApp) -> list[BaseRoute]:
    """``POST /slack/events`` (signed requests only), plus the OAuth pages when installing
    through OAuth: for the web app (``create_app(..., extra_routes=...)``) or ``run_slack_bot``."""
    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request: Request) -> Response:
        return await handler.handle(request)

    routes: list[BaseRoute] = [Route("/slack/events", endpoint, methods=["POST"])]
    if app.oauth_flow is not None:
        paths = (app.oauth_flow.install_path, app.oauth_flow.redirect_uri_path)
        routes += [Route(path, endpoint, methods=["GET"]) for path in paths]
    return routes


def socket_mode_handler(app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Socket Mode over aiohttp: ``apps.connections.open`` with ``app_token``, then a WebSocket."""
    if not app_token.startswith("xapp-"):
        raise ValueError("Socket Mode needs an app-level token (xapp-...), not a bot token")
    return AsyncSocketModeHandler(app, app_token)


def run_slack_bot(app: AsyncApp, *, app_token: str | None, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run ``app`` until interrupted: over Socket Mode with ``app_token``, else serving
    ``slack_routes`` on host:port (behind the web app, mount ``slack_routes`` there instead)."""
    if app_token:
        asyncio.run(socket_mode_handler(app, app_token).start_async())
    else:
        uvicorn.run(Starlette(routes=slack_routes(app)), host=host, port=port, log_level="info")


class _Handlers:
    """Bolt listeners over one ``Conversation``."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.seen = RecentIds()

    def register(self, app: AsyncApp) -> None:
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.command(SLASH_COMMAND)(self.on_command)

    async def on_mention(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        if _not_from_a_person(event, context) or not self.seen.first(body.get("event_id")):
            return
        text = _without_mention(event.get("text") or "", context.bot_user_id)
        chat = await _with_rights(client, _chat(event["channel"], event["user"], context.team_id), text)
        reply = await _in_thread(self._respond_to, chat, text, event.get("thread_ts"))
        await _post(client, chat.address, event.get("thread_ts") or event["ts"], reply)

    async def on_message(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        if _not_from_a_person(event, context) or not self.seen.first(body.get("event_id")):
            return
        text, chat = event.get("text") or "", _chat(event["channel"], event["user"], context.team_id)
        if event.get("channel_type") == "im":
            text = _without_mention(text, context.bot_user_id)
            chat = await _with_rights(client, chat, text)
            reply = await _in_thread(self._respond_to, chat, text, event.get("thread_ts"))
            await _post(client, chat.address, event.get("thread_ts"), reply)
        elif _in_a_thread_of(event, context.bot_user_id) and f"<@{context.bot_user_id}>" not in text:
            # A mention in a thread arrives twice (app_mention and message): answered once, above.
            # Unasked, the bot stays silent when it fails: no apologies in other people's threads.
            thread = event["thread_ts"]
            reply = await _in_thread(self._follow_up, chat, text, thread, apologize=False)
            await _post(client, chat.address, thread, reply)

    async def on_command(
        self,
        ack: Callable[..., Any],
        command: dict[str, Any],
        respond: Callable[..., Any],
        client: AsyncWebClient,
    ) -> None:
        name, argument = split_command(command.get("text") or "")
        chat = _chat(command["channel_id"], command.get("user_id"), command.get("team_id"))
        if name in _INSTANT or name not in _COMMAND_NAMES:
            await ack(
                **reply_message(self.conversation.command(chat, name, argument)), response_type="ephemeral"
            )
            return
        await ack(text=_WORKING[language_of(argument)], response_type="ephemeral")
        chat = await _with_rights(client, chat, command.get("text") or "")
        reply = await _in_thread(self._command, chat, argument, name)
        if reply is not None:
            response_type = "in_channel" if name in _PUBLIC and not reply.refused else "ephemeral"
            await respond(**reply_message(reply), response_type=response_type, replace_original=False)

    # Run in a worker thread: the conversation reads the store and searches synchronously.

    def _respond_to(self, chat: Chat, text: str, parent: str | None) -> Reply:
        """A command when the text starts with one (``help``, ``today``), else an answer, preferring
        the digest section whose thread it was asked in."""
        name, argument = split_command(text)
        if text.strip() and name in _COMMAND_NAMES and name != "more":
            return self.conversation.command(chat, name, argument)
        context = self.conversation.digest_context(chat, parent) if parent else None
        return self.conversation.question(chat, text, context)

    def _command(self, chat: Chat, argument: str, name: str) -> Reply:
        return self.conversation.command(chat, name, argument)

    def _follow_up(self, chat: Chat, text: str, thread: str) -> Reply | None:
        """An answer when ``thread`` is one of our digest sections, else None (not ours to answer)."""
        context = self.conversation.digest_context(chat, thread)
        return None if context is None else self.conversation.question(chat, text, context)


class RecentIds:
    """Event ids already answered. Slack delivers an event again when its acknowledgement was
    late or lost (Events API retries, Socket Mode reconnects); one answer is enough."""

    def __init__(self, size: int = 4096) -> None:
        self._order: deque[str] = deque(maxlen=size)
        self._ids: set[str] = set()

    def first(self, event_id: str | None) -> bool:
        """True the first time ``event_id`` is seen (and for events without an id)."""
        if event_id is None:
            return True
        if event_id in self._ids:
            return False
        if len(self._order) == self._order.maxlen:
            self._ids.discard(self._order[0])
        self._order.append(event_id)
        self._ids.add(event_id)
        return True


async def _in_thread(
    call: Callable[..., Reply | None], chat: Chat, text: str, *args: Any, apologize: bool = True
) -> Reply | None:
    """``call`` in a worker thread; a failure is logged and, if asked, apologized for."""
    try:
        return await asyncio.to_thread(call, chat, text, *args)
    except Exception:
        log.exception("the Slack bot could not answer in %s", chat.address)
        return Reply(_FAILED[language_of(text)]) if apologize else None


async def _with_rights(client: AsyncWebClient, chat: Chat, text: str) -> Chat:
    """``chat`` with ``admin`` set when ``text`` is a command changing the subscription and its
    user may make it: in a DM (channel ids ``D…``) the user, elsewhere a workspace admin or owner."""
    if not changes_subscription(*split_command(text)):
        return chat
    admin = chat.address.startswith("D") or await _workspace_admin(client, chat.user)
    return replace(chat, admin=admin)


async def _workspace_admin(client: AsyncWebClient, user: str | None) -> bool:
    """Whether Slack says ``user`` is an admin or owner of the workspace; when it cannot say
    (``user_not_found``, a missing scope), no: the change is refused, never made by mistake."""
    if not user:
        return False
    try:
        found = (await client.users_info(user=user)).get("user") or {}
    except SlackApiError as exc:
        log.warning("Slack users.info failed for %s: %s", user, exc.response.get("error"))
        return False
    return not found.get("deleted") and bool(found.get("is_admin") or found.get("is_owner"))


async def _post(client: AsyncWebClient, channel: str, thread_ts: str | None, reply: Reply | None) -> None:
    if reply is None:
        return
    try:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, **reply_message(reply))
    except SlackApiError as exc:
        # Not retried: the person asking sees no answer and can ask again.
        log.warning("Slack refused the bot's reply in %s: %s", channel, exc.response.get("error"))


def _chat(channel: str, user: str | None, team: str | None) -> Chat:
    """A Slack conversation, with the workspace it is in: a subscription made there is posted
    with that workspace's installation token (``delivery.slack_workspaces``)."""
    try:
        workspace = slack_workspace(team or None)
    except ValueError:  # not a team id: the subscription then goes with the one bot token
        workspace = None
    return Chat(Channel.SLACK, channel, user=user, workspace=workspace)


def _not_from_a_person(event: dict[str, Any], context: AsyncBoltContext) -> bool:
    """Bots (us included), edits, deletions and joins: nothing to answer."""
    return bool(
        event.get("subtype")
        or event.get("bot_id")
        or not event.get("user")
        or event.get("user") == context.bot_user_id
    )


def _in_a_thread_of(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A reply in a thread whose parent we may have posted (Slack names the parent's author)."""
    parent_author = event.get("parent_user_id")
    return bool(event.get("thread_ts")) and parent_author in (None, bot_user_id)


def _without_mention(text: str, bot_user_id: str | None) -> str:
    if not bot_user_id:
        return text.strip()
    return re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text).strip()
