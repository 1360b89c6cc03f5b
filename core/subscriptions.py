"""Reading what a user types for a subscription: ``slack:C0123ABCD``, ``telegram:-1001234/45``,
``email:someone@example.org``, a section list and a language.

Pure functions; each mistake raises ``ValueError`` with one line that says how to fix it.
"""

from __future__ import annotations

import re

from core.models import SECTION_BY_KEY, Channel, Subscription, SubscriptionStatus

FORMS = "slack:CHANNEL_ID, telegram:CHAT_ID[/TOPIC_ID] or email:someone@example.org"
LANGUAGES = ("zh-TW", "en")

# Slack ids: C (public channel), G (private channel), D (direct message), or a user (U, W),
# which chat.postMessage turns into a DM with the bot.
_SLACK_ID = re.compile(r"[CGDUW][A-Z0-9]{6,20}")
# A Slack workspace (team) id: the installation whose token posts a subscription's digest.
_SLACK_TEAM = re.compile(r"T[A-Z0-9]{2,30}")
# Telegram: a numeric chat id (groups and channels are negative), or a public @username.
_TELEGRAM_CHAT = re.compile(r"-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{3,31}")
_TELEGRAM_TOPIC = re.compile(r"[1-9][0-9]{0,9}")
# Deliberately plain: one @, a dot in the domain, no spaces. Double opt-in proves the rest.
_EMAIL = re.compile(r"[^@\s<>,;:\"]+@[^@\s<>,;:\"]+\.[A-Za-z]{2,}")


def parse_target(text: str) -> tuple[Channel, str, str | None]:
    """``channel:address[/thread]`` -> (channel, address, thread)."""
    name, colon, rest = text.strip().partition(":")
    try:
        channel = Channel(name.lower())
    except ValueError:
        raise ValueError(f"unknown channel {name!r} in {text!r}: use {FORMS}") from None
    if not colon or not rest:
        raise ValueError(f"{text!r} names no address: use {FORMS}")
    return _PARSERS[channel](rest)


def _slack(rest: str) -> tuple[Channel, str, None]:
    if not _SLACK_ID.fullmatch(rest):
        raise ValueError(
            f"bad Slack channel id {rest!r}: use the channel's ID, e.g. C0123ABCD"
            " (channel details, at the bottom of the About tab), not its #name"
        )
    return Channel.SLACK, rest, None


def _telegram(rest: str) -> tuple[Channel, str, str | None]:
    chat, slash, topic = rest.partition("/")
    if not _TELEGRAM_CHAT.fullmatch(chat):
        raise ValueError(
            f"bad Telegram chat id {chat!r}: use a number such as -1001234567890 or a public @channelname"
        )
    if slash and not _TELEGRAM_TOPIC.fullmatch(topic):
        raise ValueError(f"bad Telegram topic id {topic!r}: use the topic's number, e.g. telegram:{chat}/45")
    return Channel.TELEGRAM, chat, topic or None


def _email(rest: str) -> tuple[Channel, str, None]:
    if not _EMAIL.fullmatch(rest):
        raise ValueError(f"bad email address {rest!r}: use email:someone@example.org")
    local, _, domain = rest.rpartition("@")
    return Channel.EMAIL, f"{local}@{domain.lower()}", None


_PARSERS = {Channel.SLACK: _slack, Channel.TELEGRAM: _telegram, Channel.EMAIL: _email}


def slack_workspace(text: str | None) -> str | None:
    """A Slack workspace id (``T0123ABCD``), or None; ``ValueError`` for anything else."""
    if text is None or _SLACK_TEAM.fullmatch(text):
        return text
    raise ValueError(
        f"bad Slack workspace id {text!r}: use the team id, e.g. T0123ABCD"
        " (in a browser, app.slack.com/client/T0123ABCD/...)"
    )


def parse_sections(text: str | None) -> tuple[str, ...]:
    """``top_headlines,research`` -> the keys in report order; None or "" -> () (every section)."""
    keys = [key.strip() for key in (text or "").split(",") if key.strip()]
    for key in keys:
        if key not in SECTION_BY_KEY:
            known = ", ".join(SECTION_BY_KEY)
            raise ValueError(f"unknown section {key!r}: use a comma-separated list of {known}")
    return tuple(key for key in SECTION_BY_KEY if key in keys)


def parse_language(text: str | None) -> str | None:
    if text is None or text in LANGUAGES:
        return text
    raise ValueError(f"unknown language {text!r}: use {' or '.join(LANGUAGES)}")


def new_subscription(
    target: str,
    *,
    sections: str | None = None,
    language: str | None = None,
    confirmed: bool = False,
    workspace: str | None = None,
) -> Subscription:
    """The subscription a user asked for. Email waits for double opt-in unless ``confirmed``;
    an operator adding a Slack channel or a Telegram chat has already chosen it. ``workspace``:
    the Slack team whose OAuth installation posts to the channel."""
    channel, address, thread = parse_target(target)
    if workspace is not None and channel != Channel.SLACK:
        raise ValueError(f"--workspace names a Slack workspace; {target!r} is not a Slack channel")
    pending = channel == Channel.EMAIL and not confirmed
    return Subscription(
        channel=channel,
        address=address,
        thread=thread,
        sections=parse_sections(sections),
        language=parse_language(language),
        status=SubscriptionStatus.PENDING if pending else SubscriptionStatus.CONFIRMED,
        workspace=slack_workspace(workspace),
    )
