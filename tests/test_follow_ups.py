"""Across days: a story reported yesterday is not reported again unless it has new articles,
and then it is marked as a follow-up to yesterday's item. Runs the real pipeline on both stores."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from fakes.feed_server import LOOPBACK, FeedServer

from core.models import SourceConfig, SourceKind
from core.pipeline import build, ingest
from core.report.window import report_window
from core.report.writing.summarize import ExtractiveSummarizer
from core.sources.fetch import make_client

DAY1 = datetime(2026, 11, 20, 22, 40, tzinfo=UTC)  # 06:40 on 21 Nov in Taipei
DAY2 = DAY1 + timedelta(days=1)
TAIPEI = ZoneInfo("Asia/Taipei")

LAUNCH = (
    "https://techcrunch.com/2026/11/20/openai-gpt-7-launch/",
    "OpenAI launches GPT-7 with a 10 million token context window",
    "OpenAI released GPT-7, its new frontier model, with a 10 million token context window and "
    "stronger reasoning on math and coding benchmarks. GPT-7 is available in ChatGPT and the API.",
)
FOLLOW_UP = (
    "https://www.theguardian.com/technology/2026/nov/21/gpt-7-openai-safety-questions",
    "GPT-7: OpenAI faces questions over safety testing of its new model",
    "Researchers asked OpenAI to publish the safety evaluations of GPT-7, the frontier model it "
    "released this week with a 10 million token context window and stronger reasoning.",
)
OTHER = (
    "https://techcrunch.com/2026/11/21/nvidia-rubin-gpu-shipments/",
    "Nvidia starts shipping Rubin GPUs to cloud providers for AI training",
    "Nvidia said its Rubin GPU is now shipping to the largest cloud providers, with AI training "
    "clusters of up to 100,000 chips planned for next year.",
)


def rss(*entries: tuple[tuple[str, str, str], datetime]) -> bytes:
    items = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(u)}</link><guid>{escape(u)}</guid>"
        f"<pubDate>{format_datetime(when)}</pubDate><description>{escape(s)}</description></item>"
        for (u, t, s), when in entries
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    )


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def run_day(store, server: FeedServer, now: datetime, feeds: dict[str, bytes]):
    sources = []
    for name, body in feeds.items():
        sources.append(
            SourceConfig(
                name, server.route(f"/{name.replace(' ', '-')}.xml", body=body), "en", SourceKind.NEWS
            )
        )

    async def go():
        async with make_client("AIDaily-test/1", 5, allow_private=LOOPBACK) as client:
            await ingest(store, sources, client=client)
        window = report_window(
            now.astimezone(TAIPEI).date(), now=now, zone=TAIPEI, build_time=time(6, 40), hours=48
        )
        return await build(store, window, summarizer=ExtractiveSummarizer(), now=now)

    return asyncio.run(go())


def gpt7_items(result):
    report = getattr(result, "report", result)
    return [i for i in report.items if "GPT-7" in i.title or "GPT-7" in i.summary]


def test_reported_story_without_new_articles_is_not_repeated(store, server):
    day1 = run_day(store, server, DAY1, {"TechCrunch": rss((LAUNCH, DAY1 - timedelta(hours=2)))})
    assert len(gpt7_items(day1)) == 1
    # The next day's 48-hour window still holds the launch article, but it was reported already.
    feed = rss((LAUNCH, DAY1 - timedelta(hours=2)), (OTHER, DAY2 - timedelta(hours=3)))
    day2 = run_day(store, server, DAY2, {"TechCrunch": feed})
    assert gpt7_items(day2) == []
    assert any("Rubin" in i.title for i in day2.report.items)


def test_story_with_new_articles_is_a_follow_up(store, server):
    day1 = run_day(store, server, DAY1, {"TechCrunch": rss((LAUNCH, DAY1 - timedelta(hours=2)))})
    first = gpt7_items(day1)[0]
    feeds = {
        "TechCrunch": rss((LAUNCH, DAY1 - timedelta(hours=2)), (OTHER, DAY2 - timedelta(hours=3))),
        "The Guardian": rss((FOLLOW_UP, DAY2 - timedelta(hours=5))),
    }
    day2 = run_day(store, server, DAY2, feeds)
    (item,) = gpt7_items(day2)
    assert item.follow_up is not None
    assert (item.follow_up.date, item.follow_up.title) == (day1.report.date, first.title)
    assert FOLLOW_UP[0] in item.article_urls
    # A follow-up leads with what is new: the safety questions, not day one's launch again.
    assert item.title != first.title and "安全" in item.title
    assert "後續報導" in day2.markdown
    stored = store.get_report(day2.report.date)
    assert gpt7_items(stored)[0].follow_up == item.follow_up
