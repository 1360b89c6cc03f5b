"""Which writer writes the report: the LLM when ``AIDAILY_OPENAI_API_KEY`` is set, else extractive.

A composition root's helper (used by the CLI and the demo): it reads settings, builds the SDK
client and hands the writer everything it needs. ``core.report.writing.llm_writer`` (and with it
``openai``) is imported only when a key is set, so the keyless default runs without the SDK.

``structured_modes`` is the process's one ``ModeBook``: the structured-output mode the server
takes, found by the writer's first call or the bot's, serves both, and is kept in
``AIDAILY_CACHE_DIR/llm-modes.json`` for the next process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from core.config import Settings
from core.report.writing.summarize import ExtractiveSummarizer, Summarizer
from core.store.store import Store

if TYPE_CHECKING:
    from core.llm.client import ModeBook

#: File under ``AIDAILY_CACHE_DIR`` keeping the structured-output mode found per server.
MODES_FILE = "llm-modes.json"
_books: dict[tuple[object, ...], ModeBook] = {}


def structured_modes(settings: Settings) -> ModeBook:
    """The ``ModeBook`` of this process for these settings (one for the writer and the bot)."""
    from core.llm.client import ModeBook

    forced = None if settings.openai_structured == "auto" else settings.openai_structured
    path = settings.cache_dir / MODES_FILE
    key = (forced, path.resolve())
    if key not in _books:
        _books[key] = ModeBook(forced=forced, path=path)
    return _books[key]


@asynccontextmanager
async def open_writer(settings: Settings, store: Store) -> AsyncIterator[Summarizer]:
    """The configured writer, open for one run (the LLM client is closed afterwards)."""
    if settings.openai_api_key is None:
        yield ExtractiveSummarizer()
        return
    from core.report.writing.llm_writer import LLMSummarizer, make_client

    client = make_client(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout,
        max_retries=settings.openai_max_retries,
    )
    async with client:
        yield LLMSummarizer(
            client,
            model=settings.openai_model,
            cache=store,
            concurrency=settings.openai_concurrency,
            modes=structured_modes(settings),
            max_tokens=settings.openai_max_tokens,
            temperature=settings.openai_temperature,
        )
