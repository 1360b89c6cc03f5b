"""The Telegram bot in webhook mode: Telegram POSTs each update to ``/telegram/webhook``.

Setup (``AIDAILY_TELEGRAM_MODE=webhook``): ``AIDAILY_PUBLIC_URL`` is where Telegram reaches the web
app, over HTTPS on port 443, 80, 88 or 8443; ``AIDAILY_TELEGRAM_WEBHOOK_SECRET`` is a secret of 1-256
characters ``A-Z a-z 0-9 _ -`` (e.g. ``python -c "import secrets; print(secrets.token_urlsafe(32))"``).
The web app mounts :func:`webhook_routes`; the service runs the bot inside :func:`webhook`, which
registers the URL and the secret with ``setWebhook``. The webhook stays set when the bot stops, so
Telegram keeps the updates of a restart (for up to 24 hours) and delivers them afterwards.

Every request must carry the secret in ``X-Telegram-Bot-Api-Secret-Token``, compared in constant
time: without it (or with another) the answer is 403 and nothing is processed, so nobody who
merely knows the URL can talk to the bot as someone else. A body that is not an update is 400.
An accepted update is queued for the application and answered 200 at once: Telegram waits for the
answer before sending the next update, and retries on errors and timeouts.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot.telegram_bot import ALLOWED_UPDATES, register_commands, token_free_errors

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: An update is a few kilobytes; anything far larger is not one.
MAX_BODY_BYTES = 1_000_000
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def webhook_url(public_url: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH


def check_secret(secret: str) -> str:
    """``secret`` if Telegram accepts it as a webhook secret token, else ValueError (a config error)."""
    if not _SECRET.fullmatch(secret):
        raise ValueError("the Telegram webhook secret must be 1-256 characters of A-Z a-z 0-9 _ -")
    return secret


def webhook_routes(application: Application, secret: str) -> list[Route]:
    """``POST /telegram/webhook`` feeding ``application``, for the web app's ``extra_routes``."""
    expected = check_secret(secret).encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return PlainTextResponse("forbidden", status_code=403)
        update = await _update(request, application)
        if update is None:
            return PlainTextResponse("not a Telegram update", status_code=400)
        if not application.running:
            return PlainTextResponse("the bot is not running", status_code=503)  # Telegram retries
        await application.update_queue.put(update)
        return Response(status_code=200)

    return [Route(WEBHOOK_PATH, receive, methods=["POST"], name="telegram_webhook")]


async def _update(request: Request, application: Application) -> Update | None:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        return Update.de_json(data, application.bot)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("telegram webhook: a body that is not an update (%s)", type(exc).__name__)
        return None


@asynccontextmanager
async def webhook(application: Application, *, public_url: str, secret: str) -> AsyncIterator[Application]:
    """``application`` answering the updates the web app's route queues while the block runs:
    the command menu and the webhook (URL, secret, allowed updates) are registered on entry. A
    start-up failure (a rejected token or URL) raises :class:`~bot.telegram_bot.TelegramBotError`."""
    with token_free_errors(application.bot.token):
        async with application:  # getMe; shutdown on exit
            await register_commands(application.bot)
            await application.bot.set_webhook(
                url=webhook_url(public_url),
                secret_token=check_secret(secret),
                allowed_updates=list(ALLOWED_UPDATES),
            )
            await application.start()
            try:
                yield application
            finally:
                await application.stop()
