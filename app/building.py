"""The pipeline's two runs wired from settings, shared by the CLI, the demo and (later) the service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from app.writers import open_writer
from core.config import Settings
from core.models import SourceConfig
from core.pipeline import BuildOptions, BuildResult, IngestResult, build, ingest
from core.report.stages import Observer
from core.report.window import report_window
from core.sources.addresses import allow_list
from core.sources.fetch import make_client
from core.store.store import Store


async def ingest_sources(
    store: Store,
    settings: Settings,
    sources: Sequence[SourceConfig],
    observer: Observer | None = None,
    *,
    allow_private: Sequence[str] = (),
) -> IngestResult:
    """Fetch and store ``sources``; feeds reach private addresses only as the setting, and
    ``allow_private`` (the demo's own loopback server), allow."""
    allowed = (*allow_list(settings.fetch_allow_private), *allow_private)
    async with make_client(settings.user_agent, settings.fetch_timeout, allow_private=allowed) as client:
        return await ingest(
            store,
            sources,
            client=client,
            concurrency=settings.fetch_concurrency,
            max_bytes=settings.fetch_max_bytes,
            observer=observer,
        )


async def build_day(
    store: Store, settings: Settings, day: date | None, now: datetime, observer: Observer | None = None
) -> BuildResult:
    """Build ``day``'s report (today, ending now, when None) with the configured writer."""
    window = report_window(
        day, now=now, zone=settings.zone, build_time=settings.build_time, hours=settings.window_hours
    )
    options = BuildOptions(
        language=settings.report_language,
        timezone=settings.timezone,
        max_items_per_section=settings.max_items_per_section,
        write_concurrency=settings.openai_concurrency,
        feedback_days=settings.feedback_days,
    )
    async with open_writer(settings, store) as writer:
        return await build(store, window, summarizer=writer, now=now, options=options, observer=observer)
