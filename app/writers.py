"""Which writer writes the report: the LLM when ``AIDAILY_OPENAI_API_KEY`` is set, else extractive.

A composition root's helper (used by the CLI and the demo): it reads settings, builds the SDK
client and hands the writer everything it needs. ``core.report.writing.llm_writer`` (and with it
``openai``) is imported only when a key is set, so the keyless default runs without the SDK.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.config import Settings
from core.report.writing.summarize import ExtractiveSummarizer, Summarizer
from core.store.store import Store


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
            client, model=settings.openai_model, cache=store, concurrency=settings.openai_concurrency
        )
