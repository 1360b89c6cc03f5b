"""What `aidaily serve` runs beside the schedule: the web site and the two chat bots.

Built from settings, as ``app.service.serve`` expects components (async context managers):

- **the site** (``app.web.site``): sign-up pages, the report archive, its search and JSON API,
  ``/healthz`` and ``/metrics`` on ``AIDAILY_WEB_HOST:AIDAILY_WEB_PORT``, plus the bots'
  endpoints below;
- **the Slack bot**, when ``AIDAILY_SLACK_BOT_TOKEN`` (one workspace) or the OAuth client id and
  secret (many) are set: over Socket Mode (``AIDAILY_SLACK_MODE=socket``, with
  ``AIDAILY_SLACK_APP_TOKEN``), or as ``/slack/events`` (and the OAuth pages) on the site;
- **the Telegram bot**, when ``AIDAILY_TELEGRAM_BOT_TOKEN`` is set: long polling, or
  ``/telegram/webhook`` on the site (``AIDAILY_TELEGRAM_MODE=webhook``, with
  ``AIDAILY_PUBLIC_URL`` and ``AIDAILY_TELEGRAM_WEBHOOK_SECRET``).

The bots share one ``Conversation`` (one search index, rebuilt when a new report is stored),
and the site's search and API use that same index.
The site starts first, so a webhook is registered only once its route answers. A bot that is
configured wrongly stops the start with one line (``ConfigError``), before anything runs; a
Slack bot token without the app token (Socket Mode) or signing secret (HTTP) serves delivery
only, and the log says the bot is off.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.routing import BaseRoute

from app.bots import open_conversation, open_index, open_slack_bot
from app.web import site, web_secrets
from bot.conversation import Conversation
from core.config import ConfigError, Settings
from core.logs import event
from core.store import Store

log = logging.getLogger(__name__)
Component = AbstractAsyncContextManager[Any]


def service_components(settings: Settings, store: Store) -> list[Component]:
    """The site and the configured bots, in the order they start."""
    web_secrets(settings)  # no signing key: refuse now, before the bots or the schedule start
    index = open_index(settings, store)  # the bots' and the site's search: one index in memory
    conversation = open_conversation(settings, store, index)
    routes: list[BaseRoute] = []
    bots: list[Component] = []
    for wire in (_slack, _telegram):
        wire(settings, store, conversation, routes, bots)
    return [site(settings, routes, own_signals=False, index=index), *bots]


def _slack(
    settings: Settings,
    store: Store,
    conversation: Conversation,
    routes: list[BaseRoute],
    bots: list[Component],
) -> None:
    from bot.slack_bot import slack_routes, socket_mode_handler

    try:
        bot = open_slack_bot(settings, store, conversation)
    except ConfigError as exc:
        # A bot token alone is what delivery needs; the bot needs one thing more.
        event(log, "service.slack_bot_off", level=logging.WARNING, reason=str(exc))
        return
    if bot is None:
        return
    if bot.serves_http:
        routes.extend(slack_routes(bot.app))
    if bot.app_token is not None:
        try:
            handler = socket_mode_handler(bot.app, bot.app_token)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        bots.append(_socket_mode(handler))


@asynccontextmanager
async def _socket_mode(handler: Any) -> AsyncIterator[None]:
    await handler.connect_async()
    try:
        yield
    finally:
        await handler.close_async()


def _telegram(
    settings: Settings,
    store: Store,
    conversation: Conversation,
    routes: list[BaseRoute],
    bots: list[Component],
) -> None:
    from bot.telegram_bot import build_application, polling
    from bot.telegram_webhook import check_secret, webhook, webhook_routes

    if settings.telegram_bot_token is None:
        return
    token = settings.telegram_bot_token.get_secret_value()
    application = build_application(token, conversation, base_url=settings.telegram_api_url, ballot=store)
    if settings.telegram_mode == "polling":
        bots.append(polling(application))
        return
    secret = _webhook_secret(settings, check_secret)
    routes.extend(webhook_routes(application, secret))
    bots.append(webhook(application, public_url=str(settings.public_url), secret=secret))


def _webhook_secret(settings: Settings, check: Any) -> str:
    if settings.public_url is None or settings.telegram_webhook_secret is None:
        raise ConfigError(
            "AIDAILY_TELEGRAM_MODE=webhook needs AIDAILY_PUBLIC_URL and AIDAILY_TELEGRAM_WEBHOOK_SECRET"
        )
    try:
        return check(settings.telegram_webhook_secret.get_secret_value())
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
