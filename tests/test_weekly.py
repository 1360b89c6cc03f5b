"""The weekly digest (core.report.weekly): the week's strongest stories, each story once, by
section, with links to the daily reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.models import (
    ITEM_SECTIONS,
    Cadence,
    FollowUp,
    Importance,
    Insight,
    Item,
    Reading,
    Report,
    Section,
    SourceLink,
)
from core.report.weekly import week_of, weekly_digest
from core.text import match_key

END = date(2026, 12, 7)  # a Monday


def source(name: str) -> SourceLink:
    return SourceLink(name, f"https://{name}.example.org/story")


def item(title: str, section: str, importance: Importance = Importance.MEDIUM, **fields) -> Item:
    fields.setdefault("sources", (source(match_key(title)),))  # one outlet of its own
    return Item(section, title, f"{title}.", importance=importance, **fields)


def daily(day: date, *items: Item, language: str = "zh-TW") -> Report:
    sections = tuple(
        Section(spec.key, spec.heading, tuple(i for i in items if i.section == spec.key))
        for spec in ITEM_SECTIONS
    )
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    window = (at - timedelta(days=1), at)
    return Report(
        day,
        f"Daily {day}",
        at,
        "Asia/Taipei",
        *window,
        100,
        30,
        sections,
        Insight(),
        Reading(),
        language=language,
    )


def titles(report: Report, section: str) -> list[str]:
    return [i.title for i in report.section(section).items]


def test_one_item_per_story_the_strongest_across_days():
    first = item("Nimbus 2 released", "research", Importance.HIGH, topic_key="nimbus-2")
    follow = item(
        "Nimbus 2 tops the benchmarks", "research", Importance.CRITICAL,
        follow_up=FollowUp(END - timedelta(days=5), "Nimbus 2 released"),
    )  # fmt: skip
    funding = item(
        "Acme raises $2B", "market", Importance.MEDIUM_HIGH, article_urls=("https://a.example/acme",)
    )
    same_article = item(
        "Acme's round, explained", "top_headlines", Importance.MEDIUM, article_urls=funding.article_urls
    )
    same_topic = item("Nimbus 2 in practice", "tools", Importance.MEDIUM, topic_key="nimbus-2")
    same_title = item("ＡＣＭＥ RAISES $2B", "trends", Importance.LOW)  # full width, other case
    other = item("Orbit ships an agent kit", "tools")
    reports = [
        daily(END - timedelta(days=5), first, funding),
        daily(END - timedelta(days=3), follow, same_article, other),
        daily(END, same_topic, same_title),
    ]
    digest = weekly_digest(reports, end=END)
    assert digest is not None and digest.cadence is Cadence.WEEKLY and digest.date == END
    every = [i.title for i in digest.items]
    assert sorted(every) == sorted(
        ["Nimbus 2 tops the benchmarks", "Acme raises $2B", "Orbit ships an agent kit"]
    )
    assert titles(digest, "research") == ["Nimbus 2 tops the benchmarks"]  # 極高 beats 高 and 中
    assert titles(digest, "market") == ["Acme raises $2B"] and titles(digest, "top_headlines") == []


def test_each_section_keeps_its_strongest_in_order_and_ties_go_to_more_outlets_then_later_days():
    ranked = [Importance.LOW, Importance.CRITICAL, Importance.MEDIUM, Importance.HIGH, Importance.MEDIUM_HIGH]
    monday = [item(f"Story {n}", "research", importance) for n, importance in enumerate(ranked)]
    two_outlets = item("Told twice", "research", Importance.MEDIUM, sources=(source("a"), source("b")))
    later = item("Told later", "research", Importance.MEDIUM)
    digest = weekly_digest(
        [daily(END - timedelta(days=6), *monday, two_outlets), daily(END, later)], end=END, per_section=5
    )
    assert titles(digest, "research") == ["Story 1", "Story 3", "Story 4", "Told twice", "Told later"]


def test_items_link_to_their_daily_report_and_the_week_is_named():
    page = "https://daily.example.org/reports/{}/".format
    digest = weekly_digest(
        [daily(END - timedelta(days=2), item("Nimbus", "research"))],
        end=END,
        day_page=lambda d: page(d.isoformat()),
    )
    [linked] = digest.items
    assert linked.sources[-1] == SourceLink(
        "AI 日報 2026-12-05", "https://daily.example.org/reports/2026-12-05/"
    )
    assert digest.title == "AI 週報：2026/12/01–2026/12/07" and "1 份日報" in digest.description
    english = weekly_digest([daily(END, item("Nimbus", "research"), language="en")], end=END)
    assert english.title == "AI Weekly: 2026-12-01 to 2026-12-07" and english.items[0].sources == (
        source("nimbus"),
    )


def test_only_the_seven_days_ending_the_digest_count_and_none_means_no_digest():
    assert week_of(END) == [END - timedelta(days=n) for n in range(6, -1, -1)]
    too_old = daily(END - timedelta(days=7), item("Old news", "research", Importance.CRITICAL))
    later = daily(END + timedelta(days=1), item("Tomorrow", "research", Importance.CRITICAL))
    kept = daily(END - timedelta(days=6), item("This week", "research"))
    digest = weekly_digest([too_old, later, kept], end=END)
    assert [i.title for i in digest.items] == ["This week"]
    assert digest.articles_count == 100 and digest.window_start == kept.window_start
    assert weekly_digest([too_old], end=END) is None and weekly_digest([], end=END) is None


def test_a_digest_is_never_made_of_digests():
    digest = weekly_digest([daily(END, item("Nimbus", "research"))], end=END)
    assert weekly_digest([digest], end=END) is None
