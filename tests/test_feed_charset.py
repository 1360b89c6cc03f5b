"""Feeds whose bytes do not match their charset, fetched from a real server on loopback and ingested.

A stray byte or a wrong label must cost only the bad bytes, never the whole feed's text (feedparser
alone turns it into "ç™žĺşŚ…"), and the feed's health must say it was not clean.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from cli import aidaily
from fakes.feed_server import LOOPBACK, FeedServer

from core.models import Article, SourceConfig
from core.pipeline import IngestResult, ingest
from core.sources.fetch import make_client
from core.store import Store

TW_ITEMS = (
    ("台灣團隊發表繁體中文大型語言模型", "研究團隊今日發表新的語言模型，強調對臺灣用語與文化脈絡的理解。"),
    ("晶片大廠擴大人工智慧伺服器產能", "為因應雲端業者需求，公司宣布明年將人工智慧伺服器產能提高一倍。"),
    ("新創公司推出醫療影像判讀工具", "這套工具以深度學習分析影像，協助醫師更快發現早期病灶與異常。"),
)
CN_ITEMS = (
    ("大模型推理成本再降一半", "研究人员提出新的推理方法，让大模型的推理速度提升两倍，成本降低一半。"),
    (
        "国产芯片厂商发布新一代人工智能加速卡",
        "新产品面向数据中心训练与推理场景，能效比上一代提高百分之四十。",
    ),
    (
        "开源社区发布中文语音识别模型",
        "该模型在多个公开测试集上取得领先成绩，并提供完整的训练代码和数据说明。",
    ),
)


def rss(items: tuple[tuple[str, str], ...], encoding: str = "utf-8", site: str = "news.example.tw") -> str:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>https://{site}/{i}</link>"
        f"<guid>https://{site}/{i}</guid><description>{escape(summary)}</description></item>"
        for i, (title, summary) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>AI 新聞</title>'
        f"{entries}</channel></rss>"
    )


UTF8_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def ingest_feeds(store: Store, server: FeedServer, feeds: dict[str, bytes]) -> IngestResult:
    sources = [
        SourceConfig(name, server.route(f"/{name}.xml", body, headers=UTF8_HEADERS))
        for name, body in feeds.items()
    ]

    async def run() -> IngestResult:
        async with make_client("AIDaily-test/1", 5, allow_private=LOOPBACK) as client:
            return await ingest(store, sources, client=client)

    return asyncio.run(run())


def stored(store: Store, source: str) -> list[Article]:
    everything = store.articles_between(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    return [a for a in everything if a.source == source]


def titles(store: Store, source: str) -> list[str]:
    return sorted(a.title for a in stored(store, source))


def health(store: Store) -> dict[str, str | None]:
    return {h.name: h.last_error for h in store.source_health()}


def test_a_stray_byte_costs_one_character_not_the_feed(sqlite_store: Store, server: FeedServer) -> None:
    body = rss(TW_ITEMS).encode().replace("團隊".encode(), "團隊".encode() + b"\xff", 1)
    ingest_feeds(sqlite_store, server, {"stray": body})
    expected = sorted([TW_ITEMS[0][0].replace("團隊", "團隊\ufffd"), TW_ITEMS[1][0], TW_ITEMS[2][0]])
    assert titles(sqlite_store, "stray") == expected
    assert health(sqlite_store)["stray"] == "warning: decoding: 1 undecodable byte sequence in utf-8 replaced"


@pytest.mark.parametrize(("items", "encoding"), [(TW_ITEMS, "big5"), (CN_ITEMS, "gbk")])
def test_a_feed_in_another_charset_labelled_utf8_is_detected(
    sqlite_store: Store, server: FeedServer, items: tuple[tuple[str, str], ...], encoding: str
) -> None:
    result = ingest_feeds(sqlite_store, server, {"mislabelled": rss(items).encode(encoding)})
    assert titles(sqlite_store, "mislabelled") == sorted(title for title, _ in items)
    assert {a.summary for a in stored(sqlite_store, "mislabelled")} == {s for _, s in items}
    warning = health(sqlite_store)["mislabelled"]
    assert warning is not None and warning.startswith(
        "warning: decoding: declared utf-8 but the bytes are not"
    )
    assert result.feeds[0].error is None and result.feeds[0].warning is not None  # stored, not skipped


def test_clean_feeds_stay_healthy(sqlite_store: Store, server: FeedServer) -> None:
    feeds = {
        "utf8": rss(CN_ITEMS).encode(),
        "declared-big5": rss(TW_ITEMS, "big5", "big5.example.tw").encode("big5"),
    }
    server.route(
        "/declared-big5.xml", feeds["declared-big5"], headers={"Content-Type": "application/rss+xml"}
    )
    sources = [SourceConfig("utf8", server.route("/utf8.xml", feeds["utf8"], headers=UTF8_HEADERS))]
    sources.append(SourceConfig("declared-big5", server.url("/declared-big5.xml")))

    async def run() -> None:
        async with make_client("AIDaily-test/1", 5, allow_private=LOOPBACK) as client:
            await ingest(sqlite_store, sources, client=client)

    asyncio.run(run())
    assert health(sqlite_store) == {"declared-big5": None, "utf8": None}
    assert titles(sqlite_store, "declared-big5") == sorted(title for title, _ in TW_ITEMS)


def test_aidaily_sources_shows_the_repaired_feed(tmp_path: Path, server: FeedServer) -> None:
    body = rss(CN_ITEMS).encode().replace("推理".encode(), b"\xff" + "推理".encode(), 1)
    url = server.route("/stray.xml", body, headers=UTF8_HEADERS)
    (tmp_path / "sources.toml").write_text(f'[[sources]]\nname = "Stray"\nurl = "{url}"\n', encoding="utf-8")
    env = {
        "AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'aidaily.db'}",
        "AIDAILY_SOURCES_FILE": str(tmp_path / "sources.toml"),
        "AIDAILY_FETCH_ALLOW_PRIVATE": ",".join(LOOPBACK),
    }

    fetched = aidaily("fetch", cwd=tmp_path, env=env)
    assert fetched.returncode == 0, fetched.stderr
    assert "repaired Stray: decoding: 1 undecodable byte sequence in utf-8 replaced" in fetched.stderr
    listed = aidaily("sources", cwd=tmp_path, env=env)
    assert "warning: decoding: 1 undecodable byte sequence in utf-8 replaced" in listed.stdout
