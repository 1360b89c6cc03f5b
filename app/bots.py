"""Wiring the follow-up bot from settings: its index, its answerer and its conversation.

A composition root, like ``app/channels.py`` for delivery: the CLI (``aidaily ask``,
``aidaily bot slack|telegram``) and the service call these; nothing below them reads settings.

- The index is ``bot.index_cache.IndexCache`` over the store, saved under
  ``AIDAILY_CACHE_DIR``: a process that finds a saved index for the stored items loads it
  instead of building it, and a long-running bot rebuilds it when a new report is stored.
- The answerer is the LLM one (``bot.llm_answer``) when ``AIDAILY_OPENAI_API_KEY`` is set, on the
  writer's server and model with a short timeout (a chat reply must come quickly), falling back
  to the extractive answer on any failure; without a key, the extractive answer.
- With a key, each question not in the reports' language is also searched rewritten into it
  (``bot.rewrite``, the same client and model); a failed rewrite searches the question as asked.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from app.writers import structured_modes
from bot.answer import Answerer, ExtractiveAnswerer
from bot.conversation import Conversation
from bot.index_cache import IndexCache
from bot.search import SearchIndex
from bot.slack_bot import create_slack_app
from bot.slack_oauth import SlackOAuth
from core.config import ConfigError, Settings
from core.store import Store

if TYPE_CHECKING:
    from openai import OpenAI

#: Seconds one LLM answer may take, and its retries: a person is waiting for the reply.
ANSWER_TIMEOUT = 30.0
ANSWER_RETRIES = 1


def open_index(settings: Settings, store: Store) -> IndexCache:
    return IndexCache(store, settings.cache_dir)


def current_index(
    settings: Settings, store: Store, cache: IndexCache | None = None
) -> Callable[[], SearchIndex]:
    """The index of the stored items (``cache``'s, when the caller shares one: the service's bots
    and site), searched with each question's rewrite when an LLM is set."""
    cache = cache if cache is not None else open_index(settings, store)
    if settings.openai_api_key is None:
        return cache.current
    from bot.rewrite import QuestionRewriter, RewritingIndex

    rewriter = QuestionRewriter(
        _client(settings), model=settings.openai_model, cache=store, modes=structured_modes(settings)
    )
    return lambda: RewritingIndex(cache.current(), rewriter)


def open_answerer(settings: Settings, store: Store) -> Answerer:
    if settings.openai_api_key is None:
        return ExtractiveAnswerer()
    from bot.llm_answer import LLMAnswerer

    return LLMAnswerer(
        _client(settings), model=settings.openai_model, cache=store, modes=structured_modes(settings)
    )


def _client(settings: Settings) -> OpenAI:
    from core.llm.client import make_sync_client

    assert settings.openai_api_key is not None
    return make_sync_client(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=min(settings.openai_timeout, ANSWER_TIMEOUT),
        max_retries=min(settings.openai_max_retries, ANSWER_RETRIES),
    )


def open_conversation(settings: Settings, store: Store, index: IndexCache | None = None) -> Conversation:
    public_url = str(settings.public_url) if settings.public_url else None
    current = current_index(settings, store, index)
    return Conversation(store, current, open_answerer(settings, store), public_url=public_url)


def slack_oauth(settings: Settings, store: Store) -> SlackOAuth | None:
    """Installing into many workspaces, when the app's client id and secret are set."""
    if not (settings.slack_client_id and settings.slack_client_secret):
        return None
    base = str(settings.public_url).rstrip("/") if settings.public_url else None
    redirect = f"{base}/slack/oauth_redirect" if base else None
    secret = settings.slack_client_secret.get_secret_value()
    key = settings.secret("slack_token_key")
    return SlackOAuth(settings.slack_client_id, secret, store.engine, redirect, token_key=key)


@dataclass(frozen=True, slots=True)
class SlackBot:
    """The Slack bot's Bolt app and how it receives events."""

    app: AsyncApp
    serves_http: bool  # /slack/events (HTTP mode) and, with OAuth, the install pages
    app_token: str | None  # set in Socket Mode: the connection to open


def open_slack_bot(settings: Settings, store: Store, conversation: Conversation) -> SlackBot | None:
    """The Slack bot for ``aidaily bot slack`` and ``aidaily serve`` alike: None when Slack is not
    configured; ``ConfigError`` naming what its mode lacks. With OAuth, each workspace answers
    with its own installation's token; without, with the one bot token."""
    oauth = slack_oauth(settings, store)
    token = settings.secret("slack_bot_token")
    if oauth is None and token is None:
        return None
    secret = settings.secret("slack_signing_secret")
    socket = settings.slack_mode == "socket"
    if not socket and secret is None:
        raise ConfigError("AIDAILY_SLACK_MODE=http needs AIDAILY_SLACK_SIGNING_SECRET")
    if socket and settings.slack_app_token is None:
        raise ConfigError("AIDAILY_SLACK_MODE=socket needs AIDAILY_SLACK_APP_TOKEN (xapp-...)")
    app = create_slack_app(
        conversation,
        # Socket Mode receives nothing over HTTP: an unguessable secret keeps /slack/events
        # (beside the OAuth pages) closed when none is configured.
        signing_secret=secret or secrets.token_hex(32),
        token=None if oauth else token,
        oauth=oauth,
        api_url=settings.slack_api_url,
        ballot=store,
    )
    app_token = settings.secret("slack_app_token") if socket else None
    return SlackBot(app, serves_http=not socket or oauth is not None, app_token=app_token)
