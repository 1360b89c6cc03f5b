"""Which adapter serves which channel, built from settings: the delivery half of the composition root.

``CHANNELS`` is the registry, a literal dict. A channel is one entry: a function that opens its
adapter (an async context manager yielding a ``delivery.base.Adapter``; given a ``CallLog`` it
must yield a dry-run adapter that records calls instead of making them) and the name of the
setting holding its token (unset: every delivery of that channel is a dry run). To add a
channel, write its ``open_<channel>`` below and add its line to ``CHANNELS``; nothing else
changes (the CLI, the demo and the service all go through ``deliver_channels``).

Only this module and the CLI read delivery settings; adapters get plain values.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import ClassVar

from core.config import ConfigError, Settings
from core.links import DEV_SECRET_KEY, Links
from core.logs import hide_in_logs
from core.models import Channel, Report, Subscription, SubscriptionStatus
from core.platforms.dkim import DkimSigner
from core.platforms.pacing import Pacer, unpaced
from core.platforms.slack_api import slack_pacer
from core.platforms.smtp import SmtpOptions, SmtpSender
from core.store import Store
from delivery.base import Adapter, DeliveryResult, Ledger
from delivery.dispatch import MemoryLedger, OverlayLedger, deliver_all
from delivery.dryrun import CallLog
from delivery.email import DryRunMailer, EmailAdapter, SmtpMailer
from delivery.email_render import EmailRenderer
from delivery.holding import LedgerPolicy
from delivery.slack import DryRunApi, SlackAdapter, WebApi, make_client
from delivery.slack_workspaces import WorkspaceApis
from delivery.telegram import TelegramAdapter

log = logging.getLogger(__name__)
OpenAdapter = Callable[[Settings, CallLog | None], AbstractAsyncContextManager[Adapter]]
NO_SECRET_KEY = (
    "AIDAILY_SECRET_KEY is not set: it signs the links in mail and on the site"
    " (make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
)


@dataclass(frozen=True, slots=True)
class Wiring:
    open: OpenAdapter
    token: str  # the Settings field whose absence makes every delivery a dry run
    or_token: str | None = None  # ... unless this one is set (Slack: OAuth installations)


def smtp_options(settings: Settings, connections: int | None = None) -> SmtpOptions:
    """How to reach the SMTP server; ``connections`` caps ``AIDAILY_SMTP_CONNECTIONS``."""
    return SmtpOptions(
        host=settings.smtp_host or "",
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=settings.secret("smtp_password"),
        rate=settings.smtp_rate,
        connections=min(connections or settings.smtp_connections, settings.smtp_connections),
    )


def signing_key(settings: Settings) -> str:
    """``AIDAILY_SECRET_KEY``, or ``ConfigError``. Real links have no fallback: the development
    key is published in the source, and a token signed with it confirms or unsubscribes anyone."""
    secret = settings.secret("secret_key")
    if not secret:
        raise ConfigError(NO_SECRET_KEY)
    return secret


def check_email_secrets(settings: Settings, channels: Iterable[Channel], *, dry_run: bool = False) -> None:
    """Refuse, before anything is sent, a real email delivery without its signing key and public
    URL; a dry run (``--dry-run``, or no ``AIDAILY_SMTP_HOST``) signs with the development key."""
    if dry_run or Channel.EMAIL not in channels or missing_token(settings, Channel.EMAIL):
        return
    signing_key(settings)
    if settings.public_url is None:
        raise ConfigError("sending email needs AIDAILY_PUBLIC_URL (the unsubscribe links point there)")


def ledger_policy(settings: Settings) -> LedgerPolicy:
    """How long a delivery's claims last and how long it retries a failing ledger."""
    return LedgerPolicy(lease=settings.delivery_lease, retry=settings.ledger_retry)


def archive_url(settings: Settings) -> Callable[[date], str] | None:
    """``{AIDAILY_PUBLIC_URL}/reports/<date>/``, the web archive's page of a report, if set."""
    if settings.public_url is None:
        return None
    base = str(settings.public_url).rstrip("/")
    return lambda day: f"{base}/reports/{day.isoformat()}/"


@asynccontextmanager
async def open_slack(settings: Settings, calls: CallLog | None) -> AsyncIterator[Adapter]:
    links, votes = archive_url(settings), settings.feedback_buttons
    if calls is not None:
        yield SlackAdapter(DryRunApi(calls), unpaced(), archive_url=links, votes=votes)
        return
    if missing_token(settings, Channel.SLACK):
        raise ValueError("AIDAILY_SLACK_BOT_TOKEN is not set")
    pacer = slack_pacer()
    make_api = _slack_api(settings, pacer)
    token = settings.secret("slack_bot_token")
    default = make_api(token) if token else None
    if settings.slack_client_id is None:  # one workspace: the bot token posts everything
        yield SlackAdapter(default, pacer, archive_url=links, votes=votes)
        return
    with Store.open(settings.database_url) as store:
        installed = store.slack_workspaces(settings.slack_client_id, settings.secret("slack_token_key"))
        workspaces = WorkspaceApis(installed, make_api, default)
        yield SlackAdapter(default, pacer, archive_url=links, votes=votes, workspaces=workspaces)


def _slack_api(settings: Settings, pacer: Pacer) -> Callable[[str], WebApi]:
    """chat.postMessage with a token: the bot's, or an OAuth installation's (``slack_workspaces``)."""

    def api(token: str) -> WebApi:
        hide_in_logs([token])  # an installation's token is a secret the settings do not hold
        return WebApi(make_client(token, settings.slack_api_url, pacer))

    return api


@asynccontextmanager
async def open_telegram(settings: Settings, calls: CallLog | None) -> AsyncIterator[Adapter]:
    public_url = str(settings.public_url) if settings.public_url else None
    votes = settings.feedback_buttons
    if calls is not None:
        yield TelegramAdapter.dry_run(calls, public_url=public_url, votes=votes)
        return
    if settings.telegram_bot_token is None:
        raise ValueError("AIDAILY_TELEGRAM_BOT_TOKEN is not set")
    token = settings.telegram_bot_token.get_secret_value()
    base_url = settings.telegram_api_url
    async with TelegramAdapter(token, base_url=base_url, public_url=public_url, votes=votes) as adapter:
        yield adapter


def dkim_signer(settings: Settings) -> DkimSigner | None:
    """The DKIM signer for ``AIDAILY_EMAIL_FROM``'s domain, if a key is set (``DkimKeyError`` if bad)."""
    if settings.dkim_private_key_file is None:
        return None
    domain = parseaddr(settings.email_from)[1].rpartition("@")[2]
    key_file, selector = settings.dkim_private_key_file, settings.dkim_selector
    return DkimSigner.from_file(key_file, selector=selector, domain=domain)


@asynccontextmanager
async def open_email(settings: Settings, calls: CallLog | None) -> AsyncIterator[Adapter]:
    links = archive_url(settings)
    renderer = EmailRenderer(
        archive_url=(lambda report: links(report.date)) if links else None, votes=settings.feedback_buttons
    )
    signer = dkim_signer(settings)  # a dry run signs too: a bad key shows before the real run
    if calls is not None:
        # A dry run signs its links with a fixed development key unless a real one is set.
        secret = settings.secret("secret_key") or DEV_SECRET_KEY
        base = str(settings.public_url) if settings.public_url else "http://127.0.0.1:8000"
        mailer = DryRunMailer(calls, settings.out_dir)
        links_maker = Links(base, secret)
        yield EmailAdapter(mailer, renderer, links_maker, from_address=settings.email_from, signer=signer)
        return
    if settings.smtp_host is None:
        raise ValueError("AIDAILY_SMTP_HOST is not set")
    if not settings.secret("secret_key") or settings.public_url is None:
        raise ValueError("sending email needs AIDAILY_SECRET_KEY and AIDAILY_PUBLIC_URL (unsubscribe links)")
    options = smtp_options(settings)
    link_maker = Links(str(settings.public_url), signing_key(settings))
    with Store.open(settings.database_url) as store:

        def bounced(subscription: Subscription, error: str) -> None:
            if subscription.id is not None:
                store.set_subscription_status(subscription.id, SubscriptionStatus.BOUNCED)
            log.warning("%s bounced (%s): marked bounced", subscription.target, error)

        async with SmtpSender(options) as sender:
            yield EmailAdapter(
                SmtpMailer(sender),
                renderer,
                link_maker,
                from_address=settings.email_from,
                on_bounce=bounced,
                signer=signer,
            )


#: The registry: channel -> how to open its adapter, and the setting that holds its token.
CHANNELS: dict[Channel, Wiring] = {
    Channel.SLACK: Wiring(open_slack, token="slack_bot_token", or_token="slack_client_id"),
    Channel.TELEGRAM: Wiring(open_telegram, token="telegram_bot_token"),
    Channel.EMAIL: Wiring(open_email, token="smtp_host"),
}


def select_channels(name: str) -> list[Channel]:
    """``slack``, ``telegram``, ``email`` or ``all`` -> the registered channels meant."""
    if name == "all":
        return list(CHANNELS)
    try:
        channel = Channel(name)
    except ValueError:
        choices = " | ".join([*(c.value for c in Channel), "all"])
        raise ValueError(f"unknown channel {name!r}: use {choices}") from None
    if channel not in CHANNELS:
        raise ValueError(f"delivery to {channel.value} is not built yet; registered: {_registered()}")
    return [channel]


def _registered() -> str:
    return ", ".join(c.value for c in CHANNELS)


@dataclass
class Totals:
    """Counts over every subscription of a channel's run."""

    subscriptions: int = 0
    planned: int = 0
    sent: int = 0
    already_sent: int = 0
    incomplete: int = 0

    def add(self, result: DeliveryResult) -> None:
        self.subscriptions += 1
        self.planned += result.planned
        self.sent += result.sent
        self.already_sent += result.already_sent
        self.incomplete += not result.complete


@dataclass(slots=True)
class ChannelRun:
    """One channel's share of ``aidaily deliver``.

    ``totals`` counts every subscription; ``results`` keeps the first ``SHOWN`` results and every
    incomplete one up to ``SHOWN_FAILURES``, so a run to a hundred thousand addresses holds a
    few hundred results, not all of them.
    """

    channel: Channel
    results: list[DeliveryResult] = field(default_factory=list)
    dry_run_reason: str | None = None  # "--dry-run" or "AIDAILY_..._TOKEN is not set"
    calls_file: Path | None = None
    error: str | None = None  # the channel could not be served at all (its adapter failed to open)
    totals: Totals = field(default_factory=Totals)
    stopped: str | None = None  # why the run stopped early (the SMTP server refused the message)

    SHOWN: ClassVar[int] = 50
    SHOWN_FAILURES: ClassVar[int] = 200

    @property
    def failed(self) -> bool:
        return self.error is not None or self.stopped is not None or self.totals.incomplete > 0

    def add(self, result: DeliveryResult) -> None:
        self.totals.add(result)
        if result.halt and self.stopped is None:
            self.stopped = result.error
        shown = len(self.results)
        if shown < self.SHOWN or (not result.complete and shown < self.SHOWN + self.SHOWN_FAILURES):
            self.results.append(result)


async def deliver_channels(
    store: Store,
    report: Report,
    settings: Settings,
    channels: Sequence[Channel],
    *,
    dry_run: bool = False,
    ledger: Ledger | None = None,
) -> list[ChannelRun]:
    """Deliver ``report`` to every confirmed subscription of ``channels``; the channels at once.

    ``ledger`` stands in for the store's (the service wraps it to stop starting messages on
    SIGTERM)."""
    base = ledger or store.ledger
    runs = (_deliver(store, base, report, settings, c, dry_run) for c in channels)
    return list(await asyncio.gather(*runs))


async def _deliver(
    store: Store, base: Ledger, report: Report, settings: Settings, channel: Channel, dry_run: bool
) -> ChannelRun:
    subscriptions = store.iter_subscriptions(channel, SubscriptionStatus.CONFIRMED)
    first = next(subscriptions, None)
    if first is None:
        return ChannelRun(channel)
    subscriptions = itertools.chain([first], subscriptions)
    reason = "--dry-run" if dry_run else missing_token(settings, channel)
    ledger: Ledger = OverlayLedger(base) if reason else base
    return await _run(report, settings, channel, subscriptions, ledger, reason)


async def preview_channels(
    report: Report, settings: Settings, subscriptions: Sequence[Subscription]
) -> list[ChannelRun]:
    """Dry runs of ``report`` to ``subscriptions`` that need no store: what the demo shows."""
    runs = []
    for channel in CHANNELS:
        wanted = [s for s in subscriptions if s.channel == channel]
        if wanted:
            runs.append(await _run(report, settings, channel, wanted, MemoryLedger(), "a preview"))
    return runs


async def _run(
    report: Report,
    settings: Settings,
    channel: Channel,
    subscriptions: Iterable[Subscription],
    ledger: Ledger,
    dry_run_reason: str | None,
) -> ChannelRun:
    path = settings.out_dir / f"{report.date.isoformat()}.{channel.value}.jsonl" if dry_run_reason else None
    try:
        with ExitStack() as stack:
            calls = stack.enter_context(CallLog(path)) if path else None
            async with CHANNELS[channel].open(settings, calls) as adapter:
                run = ChannelRun(channel, [], dry_run_reason, path)
                policy = ledger_policy(settings)
                await deliver_all(adapter, report, subscriptions, ledger, on_result=run.add, policy=policy)
    except Exception as exc:  # one channel failing to start must not stop the others
        log.debug("delivery to %s could not start", channel.value, exc_info=True)
        return ChannelRun(channel, [], dry_run_reason, path, error=f"{type(exc).__name__}: {exc}")
    return run


def missing_token(settings: Settings, channel: Channel) -> str | None:
    """Why ``channel`` cannot really send (its token setting is unset), or None when it can."""
    wiring = CHANNELS[channel]
    if all(getattr(settings, name) is None for name in (wiring.token, wiring.or_token) if name):
        return f"AIDAILY_{wiring.token.upper()} is not set"
    return None
