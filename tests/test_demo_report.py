"""The demo report end to end, on both databases: the results the core pipeline must show.

The bundled feeds (app/demo/feeds) plant what is checked here: one story told by exactly three
outlets (Anthropic's "Claude Opus 5"), cross-feed duplicates, an off-topic robbery story, a
malformed feed, a <script> tag and a prompt-injection sentence.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from fakes.feed_server import LOOPBACK

from app.demo.server import DemoFeedServer
from core.models import ALL_SECTIONS, ITEM_SECTION_KEYS
from core.pipeline import BuildOptions, BuildResult, IngestResult, build, ingest
from core.report.editing.cluster import cluster
from core.report.editing.editor import edit
from core.report.window import report_window
from core.report.writing.summarize import ExtractiveSummarizer
from core.sources.fetch import make_client
from core.text import has_cjk, match_key

NOW = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
# ### headings that are parts of the insight and reading, or a section's list of briefs.
NOT_ITEMS = (
    "今日趨勢總結",
    "技術發展脈絡",
    "未來展望",
    "深度文章推薦",
    "相關技術背景",
    "本日關鍵詞",
    "更多報導",
)
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


async def run_demo(store, now: datetime = NOW) -> tuple[IngestResult, BuildResult]:
    with DemoFeedServer(now=now) as server:
        async with make_client("AIDaily-test/1", 10, allow_private=LOOPBACK) as client:
            ingested = await ingest(store, server.sources(), client=client)
    window = report_window(
        None, now=now, zone=__import__("zoneinfo").ZoneInfo("Asia/Taipei"), build_time=now.time()
    )
    built = await build(store, window, summarizer=ExtractiveSummarizer(), now=now, options=BuildOptions())
    return ingested, built


@pytest.fixture
def demo(store) -> tuple[IngestResult, BuildResult]:
    return asyncio.run(run_demo(store))


def test_sections_in_order_and_footer_matches_json(demo):
    _, built = demo
    headings = re.findall(r"^## (.+)$", built.markdown, flags=re.M)
    assert headings == [s.heading for s in ALL_SECTIONS]
    data = built.report.to_json()
    assert [s["key"] for s in data["sections"]] == list(ITEM_SECTION_KEYS)
    footer = re.search(r"資料來源：(\d+) 篇文章 \| 分析主題：(\d+) 個", built.markdown)
    assert footer, built.markdown[-400:]
    assert (int(footer.group(1)), int(footer.group(2))) == (
        data["stats"]["articles"],
        data["stats"]["topics"],
    )
    assert data["stats"]["articles"] >= 150


def test_every_item_is_complete_and_every_link_is_http(demo):
    _, built = demo
    items = built.report.items
    assert len(items) >= 20
    for item in items:
        assert item.summary and item.importance and item.sources, item.title
        assert all(s.url.startswith(("https://", "http://")) for s in item.sources)
    # A story that names no organisation, product or person has no 關鍵實體 rather than filler.
    # (The demo's days include essays and surveys that name no one.)
    assert sum(bool(item.entities) for item in items) >= 0.7 * len(items)
    assert "**關鍵實體**：（無）" not in built.markdown
    for block in built.markdown.split("\n### ")[1:]:
        parts = (
            "今日趨勢總結",
            "技術發展脈絡",
            "未來展望",
            "深度文章推薦",
            "相關技術背景",
            "本日關鍵詞",
            "更多報導",
        )
        if block.startswith(parts):
            continue
        for label in ("**核心摘要**", "**重要性**", "**來源**"):
            assert label in block, block[:200]
    targets = [url for _, url in LINK.findall(built.markdown)]
    assert targets and all(url.startswith(("https://", "http://")) for url in targets)


def test_no_title_or_story_repeats(demo):
    _, built = demo
    items = built.report.items
    titles = [match_key(i.title) for i in items]
    assert len(titles) == len(set(titles))
    urls = [u for i in items for u in i.article_urls]
    assert len(urls) == len(set(urls)), "an article backs two items"


def test_three_outlet_story_is_one_item_with_three_sources(demo):
    _, built = demo
    opus = [i for i in built.report.items if "Claude Opus 5" in i.title or "Claude Opus 5" in i.summary]
    assert len(opus) == 1
    hosts = {re.sub(r"^https?://(www\.)?", "", s.url).split("/")[0] for s in opus[0].sources}
    assert hosts == {"techcrunch.com", "theguardian.com", "aibusiness.com"}
    assert opus[0].section == "top_headlines"


def test_off_topic_and_hostile_text_stay_out(demo):
    _, built = demo
    assert "robbery" not in built.markdown.lower()
    assert "<script" not in built.markdown.lower()
    assert all("cash-in-transit" not in i.title for i in built.report.items)


def test_bad_feed_is_recorded_and_the_build_goes_on(demo, store):
    ingested, _ = demo
    failed = {f.source: f.error for f in ingested.failed}
    assert set(failed) == {"KDnuggets"}
    health = {h.name: h for h in store.source_health()}
    assert health["KDnuggets"].last_error and health["TechCrunch"].last_error is None
    assert health["TechCrunch"].articles > 0


def test_duplicates_across_feeds_are_stored_once(demo, store):
    ingested, _ = demo
    articles = store.articles_between(NOW - timedelta(days=5), NOW + timedelta(hours=1))
    urls = [a.url for a in articles]
    assert len(urls) == len(set(urls))
    assert urls.count("https://huggingface.co/blog/openai-gpt-oss-2") == 1
    assert sum(1 for a in articles if a.arxiv_id == "2611.04221") == 1
    assert ingested.new_articles == len(articles)


def test_second_run_adds_nothing_and_repeats_nothing(store):
    first_ingest, first = asyncio.run(run_demo(store))
    # Two hours later the feeds carry the same articles: none is new, and rebuilding the day replaces it.
    second_ingest, second = asyncio.run(run_demo(store, NOW + timedelta(hours=2)))
    assert first_ingest.new_articles > 150
    assert second_ingest.new_articles == 0
    assert second.report.date == first.report.date  # same day rebuilt: replaces, not repeats
    assert len(second.report.items) == len(first.report.items)


def test_no_story_on_topic_vanishes_past_a_section_cap(demo, store):
    """Every topic the editor keeps with no cap is in the report: an item, or a brief with its link."""
    _, built = demo
    report = built.report
    articles = store.articles_between(report.window_start, report.window_end)
    kept = edit(cluster(articles), max_per_section=10_000)
    linked = set(LINK.findall(built.markdown))
    urls = {url for _, url in linked}
    missing = [e.topic.lead.title for e in kept if not any(a.url in urls for a in e.topic.articles)]
    assert not missing
    briefs = [b for s in report.sections for b in s.more]
    assert briefs and len(report.items) + len(briefs) == len(kept)
    assert all(len(s.items) <= 12 for s in report.sections)
    # A brief of a Chinese report has a Chinese title and, when it has a line at all, a Chinese one.
    assert sum(has_cjk(b.title) for b in briefs) >= 0.9 * len(briefs)
    assert all(has_cjk(b.line) for b in briefs if b.line)
    assert dict(report.left_out).get("off_topic", 0) >= 1  # the planted robbery story
