"""Slack delivery: the day's report as a header message and one thread per section.

Setting it up
-------------
1. Create an app at https://api.slack.com/apps ("Create New App" > "From scratch"), in the
   workspace that should receive the report.
2. "OAuth & Permissions" > "Bot Token Scopes": add ``chat:write`` (post where the bot is a
   member). Add ``chat:write.public`` too if the bot should post to public channels without
   being invited. Nothing else is needed for delivery.
3. "Install to Workspace", then copy the "Bot User OAuth Token" (``xoxb-...``) into
   ``AIDAILY_SLACK_BOT_TOKEN``. It is read only from the environment and never printed.
4. Invite the bot to each channel (``/invite @YourApp`` in the channel); otherwise Slack answers
   ``not_in_channel``.
5. Find the channel's ID (channel name > "View channel details" > bottom of "About", e.g.
   ``C0123ABCD``) and subscribe it: ``aidaily subscriptions add slack:C0123ABCD``
   (``--sections top_headlines,research`` to send only some sections).
6. ``aidaily deliver --channel slack --dry-run`` writes the exact calls to
   ``out/<date>.slack.jsonl``; without ``--dry-run`` (and with the token set) they are sent.
   ``aidaily deliveries`` shows what was sent, what failed and why.

Many workspaces: with ``AIDAILY_SLACK_CLIENT_ID`` set, a channel subscribed with ``/aidaily
subscribe`` in a workspace that installed the app through OAuth (``/slack/install``) gets its
digest with that installation's own token, and a revoked installation stops only its own
deliveries (``delivery.slack_workspaces``); ``AIDAILY_SLACK_BOT_TOKEN`` serves the rest.

``AIDAILY_SLACK_API_URL`` changes the Web API base (tests point it at a loopback fake).

What is sent
------------
A header message (title, date, counts, a link to ``{AIDAILY_PUBLIC_URL}/reports/<date>/`` when
that is set); for each non-empty section a message with its heading and item titles; the items
as replies in that message's thread, in order, several per reply (see ``slack_format``), each
with 👍 / 👎 buttons when ``AIDAILY_FEEDBACK_BUTTONS`` is on (the default): the presses reach the
Slack bot (``aidaily bot slack`` or ``aidaily serve``), whose app must have Interactivity on, as
``deploy/slack-app-manifest.json`` has it. Every
message is Block Kit with a plain ``text`` fallback, and ``unfurl_links``/``unfurl_media`` off so
a digest of twenty links does not grow twenty previews.

Limits and failures
-------------------
Slack allows about one message per second per channel: a ``Pacer`` spaces sends per channel,
so a normal delivery meets no 429. A 429 that comes anyway is retried after its Retry-After
(every channel pauses); a dropped connection is retried once (slack_sdk's handler: should the
connection break after Slack accepted the message, that retry is the one way a message can
arrive twice, the same window as a crash; see ``delivery.dispatch``). ``channel_not_found``,
``not_in_channel``, ``is_archived``, ``account_inactive``, ``invalid_auth`` and the like are
permanent failures: recorded, and that subscription stops; other errors stop it too but are
expected to pass on a later run. Neither kind affects other subscriptions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from core.models import Report, Subscription
from core.platforms.pacing import Pacer
from core.platforms.slack_api import RetryAfterHandler
from core.platforms.slack_mrkdwn import DEFAULT_LIMITS, SlackLimits
from delivery import slack_format
from delivery.base import DeliveryError, OutgoingMessage
from delivery.dryrun import CallLog, placeholder

if TYPE_CHECKING:
    from delivery.slack_workspaces import WorkspaceApis

#: Errors that another attempt will not fix until someone acts (invites the bot, fixes the token).
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "team_access_not_granted",
    }
)


class SlackApi(Protocol):
    """The one call the adapter makes; real (``WebApi``) or recorded (``DryRunApi``)."""

    async def post_message(self, params: Mapping[str, Any], *, key: str) -> str: ...


class SlackAdapter:
    """The ``delivery.base.Adapter`` for Slack."""

    channel = "slack"

    def __init__(
        self,
        api: SlackApi | None,  # None only with ``workspaces``, which then has no default token
        pacer: Pacer,
        *,
        archive_url: Callable[[date], str] | None = None,
        limits: SlackLimits = DEFAULT_LIMITS,
        votes: bool = False,
        workspaces: WorkspaceApis | None = None,
    ) -> None:
        self.api = api
        self.pacer = pacer
        self.archive_url = archive_url
        self.limits = limits
        self.votes = votes  # 👍 / 👎 under each item (the Slack bot records the presses)
        self.workspaces = workspaces  # set: each subscription is posted with its workspace's token

    def plan(self, report: Report, subscription: Subscription) -> list[OutgoingMessage]:
        return slack_format.plan(
            report, subscription, archive_url=self.archive_url, limits=self.limits, votes=self.votes
        )

    async def send(self, message: OutgoingMessage, subscription: Subscription, parent_id: str | None) -> str:
        params = {"channel": subscription.address, **message.payload}
        if parent_id is not None:
            params["thread_ts"] = parent_id
        api = self.api if self.workspaces is None else await self.workspaces.api(subscription)
        await self.pacer.wait(subscription.address)
        try:
            return await api.post_message(params, key=message.key)
        finally:
            self.pacer.answered(subscription.address)


class WebApi:
    """chat.postMessage through slack_sdk's ``AsyncWebClient``, errors as ``DeliveryError``."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post_message(self, params: Mapping[str, Any], *, key: str) -> str:
        try:
            response = await self.client.chat_postMessage(**params)
        except SlackApiError as exc:
            raise _delivery_error(exc) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryError(f"cannot reach Slack: {type(exc).__name__} {exc}".rstrip()) from None
        return str(response["ts"])


class DryRunApi:
    """Records each call in a ``CallLog``; the message's id is ``"<ts of KEY>"``."""

    def __init__(self, calls: CallLog) -> None:
        self.calls = calls

    async def post_message(self, params: Mapping[str, Any], *, key: str) -> str:
        self.calls.record("chat.postMessage", params)
        return placeholder("ts", key)


def _delivery_error(exc: SlackApiError) -> DeliveryError:
    code = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    if exc.response.status_code == 429:
        code = "ratelimited: still limited after every Retry-After"
    return DeliveryError(code, permanent=code in PERMANENT_ERRORS)


def make_client(
    token: str,
    base_url: str,
    pacer: Pacer,
    *,
    timeout: int = 30,
    rate_limit_retries: int = 5,
    connection_retries: int = 1,
    backoff: float = 0.5,
) -> AsyncWebClient:
    """The client, with retries for 429 (after Retry-After, through ``pacer``) and lost connections."""
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(
            max_retry_count=connection_retries,
            interval_calculator=BackoffRetryIntervalCalculator(backoff_factor=backoff),
        ),
        RetryAfterHandler(pacer, max_retry_count=rate_limit_retries),
    ]
    return AsyncWebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=handlers)
