"""The two runs of the pipeline: ingest feeds into the store, and build a day's report.

This is where I/O meets the pure stages: ``ingest`` fetches, parses, deduplicates and stores
articles; ``build`` reads a window of stored articles, clusters, edits, writes and renders them,
and stores the report. Both are handed everything they use (store, client, summarizer); only
the CLI and the service read settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from core.models import (
    ITEM_SECTIONS,
    Article,
    Brief,
    EditedTopic,
    Item,
    Report,
    Section,
    SourceConfig,
    WriterStats,
)
from core.report.editing.cluster import cluster
from core.report.editing.editor import Edition, edit_day, with_suggested_headlines
from core.report.rendering.markdown import render_markdown
from core.report.stages import Observer, Stages
from core.report.window import Window
from core.report.writing.briefs import brief_of
from core.report.writing.summarize import Summarizer
from core.sources.dedupe import dedupe, keys_of
from core.sources.fetch import fetch_all
from core.sources.parse import parse_all
from core.store.store import Store


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    source: str
    status: int | None
    entries: int
    new: int
    error: str | None
    warning: str | None = None  # stored all the same, but repaired (bytes its charset could not read)


@dataclass(slots=True)
class IngestResult:
    feeds: list[FeedOutcome] = field(default_factory=list)
    parsed_articles: int = 0
    new_articles: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if f.error]


@dataclass(frozen=True, slots=True)
class BuildResult:
    report: Report
    markdown: str
    seconds: dict[str, float]
    stats: WriterStats = field(default_factory=WriterStats)  # LLM calls, tokens, cache hits, fallbacks


async def ingest(
    store: Store,
    sources: Sequence[SourceConfig],
    *,
    client: httpx.AsyncClient,
    concurrency: int = 8,
    max_bytes: int = 10_000_000,
    parse_workers: int = 1,
    observer: Observer | None = None,
) -> IngestResult:
    """Fetch every source, store the articles not seen before; one bad feed never stops the rest."""
    stages = Stages(observer)
    store.sync_sources(sources)
    states = store.source_states()
    with stages.run("fetch", total=len(sources)):
        results = await fetch_all(
            sources,
            states,
            client=client,
            concurrency=concurrency,
            max_bytes=max_bytes,
            on_result=lambda _: stages.advance("fetch"),
        )
    with stages.run("parse", total=len(results)):
        parsed = await asyncio.to_thread(parse_all, results, parse_workers)
    with stages.run("dedupe"):
        candidates = _by_source_weight([a for p in parsed for a in p.articles])
        fresh = dedupe(candidates, store.seen_keys(*keys_of(candidates)))
    with stages.run("store", total=len(fresh)):
        stored = store.add_articles(fresh)
        new_by_source = _count_by_source(stored)
        outcome = IngestResult(parsed_articles=len(candidates), new_articles=len(stored))
        for result, feed in zip(results, parsed, strict=True):
            error = result.error or feed.error
            store.record_fetch(result, items=len(feed.articles), error=error, warning=feed.warning)
            outcome.feeds.append(
                FeedOutcome(
                    result.source.name,
                    result.status,
                    len(feed.articles),
                    new_by_source.get(result.source.name, 0),
                    error,
                    feed.warning,
                )
            )
    outcome.seconds = stages.seconds
    return outcome


def _by_source_weight(articles: list[Article]) -> list[Article]:
    # When two feeds carry the same story, the copy from the weightier source survives dedupe.
    return sorted(articles, key=lambda a: (-a.source_weight, a.published, a.url))


def _count_by_source(articles: Sequence[Article]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for article in articles:
        counts[article.source] = counts.get(article.source, 0) + 1
    return counts


@dataclass(frozen=True, slots=True)
class BuildOptions:
    language: str = "zh-TW"
    timezone: str = "Asia/Taipei"
    max_items_per_section: int = 12
    write_concurrency: int = 8
    history_days: int = 7
    feedback_days: int = 30  # readers' votes on the reports of this many days before weigh in


async def build(
    store: Store,
    window: Window,
    *,
    summarizer: Summarizer,
    now: datetime,
    options: BuildOptions = BuildOptions(),
    observer: Observer | None = None,
) -> BuildResult:
    """Build, render and store the report of ``window.day`` from the articles in the window."""
    stages = Stages(observer)
    with stages.run("select"):
        articles = store.articles_between(window.start, window.end)
        earlier = store.earlier_items(before=window.day, days=options.history_days)
        votes = store.voted_items(before=window.day, days=options.feedback_days)
    with stages.run("cluster"):
        topics = cluster(articles)
    with stages.run("edit"):
        edition = edit_day(
            topics,
            earlier=earlier,
            votes=votes,
            language=options.language,
            max_per_section=options.max_items_per_section,
        )
    with stages.run("write", total=len(edition.items)):
        before = summarizer.usage()
        items = await _write_items(summarizer, edition.items, options, stages)
        # The writer's headline judgements (an LLM's), within the editor's bounds.
        items = with_suggested_headlines(items, max_per_section=options.max_items_per_section)
        briefs = _briefs(edition.overflow, options.language)
        overview = await summarizer.write_overview(
            items, day=window.day, language=options.language, articles_count=len(articles)
        )
        stats = summarizer.usage().since(before)
    report = _assemble(window, now, options, items, briefs, overview, len(articles), len(topics), edition)
    with stages.run("render"):
        markdown = render_markdown(report)
    with stages.run("save"):
        store.save_report(report, markdown)
        store.save_stats(window.day, stats)
    return BuildResult(report=report, markdown=markdown, seconds=stages.seconds, stats=stats)


async def _write_items(summarizer, edited, options: BuildOptions, stages: Stages) -> list[Item]:
    gate = asyncio.Semaphore(options.write_concurrency)

    async def write_one(topic):
        async with gate:
            item = await summarizer.write_item(topic, language=options.language)
        stages.advance("write")
        return item

    return list(await asyncio.gather(*(write_one(t) for t in edited)))


def _briefs(overflow: list[EditedTopic], language: str) -> list[tuple[str, Brief]]:
    return [(edited.section, brief_of(edited, language=language)) for edited in overflow]


def _assemble(
    window: Window,
    now: datetime,
    options: BuildOptions,
    items: list[Item],
    briefs: list[tuple[str, Brief]],
    overview,
    articles: int,
    topics: int,
    edition: Edition,
) -> Report:
    zone = ZoneInfo(options.timezone)
    sections = tuple(
        Section(
            spec.key,
            spec.heading if options.language == "zh-TW" else spec.heading_en,
            tuple(i for i in items if i.section == spec.key),
            tuple(brief for key, brief in briefs if key == spec.key),
        )
        for spec in ITEM_SECTIONS
    )
    return Report(
        date=window.day,
        title=overview.title,
        generated_at=now.astimezone(zone).replace(microsecond=0),
        timezone=options.timezone,
        window_start=window.start.astimezone(zone),
        window_end=window.end.astimezone(zone),
        articles_count=articles,
        topics_count=topics,
        sections=sections,
        insight=overview.insight,
        reading=overview.reading,
        description=overview.description,
        summary=overview.summary,
        tags=overview.tags,
        language=options.language,
        cover_image=f"/images/{window.day.isoformat()}-ai-intel.png",
        left_out=tuple(sorted(edition.left_out.items())),
    )
