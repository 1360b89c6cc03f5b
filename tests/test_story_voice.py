"""Which article speaks for a story: fetched from real feeds on loopback, clustered and written.

A feed of short, vague items ("Anthropic Claude agent AI model") must not become the headline of
another outlet's story, nor open its summary, whatever weight the feed is given: the headline and
the lead come from the article that best represents the cluster.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from fakes.feed_server import LOOPBACK, FeedServer

from core.models import Item, Report, SourceConfig
from core.pipeline import build, ingest
from core.report.window import report_window
from core.report.writing.summarize import ExtractiveSummarizer
from core.sources.fetch import make_client

NOW = datetime(2026, 3, 10, 22, 40, tzinfo=UTC)  # 06:40 on 11 March in Taipei
TAIPEI = ZoneInfo("Asia/Taipei")

OPUS = {
    "TechCrunch": (
        "https://techcrunch.com/2026/03/10/anthropic-claude-opus-5/",
        "Anthropic releases Claude Opus 5, its most capable model for coding and agents",
        "Anthropic on Tuesday released Claude Opus 5, which the company says leads rivals on coding, "
        "agentic tool use and long-horizon tasks. Opus 5 costs $15 per million input tokens.",
    ),
    "The Verge": (
        "https://www.theverge.com/2026/3/10/claude-opus-5-benchmarks",
        "Claude Opus 5 beats GPT-6 on coding benchmarks, Anthropic says",
        "Anthropic's new Claude Opus 5 scores 82 percent on SWE-bench Verified and can run coding "
        "agents for hours without supervision, according to the company.",
    ),
    "The Guardian": (
        "https://www.theguardian.com/technology/2026/mar/10/anthropic-claude-opus-5-agents",
        "Anthropic's Claude Opus 5 arrives as AI labs race to build autonomous agents",
        "Claude Opus 5, released by Anthropic on Tuesday, is designed to run agents that write and test "
        "software for hours, as the race with OpenAI and Google moves to autonomous coding.",
    ),
}
NVIDIA = {
    "Reuters": (
        "https://www.reuters.com/technology/nvidia-rubin-shipments-2026-03-10/",
        "Nvidia starts shipping Rubin GPUs to cloud providers for AI training",
        "Nvidia said its Rubin GPU is now shipping to Microsoft, Amazon and Google, with training "
        "clusters of up to 100,000 chips planned this year.",
    ),
    "CNBC": (
        "https://www.cnbc.com/2026/03/10/nvidia-rubin-gpu-cloud-shipments.html",
        "Nvidia Rubin GPU shipments begin as cloud giants expand AI data centers",
        "Shipments of Nvidia's Rubin GPU to Microsoft, Amazon and Google began this week, the chipmaker "
        "said, ahead of training clusters of 100,000 chips.",
    ),
}
# One feed's short, vague items, each naming the players of a real story and nothing else.
VAGUE = (
    ("https://digest.example.com/p/1", "Anthropic Claude agent AI model", ""),
    ("https://digest.example.com/p/2", "Nvidia Rubin GPU AI chips", "Nvidia Rubin GPU AI chips"),
)


def rss(entries: list[tuple[str, str, str]], minutes: int) -> bytes:
    when = format_datetime(NOW - timedelta(minutes=minutes))
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(url)}</link><guid>{escape(url)}</guid>"
        f"<pubDate>{when}</pubDate><description>{escape(summary)}</description></item>"
        for url, title, summary in entries
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    )


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def build_report(store, server: FeedServer, vague_weight: float) -> Report:
    sources = [
        SourceConfig("AI Digest", server.route("/digest.xml", rss(list(VAGUE), 90)), weight=vague_weight)
    ]
    for n, (name, entry) in enumerate([*OPUS.items(), *NVIDIA.items()]):
        path = f"/outlet-{n}.xml"
        sources.append(SourceConfig(name, server.route(path, rss([entry], 60 - 5 * n))))

    async def run() -> Report:
        async with make_client("AIDaily-test/1", 5, allow_private=LOOPBACK) as client:
            await ingest(store, sources, client=client)
        window = report_window(NOW.astimezone(TAIPEI).date(), now=NOW, zone=TAIPEI, build_time=time(6, 40))
        return (await build(store, window, summarizer=ExtractiveSummarizer(), now=NOW)).report

    return asyncio.run(run())


def item_about(report: Report, url: str) -> Item:
    (item,) = [i for i in report.items if url in i.article_urls]
    return item


@pytest.mark.parametrize("vague_weight", [1.5, 1.0])
def test_a_vague_item_never_speaks_for_another_outlets_story(sqlite_store, server, vague_weight) -> None:
    report = build_report(sqlite_store, server, vague_weight)
    opus, nvidia = item_about(report, OPUS["TechCrunch"][0]), item_about(report, NVIDIA["Reuters"][0])
    # Titles are the story's own or composed from its lead headline (zh-TW: "Anthropic 發布 …").
    assert opus.title in {title for _, title, _ in OPUS.values()} or "Claude Opus 5" in opus.title
    assert nvidia.title in {title for _, title, _ in NVIDIA.values()} or "Nvidia" in nvidia.title
    for item in report.items:
        for _, vague, _ in VAGUE:
            assert vague not in item.title and vague not in item.summary, item
