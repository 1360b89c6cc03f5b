"""The Store on SQLite and PostgreSQL: feeds, articles, topics and reports round trip."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.models import (
    Article,
    FetchResult,
    FollowUp,
    Importance,
    Insight,
    Item,
    Reading,
    ReadingLink,
    Report,
    Section,
    SourceConfig,
    SourceKind,
    SourceLink,
    SourceState,
    Topic,
)
from core.store import Store, StoreError
from core.store.db import open_engine

T0 = datetime(2025, 12, 11, 22, 40, tzinfo=UTC)
TAIPEI = ZoneInfo("Asia/Taipei")
FEED = SourceConfig("TechCrunch", "https://techcrunch.com/feed/", "en", SourceKind.NEWS, 1.2)
PAPERS = SourceConfig("arXiv cs.AI", "https://rss.arxiv.org/rss/cs.AI", "en", SourceKind.PAPER, 0.8)


def article(n: int, published: datetime = T0, **changes: object) -> Article:
    base = Article(
        source="TechCrunch",
        source_kind=SourceKind.NEWS,
        url=f"https://example.org/news/{n}",
        title=f"Story {n}",
        summary=f"What happened in story {n}.",
        published=published,
        fetched_at=T0 + timedelta(hours=1),
        guid=f"guid-{n}",
        title_key=f"story{n}",
        authors=("Ada", "Grace"),
        source_weight=1.2,
    )
    return dataclasses.replace(base, **changes)


def fetch(
    source: SourceConfig, status: int | None, etag: str | None = None, error: str | None = None
) -> FetchResult:
    return FetchResult(
        source,
        fetched_at=T0,
        status=status,
        etag=etag,
        last_modified="Thu, 11 Dec" if etag else None,
        error=error,
    )


# Feeds


def test_sources_round_trip_and_conditional_get_state(store: Store) -> None:
    store.sync_sources([FEED, PAPERS])
    assert store.source_states() == {"TechCrunch": SourceState(), "arXiv cs.AI": SourceState()}

    store.record_fetch(fetch(FEED, 200, etag='"v1"'), items=12, error=None)
    assert store.source_states()["TechCrunch"] == SourceState('"v1"', "Thu, 11 Dec")

    store.record_fetch(fetch(FEED, 304), items=0, error=None)
    assert store.source_states()["TechCrunch"] == SourceState('"v1"', "Thu, 11 Dec")

    store.record_fetch(fetch(FEED, None, error="timed out"), items=0, error="timed out")
    health = {h.name: h for h in store.source_health()}["TechCrunch"]
    assert (health.last_status, health.last_error, health.last_items) == (None, "timed out", 0)
    assert health.last_fetched_at == T0 and health.etag == '"v1"'


def test_a_200_whose_items_failed_keeps_the_old_validators(store: Store) -> None:
    store.sync_sources([FEED])
    store.record_fetch(fetch(FEED, 200, etag='"v1"'), items=3, error=None)
    store.record_fetch(fetch(FEED, 200, etag='"v2"'), items=0, error="not a feed")
    assert store.source_states()["TechCrunch"].etag == '"v1"'


def test_sync_mirrors_the_configuration(store: Store) -> None:
    store.sync_sources([FEED, PAPERS])
    store.record_fetch(fetch(FEED, 200, etag='"v1"'), items=1, error=None)
    store.record_fetch(fetch(PAPERS, 200, etag='"p1"'), items=1, error=None)
    moved = dataclasses.replace(FEED, url="https://techcrunch.com/ai/feed/", weight=2.0)
    store.sync_sources([moved, dataclasses.replace(PAPERS, weight=0.5)])
    store.sync_sources([moved, dataclasses.replace(PAPERS, weight=0.5)])
    assert store.source_states() == {
        "TechCrunch": SourceState(),
        "arXiv cs.AI": SourceState('"p1"', "Thu, 11 Dec"),
    }
    store.sync_sources([PAPERS])
    assert [h.name for h in store.source_health()] == ["arXiv cs.AI"]


def test_source_health_counts_stored_articles(store: Store) -> None:
    store.sync_sources([FEED, PAPERS])
    store.add_articles([article(1), article(2), article(3, source="arXiv cs.AI")])
    health = store.source_health()
    assert [(h.name, h.kind, h.articles) for h in health] == [
        ("TechCrunch", SourceKind.NEWS, 2),
        ("arXiv cs.AI", SourceKind.PAPER, 1),
    ]
    assert health[0].last_fetched_at is None


def test_a_fetch_of_an_unsynced_source_is_recorded(store: Store) -> None:
    store.record_fetch(fetch(FEED, 200, etag='"v1"'), items=4, error=None)
    assert store.source_states() == {"TechCrunch": SourceState('"v1"', "Thu, 11 Dec")}


# Articles


def test_add_articles_returns_ids_and_skips_stored_urls(store: Store) -> None:
    first = store.add_articles([article(1), article(2)])
    assert [a.url for a in first] == [article(1).url, article(2).url]
    assert all(a.id is not None for a in first) and len({a.id for a in first}) == 2

    again = store.add_articles([article(2, title="Changed"), article(3), article(3, title="Repeat")])
    assert [(a.url, a.title) for a in again] == [(article(3).url, "Story 3")]
    assert store.add_articles([]) == []


def test_articles_come_back_equal_with_aware_utc_datetimes(store: Store) -> None:
    taipei_time = datetime(2025, 12, 12, 6, 0, tzinfo=TAIPEI)
    paper = article(
        1, published=taipei_time, source_kind=SourceKind.PAPER, arxiv_id="2512.01034", dated=False
    )
    [stored] = store.add_articles([paper])
    [loaded] = store.articles_between(T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert loaded == stored
    assert loaded.published.utcoffset() == timedelta(0)
    assert loaded.published == taipei_time and loaded.authors == ("Ada", "Grace")


def test_articles_between_includes_start_and_excludes_end(store: Store) -> None:
    start, end = T0, T0 + timedelta(hours=24)
    times = [
        start - timedelta(microseconds=1),
        start,
        start + timedelta(hours=5),
        end - timedelta(seconds=1),
        end,
    ]
    store.add_articles([article(n, published=t) for n, t in enumerate(times)])
    got = store.articles_between(start.astimezone(TAIPEI), end.astimezone(timezone(timedelta(hours=-5))))
    assert [a.published for a in got] == times[1:4]


def test_articles_between_orders_by_published_then_id(store: Store) -> None:
    store.add_articles([article(1, published=T0 + timedelta(hours=1)), article(2), article(3)])
    assert [a.title for a in store.articles_between(T0, T0 + timedelta(hours=2))] == [
        "Story 2",
        "Story 3",
        "Story 1",
    ]


def test_articles_between_refuses_naive_datetimes(store: Store) -> None:
    with pytest.raises(ValueError, match="aware"):
        store.articles_between(datetime(2025, 12, 11), T0)


def test_seen_keys_with_thousands_of_keys(store: Store) -> None:
    stored = [article(n, arxiv_id=f"2512.{n:05d}" if n % 2 else None) for n in range(3000)]
    store.add_articles(stored)
    seen = store.seen_keys(
        urls=[a.url for a in stored[::3]] + [f"https://elsewhere.org/{n}" for n in range(3000)],
        arxiv_ids=[f"2512.{n:05d}" for n in range(6000)],
        title_keys=[f"story{n}" for n in range(2500, 4500)] + [""],
    )
    assert seen.urls == {a.url for a in stored[::3]}
    assert seen.arxiv_ids == {f"2512.{n:05d}" for n in range(1, 3000, 2)}
    assert seen.title_keys == {f"story{n}" for n in range(2500, 3000)}


def test_thirty_thousand_articles(store: Store) -> None:
    batch = [article(n, published=T0 + timedelta(seconds=n)) for n in range(30_000)]
    assert len(store.add_articles(batch)) == 30_000
    assert len(store.articles_between(T0, T0 + timedelta(days=1))) == 30_000
    assert len(store.seen_keys([a.url for a in batch], [], []).urls) == 30_000
    assert store.add_articles(batch) == []


# Topics


def test_topics_of_a_day_are_replaced_and_read_back(store: Store) -> None:
    a1, a2, a3 = store.add_articles([article(1), article(2), article(3)])
    day = date(2025, 12, 12)
    store.save_topics(day, [Topic("t-old", (a1,))])
    unsaved = dataclasses.replace(a3, id=None)  # linked by URL
    store.save_topics(day, [Topic("t1", (a2, a1), ("gpt", "openai")), Topic("t2", (unsaved,))])
    assert store.get_topics(day) == [Topic("t1", (a2, a1), ("gpt", "openai")), Topic("t2", (a3,))]
    assert store.get_topics(date(2025, 12, 13)) == []


# Reports


def make_report(day: date = date(2025, 12, 12), follow_up: FollowUp | None = None) -> Report:
    lead = Item(
        section="top_headlines",
        title="OpenAI 發布 GPT‑5.2",
        summary="新模型在推理與程式碼任務上大幅進步。",
        details=("上下文長度 400K", "價格下調 30%"),
        use_cases=("企業客服", "程式碼審查"),
        entities=("OpenAI", "GPT-5.2"),
        importance=Importance.CRITICAL,
        importance_reason="影響所有 API 使用者",
        sources=(
            SourceLink("TechCrunch", "https://techcrunch.com/2025/12/11/gpt-5-2/"),
            SourceLink("來源1", "1", valid=False),
        ),
        follow_up=follow_up,
        writer="llm",
        topic_key="t-gpt52",
        article_urls=("https://techcrunch.com/2025/12/11/gpt-5-2/", "https://openai.com/index/gpt-5-2/"),
    )
    second = Item(section="top_headlines", title="Gemini 3 更新", summary="Google 更新 Gemini。")
    paper = Item(
        section="research",
        title="LLM-as-a-Judge 綜述",
        summary="評估方法整理。",
        importance=Importance.MEDIUM_HIGH,
        sources=(SourceLink("arXiv cs.AI", "https://arxiv.org/abs/2512.01034"),),
        article_urls=("https://arxiv.org/abs/2512.01034",),
    )
    return Report(
        date=day,
        title=f"AI 日報 {day.isoformat()}",
        generated_at=datetime(day.year, day.month, day.day, 6, 42, 17, tzinfo=TAIPEI),
        timezone="Asia/Taipei",
        window_start=datetime(day.year, day.month, day.day, 6, 40, tzinfo=TAIPEI) - timedelta(days=1),
        window_end=datetime(day.year, day.month, day.day, 6, 40, tzinfo=TAIPEI),
        articles_count=412,
        topics_count=57,
        sections=(
            Section("top_headlines", "今日焦點（Top Headlines）", (lead, second)),
            Section("research", "模型與技術更新（Model & Research Updates）", (paper,)),
            Section("tools", "工具與資源（Tools & Resources）"),
        ),
        insight=Insight(
            trends=("推理模型競賽升溫。",), context=("一", "二"), outlook=("明年",), watchlist=("GPT-6",)
        ),
        reading=Reading(
            articles=(ReadingLink("深度解析", "https://example.org/deep", "長文"),),
            background=(("RLHF", "以人類回饋強化學習"),),
            keywords=("GPT-5.2", "Gemini"),
        ),
        description="今日重點",
        summary="GPT-5.2 與 Gemini 3。",
        tags=("LLM", "OpenAI"),
        cover_image="/images/2025-12-12.png",
    )


def test_a_saved_report_loads_back_equal(store: Store) -> None:
    report = make_report()
    report_id = store.save_report(report, "# AI 日報\n")
    loaded = store.get_report(report.date)
    assert loaded == report
    assert loaded is not None and loaded.generated_at.tzinfo == TAIPEI
    assert loaded.window_start.utcoffset() == timedelta(hours=8)
    assert isinstance(report_id, int)
    assert store.get_markdown(report.date) == "# AI 日報\n"
    assert store.get_report(date(2025, 12, 13)) is None and store.get_markdown(date(2025, 12, 13)) is None


def test_saving_a_date_again_replaces_the_report(store: Store) -> None:
    report = make_report()
    first_id = store.save_report(report, "v1")
    shorter = dataclasses.replace(report, title="改版", sections=report.sections[1:])
    assert store.save_report(shorter, "v2") == first_id
    assert store.get_report(report.date) == shorter
    assert store.get_markdown(report.date) == "v2"
    assert len(store.earlier_items(report.date + timedelta(days=1))) == 1


def test_report_dates_newest_first(store: Store) -> None:
    for day in (date(2025, 12, 10), date(2025, 12, 12), date(2025, 12, 11)):
        store.save_report(make_report(day), "")
    assert store.report_dates() == [date(2025, 12, 12), date(2025, 12, 11), date(2025, 12, 10)]


def test_earlier_items_and_reported_article_urls(store: Store) -> None:
    for day in (date(2025, 12, 4), date(2025, 12, 5), date(2025, 12, 11), date(2025, 12, 12)):
        store.save_report(make_report(day), "")
    items = store.earlier_items(date(2025, 12, 12), days=7)
    assert [(i.date, i.title) for i in items[:3]] == [
        (date(2025, 12, 11), "OpenAI 發布 GPT‑5.2"),
        (date(2025, 12, 11), "Gemini 3 更新"),
        (date(2025, 12, 11), "LLM-as-a-Judge 綜述"),
    ]
    assert {i.date for i in items} == {date(2025, 12, 5), date(2025, 12, 11)}
    lead = items[0]
    assert (lead.section, lead.topic_key, lead.entities) == (
        "top_headlines",
        "t-gpt52",
        ("OpenAI", "GPT-5.2"),
    )
    assert lead.article_urls == (
        "https://techcrunch.com/2025/12/11/gpt-5-2/",
        "https://openai.com/index/gpt-5-2/",
    )

    urls = store.reported_article_urls(date(2025, 12, 12), days=7)
    assert urls == {
        "https://techcrunch.com/2025/12/11/gpt-5-2/": lead.id,
        "https://openai.com/index/gpt-5-2/": lead.id,
        "https://arxiv.org/abs/2512.01034": items[2].id,
    }


def test_a_follow_up_links_to_the_earlier_item(store: Store) -> None:
    store.save_report(make_report(date(2025, 12, 11)), "")
    earlier = store.earlier_items(date(2025, 12, 12))[0]
    follow_up = FollowUp(earlier.date, earlier.title, earlier.id)
    report = make_report(date(2025, 12, 12), follow_up=follow_up)
    store.save_report(report, "")
    assert store.get_report(report.date) == report

    store.save_report(make_report(date(2025, 12, 11)), "")  # the earlier item is gone
    loaded = store.get_report(report.date)
    assert loaded is not None and loaded.items[0].follow_up == FollowUp(earlier.date, earlier.title, None)


def test_a_follow_up_to_an_unknown_item_keeps_date_and_title(store: Store) -> None:
    report = make_report(follow_up=FollowUp(date(2025, 12, 1), "舊聞", 987654))
    store.save_report(report, "")
    loaded = store.get_report(report.date)
    assert loaded is not None and loaded.items[0].follow_up == FollowUp(date(2025, 12, 1), "舊聞", None)


# Errors a user can act on


def test_an_unreachable_postgresql_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store.open("postgresql://aidaily:s3cret-pw@127.0.0.1:1/aidaily")
    message = str(caught.value)
    assert "s3cret-pw" not in message and "\n" not in message
    assert message.startswith("cannot reach database postgresql") and "127.0.0.1:1" in message
    assert "connection refused" in message


def test_an_unwritable_sqlite_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(StoreError) as caught:
        Store.open(f"sqlite:///{blocker / 'data' / 'aidaily.db'}")
    message = str(caught.value)
    assert message.startswith("cannot create directory") and "\n" not in message


def test_an_unopenable_sqlite_file_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open database sqlite:///"):
        Store.open(f"sqlite:///{tmp_path}")  # a directory, not a file


def test_an_unknown_database_scheme_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unsupported database"):
        Store.open("mysql://someone:pw@localhost/db")


def test_a_database_lost_after_opening_is_a_store_error() -> None:
    gone = Store(open_engine("postgresql://aidaily:s3cret-pw@127.0.0.1:1/aidaily"))
    with pytest.raises(StoreError, match=r"^database postgresql.*connection refused$") as caught:
        gone.report_dates()
    assert "s3cret-pw" not in str(caught.value)
    gone.close()


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store.add_articles([article(1, published=datetime(2025, 12, 11, 8, 0))])
    assert store.articles_between(T0 - timedelta(days=2), T0 + timedelta(days=2)) == []
