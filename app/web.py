"""``aidaily web``: the composition root that builds the web app from ``Settings`` and serves it.

Setup
-----
- ``AIDAILY_WEB_HOST`` / ``AIDAILY_WEB_PORT``: where uvicorn listens (``127.0.0.1:8000``). Put
  a TLS-terminating reverse proxy in front and keep the host on loopback; uvicorn then takes
  the client address from ``X-Forwarded-For`` (trusted from 127.0.0.1 only), which the sign-up
  rate limit counts by.
- ``AIDAILY_PUBLIC_URL``: the https address readers reach, used in the links the app mails.
- ``AIDAILY_SECRET_KEY`` (required): signs the links and forms; the same key as the
  newsletter's, or links in mail already sent stop working. The site refuses to start without
  it: the development key is public, and links signed with it would act on real subscriptions.
- ``AIDAILY_CONFIRM_HOURS`` (48) and ``AIDAILY_SUBSCRIBE_LIMIT`` (5 per client and per address
  an hour).
- ``AIDAILY_API_LIMIT`` (60 a minute per client, ``/api/`` and ``/search`` together) and
  ``AIDAILY_CACHE_DIR``: the search behind both is the bot's index (``bot.index_cache.IndexCache``),
  loaded from or saved to that directory and rebuilt when a report is stored.
- ``AIDAILY_SMTP_*``, ``AIDAILY_EMAIL_FROM`` and ``AIDAILY_DKIM_*`` as for the newsletter. Without
  ``AIDAILY_SMTP_HOST`` no mail is sent: each confirmation is appended to
  ``out/confirmations.jsonl`` (link included), and the public URL defaults to the listening
  address.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from app.channels import dkim_signer, signing_key, smtp_options
from bot.index_cache import IndexCache
from core.config import ConfigError, Settings
from core.platforms.smtp import SmtpSender
from core.store import Store
from web.api import api_routes
from web.app import create_app
from web.archive import archive_routes
from web.confirm_mail import ConfirmationMailer, DryRunConfirmationMailer, SmtpConfirmationMailer
from web.health import health_routes
from web.metrics import instrument, metrics_registry
from web.ratelimit import SlidingWindowLimiter
from web.search_page import search_routes

log = logging.getLogger(__name__)
CONFIRMATIONS_FILE = "confirmations.jsonl"
MINUTE = 60.0


def run_web(settings: Settings) -> None:
    """Serve the web app on ``settings.web_host:web_port`` until interrupted."""
    asyncio.run(serve(settings))


async def serve(settings: Settings) -> None:
    async with site(settings) as server:
        await server.wait()


class _Server(uvicorn.Server):
    """uvicorn, minus its own SIGINT/SIGTERM handling when a host process owns the signals."""

    def __init__(self, config: uvicorn.Config, *, own_signals: bool) -> None:
        super().__init__(config)
        self.own_signals = own_signals

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        if self.own_signals:
            with super().capture_signals():
                yield
        else:
            yield


class RunningSite:
    """The site while it serves: ``wait()`` for it to end of its own accord (Ctrl-C)."""

    def __init__(self, task: asyncio.Task[None]) -> None:
        self.task = task

    async def wait(self) -> None:
        await self.task


@asynccontextmanager
async def site(
    settings: Settings,
    extra_routes: Sequence[BaseRoute] = (),
    *,
    own_signals: bool = True,
    index: IndexCache | None = None,
) -> AsyncIterator[RunningSite]:
    """The whole site served by uvicorn on ``AIDAILY_WEB_HOST:AIDAILY_WEB_PORT`` while the block
    runs (it has started listening on entry); ``aidaily serve`` passes ``own_signals=False``,
    the bots' endpoints as ``extra_routes`` and their search index, so one is kept in memory."""
    secret, public_url = web_secrets(settings)
    with Store.open(settings.database_url) as store:
        async with open_mailer(settings) as mailer:
            app = build_app(settings, store, mailer, secret, public_url, extra_routes, index)
            server = _Server(_uvicorn_config(app, settings), own_signals=own_signals)
            task = asyncio.create_task(server.serve())
            while not server.started and not task.done():
                await asyncio.sleep(0.02)
            if task.done():
                await task  # it could not start (the port is taken): its error, or SystemExit
            try:
                yield RunningSite(task)
            finally:
                server.should_exit = True
                await task


def _uvicorn_config(app: Starlette, settings: Settings) -> uvicorn.Config:
    config = uvicorn.Config(
        app,
        host=settings.web_host,
        port=settings.web_port,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        log_level="info",
    )
    return config


def build_app(
    settings: Settings,
    store: Store,
    mailer: ConfirmationMailer,
    secret: str,
    public_url: str,
    extra_routes: Sequence[BaseRoute] = (),
    index: IndexCache | None = None,
) -> Starlette:
    """The whole site: subscription pages, the archive, its search and API, health and metrics,
    and ``extra_routes`` (the bots' endpoints, when the service runs them)."""
    registry = metrics_registry(store)
    searcher = (index or IndexCache(store, settings.cache_dir)).current
    limiter = SlidingWindowLimiter(settings.api_limit, MINUTE)  # one per client for both
    routes = [
        *archive_routes(store, public_url=public_url, language=settings.report_language),
        *search_routes(searcher, limiter, language=settings.report_language),
        *api_routes(store, searcher, limiter, public_url=public_url),
        *health_routes(store, registry),
        *extra_routes,
    ]
    app = create_app(
        store,
        secret_key=secret,
        public_url=public_url,
        mailer=mailer,
        confirm_max_age=settings.confirm_hours * 3600,
        subscribe_limit=settings.subscribe_limit,
        extra_routes=routes,
        feedback_days=settings.feedback_days,
    )
    instrument(app, registry)
    return app


def web_secrets(settings: Settings) -> tuple[str, str]:
    """The signing key (``ConfigError`` without one) and the public URL, which defaults to the
    listening address unless the site mails links."""
    secret = signing_key(settings)
    if settings.public_url is not None:
        return secret, str(settings.public_url)
    if settings.smtp_host is not None:
        raise ConfigError("the web app sends mail, so it needs AIDAILY_SECRET_KEY and AIDAILY_PUBLIC_URL")
    return secret, f"http://{settings.web_host}:{settings.web_port}"


@asynccontextmanager
async def open_mailer(settings: Settings) -> AsyncIterator[ConfirmationMailer]:
    """SMTP when ``AIDAILY_SMTP_HOST`` is set, else the JSON Lines file under ``out_dir``."""
    if settings.smtp_host is None:
        path = settings.out_dir / CONFIRMATIONS_FILE
        log.warning("AIDAILY_SMTP_HOST is not set: confirmation mail is written to %s", path)
        yield DryRunConfirmationMailer(path)
        return
    signer = dkim_signer(settings)
    # The newsletter's settings on fewer connections: sign-ups come one at a time.
    async with SmtpSender(smtp_options(settings, connections=2)) as sender:
        yield SmtpConfirmationMailer(sender, settings.email_from, signer=signer)
