"""Which token posts a Slack subscription's digest: its workspace's OAuth installation, or the one bot token.

A subscription made with ``/aidaily subscribe`` knows its workspace (``Subscription.workspace``,
the team id). With the app installed in many workspaces (``bot.slack_oauth``), its digest is
posted with that workspace's own installation token; a subscription without a workspace, or in
a workspace the app was never installed in through OAuth, is posted with
``AIDAILY_SLACK_BOT_TOKEN`` (the single-workspace mode), and fails, permanently and saying why,
when that is not set either.

When Slack answers an installation's token with ``token_revoked``, ``invalid_auth``,
``account_inactive`` or ``team_access_not_granted``, the installation is marked revoked in the
store (with the time and the error) and nothing more is sent with it: the workspace's other
subscriptions in the same run, and every later run, fail at once with a record naming the
revocation, without calling Slack. Other workspaces go on. Installing the app again (a newer
installation) makes the workspace active again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from core.models import SlackWorkspace, Subscription
from delivery.base import DeliveryError
from delivery.slack import SlackApi

#: What Slack answers a token that will never work again (the app uninstalled, the token revoked,
#: the workspace deleted, an org-wide app no longer granted the workspace).
REVOKED_ERRORS = frozenset({"token_revoked", "invalid_auth", "account_inactive", "team_access_not_granted"})


class Workspaces(Protocol):
    """The store's view of the installations (``core.store.slack_workspaces.SlackWorkspaces``)."""

    def find(self, team_id: str) -> SlackWorkspace | None: ...

    def revoke(
        self, team_id: str, error: str, *, at: datetime | None = None, installed_at: datetime | None = None
    ) -> bool: ...


class WorkspaceApis:
    """The ``SlackApi`` for each subscription (see the module docstring).

    ``make_api`` builds the API of one installation's token (clients are kept per token, so a
    reinstall's new token gets a new one); ``default`` is the one bot token's, if set. What the
    store says about a workspace is kept ``ttl`` seconds: a long-running worker sees a reinstall
    within that time, and a delivery asks the store once per workspace, not once per message."""

    def __init__(
        self,
        workspaces: Workspaces | None,
        make_api: Callable[[str], SlackApi],
        default: SlackApi | None = None,
        *,
        ttl: float = 60.0,
    ) -> None:
        self.workspaces = workspaces
        self.make_api = make_api
        self.default = default
        self.ttl = ttl
        self._known: dict[str, tuple[float, SlackWorkspace | None]] = {}
        self._apis: dict[str, SlackApi] = {}
        self._dead: dict[str, SlackWorkspace] = {}  # token -> its workspace, as revoked by this run

    async def api(self, subscription: Subscription) -> SlackApi:
        """The API to post to ``subscription`` with; ``DeliveryError`` (permanent) when none may."""
        team = subscription.workspace
        found = await self._find(team) if team and self.workspaces is not None else None
        if found is None:
            if self.default is None:
                raise DeliveryError(_no_token(subscription), permanent=True)
            return self.default
        dead = self._dead.get(found.bot_token)  # even if a lookup begun earlier still says active
        if dead is not None or found.revoked:
            raise DeliveryError(_not_attempted(dead or found), permanent=True)
        if found.bot_token not in self._apis:
            self._apis[found.bot_token] = self.make_api(found.bot_token)
        return _Installed(self, found, self._apis[found.bot_token])

    async def _find(self, team: str) -> SlackWorkspace | None:
        cached = self._known.get(team)
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        assert self.workspaces is not None
        found = await asyncio.to_thread(self.workspaces.find, team)
        self._known[team] = (time.monotonic() + self.ttl, found)
        return found

    async def revoked(self, workspace: SlackWorkspace, error: str) -> None:
        """Slack refused ``workspace``'s token for good: stored, and not used again by this run."""
        assert self.workspaces is not None
        now = datetime.now(UTC)
        self._dead[workspace.bot_token] = replace(workspace, revoked_at=now, revoked_error=error)
        team, installed = workspace.team_id, workspace.installed_at
        await asyncio.to_thread(self.workspaces.revoke, team, error, at=now, installed_at=installed)
        self._known.pop(team, None)  # looked up again: a reinstall meanwhile has another token


class _Installed:
    """One installation's API: a refusal of its token marks the installation revoked."""

    def __init__(self, owner: WorkspaceApis, workspace: SlackWorkspace, api: SlackApi) -> None:
        self.owner = owner
        self.workspace = workspace
        self.api = api

    async def post_message(self, params: Mapping[str, Any], *, key: str) -> str:
        try:
            return await self.api.post_message(params, key=key)
        except DeliveryError as exc:
            if str(exc) not in REVOKED_ERRORS:
                raise
            await self.owner.revoked(self.workspace, str(exc))
            raise DeliveryError(_revoked_now(self.workspace, str(exc)), permanent=True) from None


def _revoked_now(workspace: SlackWorkspace, error: str) -> str:
    return (
        f"{error}: the app's installation in workspace {workspace.team_id} no longer works; marked"
        " revoked, its digests stop until the app is installed there again"
    )


def _not_attempted(workspace: SlackWorkspace) -> str:
    when = f"{workspace.revoked_at:%Y-%m-%d %H:%M} UTC" if workspace.revoked_at else "earlier"
    return (
        f"not attempted: the app's installation in workspace {workspace.team_id} was revoked"
        f" {when} ({workspace.revoked_error}); install the app there again to resume"
    )


def _no_token(subscription: Subscription) -> str:
    if subscription.workspace:
        return (
            f"workspace {subscription.workspace} has not installed the app (/slack/install)"
            " and AIDAILY_SLACK_BOT_TOKEN is not set"
        )
    return (
        f"{subscription.target} names no workspace and AIDAILY_SLACK_BOT_TOKEN is not set: run"
        " /aidaily subscribe in the channel, or add it with --workspace TEAM_ID"
    )
