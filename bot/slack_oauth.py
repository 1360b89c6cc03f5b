"""Installing the Slack bot into many workspaces: OAuth, with installations kept in our database.

With ``AIDAILY_SLACK_CLIENT_ID`` and ``AIDAILY_SLACK_CLIENT_SECRET`` set, the bot serves
``/slack/install`` (an "Add to Slack" page) and ``/slack/oauth_redirect`` (where Slack sends the
installer back with a one-time code, traded through ``oauth.v2.access`` for that workspace's bot
token). Each workspace's installation is saved by slack_sdk's ``SQLAlchemyInstallationStore`` (with the
tokens encrypted when ``AIDAILY_SLACK_TOKEN_KEY`` is set: ``core.store.slack_tokens``),
and the OAuth ``state`` values (which tie a redirect to the browser that started it) by its
``SQLAlchemyOAuthStateStore``, both on the store's engine: SQLite or PostgreSQL. Their tables
(``slack_installations``, ``slack_bots``, ``slack_oauth_states``) are created only by migration
0004, like the rest of the schema. Every event is then answered with the bot token of the
workspace it came from (bolt's authorize looks it up by team id).

In the app's settings at https://api.slack.com/apps: "OAuth & Permissions" > "Redirect URLs" must
list ``{AIDAILY_PUBLIC_URL}/slack/oauth_redirect``; "Manage Distribution" makes the app
installable outside its own workspace (``deploy/slack-app-manifest.json`` declares the rest).

A workspace that uninstalls the app (``app_uninstalled``) or revokes its bot token
(``tokens_revoked``) is marked revoked in ``slack_revocations`` (``listen_for_revocations``):
its digests stop with a record, until it installs the app again (``delivery.slack_workspaces``).

slack_sdk's SQLAlchemy stores are synchronous and bolt's ``AsyncApp`` wants asynchronous ones:
the two small adapters below run each call in a worker thread, so a slow database never stalls
the event loop that answers Slack within its three seconds.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from logging import Logger
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from core.store.slack_tokens import TokenStore
from core.store.slack_workspaces import SlackWorkspaces
from core.subscriptions import slack_workspace

log = logging.getLogger(__name__)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
#: How long an installer has between opening /slack/install and coming back from Slack.
STATE_SECONDS = 600


@dataclass(frozen=True, slots=True)
class SlackOAuth:
    """What installing into many workspaces needs. ``redirect_uri`` is the public URL of
    ``/slack/oauth_redirect``; None lets Slack use the single one configured for the app."""

    client_id: str
    client_secret: str
    engine: Engine
    redirect_uri: str | None = None
    token_key: str | None = field(default=None, repr=False)  # encrypts the tokens at rest (Fernet)


def oauth_settings(oauth: SlackOAuth, scopes: tuple[str, ...]) -> AsyncOAuthSettings:
    """Bolt's OAuth settings over our database (tables from migration 0004)."""
    installations = TokenStore(oauth.client_id, oauth.engine, oauth.token_key)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=oauth.engine)
    return AsyncOAuthSettings(
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        scopes=list(scopes),
        redirect_uri=oauth.redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=ThreadedInstallationStore(installations),
        installation_store_bot_only=True,  # the bot acts for the workspace, never for a person
        state_store=ThreadedStateStore(states),
        state_expiration_seconds=STATE_SECONDS,
    )


def listen_for_revocations(app: AsyncApp, oauth: SlackOAuth | None) -> None:
    """Mark a workspace's installation revoked on ``app_uninstalled``, and on ``tokens_revoked``
    naming the bot's token (a user token alone changes nothing: the bot never uses one). Without
    OAuth the events are acknowledged and ignored: the one bot token is the operator's to fix."""
    workspaces = SlackWorkspaces(oauth.engine, oauth.client_id, oauth.token_key) if oauth else None

    async def uninstalled(body: dict[str, Any], context: AsyncBoltContext) -> None:
        await _revoke(workspaces, body, context.team_id, "app_uninstalled")

    async def tokens_revoked(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        if (event.get("tokens") or {}).get("bot"):
            await _revoke(workspaces, body, context.team_id, "tokens_revoked")

    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(tokens_revoked)


async def _revoke(
    workspaces: SlackWorkspaces | None, body: dict[str, Any], team: str | None, reason: str
) -> None:
    try:
        team = slack_workspace(team)
    except ValueError:
        team = None
    if workspaces is None or team is None:
        return
    # When it happened, not when it arrived: a retried event must not revoke a reinstall after it.
    at = body.get("event_time")
    when = datetime.fromtimestamp(at, UTC) if isinstance(at, int) and at > 0 else None
    await asyncio.to_thread(lambda: workspaces.revoke(team, reason, at=when))
    log.warning("Slack workspace %s: %s; its installation is marked revoked", team, reason)


class ThreadedInstallationStore(AsyncInstallationStore):
    """An ``AsyncInstallationStore`` over slack_sdk's synchronous SQLAlchemy one."""

    def __init__(self, store: TokenStore) -> None:
        self.store = store

    @property
    def logger(self) -> Logger:
        return self.store.logger

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(self, **where: Any) -> Bot | None:
        return await asyncio.to_thread(lambda: self.store.find_bot(**where))

    async def async_find_installation(self, **where: Any) -> Installation | None:
        return await asyncio.to_thread(lambda: self.store.find_installation(**where))

    async def async_delete_bot(self, **where: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_bot(**where))

    async def async_delete_installation(self, **where: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_installation(**where))

    async def async_delete_all(self, **where: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_all(**where))


class ThreadedStateStore(AsyncOAuthStateStore):
    """An ``AsyncOAuthStateStore`` over slack_sdk's synchronous SQLAlchemy one."""

    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> Logger:
        return self.store.logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)
