"""Telegram HTML rendering and splitting, checked by an independent parser.

Every message is read back with the fake Bot API's own HTML parser (``fakes.telegram_server``),
which knows nothing of the renderer: it decides what is valid, what the user sees and how long
that is in UTF-16 code units, the way Telegram does.
"""

from __future__ import annotations

import dataclasses
import random
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from fakes.telegram_server import MAX_ENTITIES, MAX_TEXT, ApiError, parse_html, units

from core.models import (
    ITEM_SECTIONS,
    Importance,
    Insight,
    Item,
    Reading,
    ReadingLink,
    Report,
    Section,
    SourceLink,
)
from core.report.rendering.labels import EN, ZH_TW
from core.report.rendering.markdown import link_target
from delivery.telegram_format import (
    Limits,
    escape,
    link,
    measure,
    pack,
    render_header,
    render_index,
    render_item,
    render_parts,
    split_html,
    threads,
    visible_text,
)

TAIPEI = timezone(timedelta(hours=8))
HOSTILE = "<script>alert('x')</script> a < b && c > d *bold* _under_ `tick` ```fence``` &amp; &#60; </b> <i"


def make_item(section: str, number: int, *, summary: str | None = None, links: int = 2, **extra) -> Item:
    """A realistic item: a zh-TW summary of about 200 characters, bullets and ``links`` sources."""
    sources = tuple(
        SourceLink(f"Source {k}", f'https://news{k}.example.org/{section}/{number}?ref=a&b="{k}"')
        for k in range(1, links + 1)
    )
    return Item(
        section=section,
        title=extra.pop("title", f"{section} 第 {number} 則：GPT-5.2 與 Gemini 3 的新進展"),
        summary=summary if summary is not None else "OpenAI 與 Google 本週發布新模型，" * 10,
        details=extra.pop("details", ("推理能力提升，長上下文達 1M token。", "價格每百萬 token 1.75 美元。")),
        use_cases=extra.pop("use_cases", ("企業知識庫問答。",)),
        entities=("OpenAI", "Google", "GPT-5.2"),
        importance=Importance.HIGH,
        importance_reason="前沿模型發布",
        sources=sources,
        **extra,
    )


def make_report(counts: dict[str, int] | None = None, *, language: str = "zh-TW", **item_args) -> Report:
    """A report with ``counts[section]`` items in each item section (default: ten in every one)."""
    counts = counts if counts is not None else {spec.key: 10 for spec in ITEM_SECTIONS}
    sections = tuple(
        Section(
            spec.key,
            spec.heading,
            tuple(make_item(spec.key, n, **item_args) for n in range(1, counts.get(spec.key, 0) + 1)),
        )
        for spec in ITEM_SECTIONS
    )
    window_end = datetime(2025, 12, 11, 6, 40, tzinfo=TAIPEI)
    return Report(
        date=date(2025, 12, 11),
        title="AI 日報 2025-12-11：<b>前沿模型</b> & 代理",
        generated_at=window_end,
        timezone="Asia/Taipei",
        window_start=window_end - timedelta(hours=24),
        window_end=window_end,
        articles_count=412,
        topics_count=96,
        sections=sections,
        insight=Insight(),
        reading=Reading(),
        summary="今天的重點是前沿模型與代理。",
        language=language,
    )


def checked(message: str, limits: Limits | None = None) -> tuple[str, list[dict]]:
    """``message`` as Telegram reads it, asserting it is valid and within every limit."""
    limits = limits or Limits()
    text, entities = parse_html(message)  # raises ApiError on invalid HTML
    assert units(text) <= min(limits.text, MAX_TEXT)
    assert len(entities) <= min(limits.entities, MAX_ENTITIES)
    assert len(message) <= limits.source
    assert text.strip(), "an empty message"
    return text, entities


def thread_of(section: Section, labels=ZH_TW):
    """The thread of one section, as the adapter plans it."""
    report = dataclasses.replace(make_report({}), sections=(section,))
    (thread,) = threads(report, labels)
    return thread


def parts_of(section: Section, labels=ZH_TW) -> list[str]:
    return render_parts(thread_of(section, labels))


def links_of(messages: list[str]) -> list[str]:
    return [e["url"] for m in messages for e in checked(m)[1] if e["type"] == "text_link"]


# --- escaping ---------------------------------------------------------------------------------


def test_hostile_feed_text_is_shown_literally_and_cannot_open_a_tag():
    item = make_item("research", 1, title=HOSTILE, summary=HOSTILE, details=(HOSTILE,), use_cases=())
    message = render_item(1, item, ZH_TW)
    text, entities = checked(message)
    assert text.count("<script>alert('x')</script>") == 3  # shown as typed, three times
    assert "&amp; &#60; </b> <i" in text  # entities in feed text stay text, not markup
    assert {e["type"] for e in entities} == {"bold", "text_link"}
    assert "<script" not in message


def test_only_http_links_become_links_and_quotes_cannot_end_the_href():
    sources = (
        SourceLink('Quote" onclick="x', 'https://example.org/a?q="1"&r=<2>'),
        SourceLink("JS", "javascript:alert(1)"),
        SourceLink("Relative", "/reports/1"),
        SourceLink("來源1", "1"),
    )
    message = render_item(1, dataclasses.replace(make_item("tools", 1), sources=sources), EN)
    text, entities = checked(message)
    assert [e["url"] for e in entities if e["type"] == "text_link"] == [link_target(sources[0].url)]
    assert 'Quote" onclick="x' in text and "JS" in text and "來源1" in text


def test_escape_and_link_helpers():
    assert escape("a < b & c > d\n\tz") == "a &lt; b &amp; c &gt; d z"
    assert link("x", "ftp://example.org") == "x"
    assert link("", "https://example.org/") == '<a href="https://example.org/">link</a>'


# --- measuring --------------------------------------------------------------------------------


def test_length_is_counted_in_utf16_units_after_entity_parsing():
    assert measure("<b>&lt;a&gt;</b>").units == 3
    assert measure("😀").units == 2  # outside the BMP: a surrogate pair
    assert measure("中文").units == 2
    assert measure('<a href="https://x.org/?a=1&amp;b=2">x</a>').units == 1
    assert visible_text("<b>1 &amp; 2</b>") == "1 & 2"


@pytest.mark.parametrize("emoji_count, messages", [(2048, 1), (2049, 2)])
def test_a_message_of_4096_units_of_emoji_fits_and_4097_does_not(emoji_count, messages):
    block = "😀" * emoji_count  # 2 units each: 4096 exactly, then 4098
    parts = pack([block])
    assert len(parts) == messages
    texts = [checked(p)[0] for p in parts]
    assert "".join(texts) == block  # no emoji cut in half, none lost
    assert units(texts[0]) == min(4096, units(block))


def test_emoji_sequences_are_never_cut_apart():
    family = "👨\u200d👩\u200d👧\u200d👦"  # one glyph, 11 units
    parts = split_html(family * 20, Limits(text=50, entities=10, source=1000))
    assert all(visible_text(p).replace(family, "") == "" for p in parts)
    assert "".join(map(visible_text, parts)) == family * 20


# --- packing and splitting --------------------------------------------------------------------


def test_sixty_items_are_packed_into_a_few_messages():
    section = Section("research", "R", tuple(make_item("research", n) for n in range(1, 61)))
    parts = parts_of(section)
    per_item = units(visible_text(render_item(1, section.items[0], ZH_TW)))
    total = sum(units(checked(p)[0]) for p in parts)
    assert len(parts) <= total // 4096 + 2  # within one message of the ideal
    assert len(parts) < 60 / 4
    # Every item whole, in order: numbered 1..60 across the messages.
    titles = re.findall(r"^(\d+)\. research", "\n".join(checked(p)[0] for p in parts), re.M)
    assert titles == [str(n) for n in range(1, 61)]
    assert per_item * 60 > 4096 * 3  # the case is a real one: the section needs several messages


def test_a_section_larger_than_any_message_keeps_every_item_and_link_in_order():
    section = Section("market", "M", tuple(make_item("market", n, links=4) for n in range(1, 41)))
    parts = parts_of(section)
    assert len(parts) > 1
    expected = [link_target(s.url) for item in section.items for s in item.sources]
    assert links_of(parts) == expected


def test_an_item_longer_than_a_message_is_split_inside_and_bold_is_reopened():
    title = "很長的標題" * 1000  # 5000 units of bold title alone
    item = make_item("tools", 7, title=title, summary="摘要。" * 3000)
    parts = parts_of(Section("tools", "T", (item,)))
    assert len(parts) >= 4
    for part in parts:
        checked(part)
    assert parts[1].startswith("<b>") and parts[0].endswith("</b>")  # closed, then re-opened
    seen = "".join(checked(p)[0] for p in parts)
    assert seen.replace("\n", "") == visible_text(render_item(1, item, ZH_TW)).replace("\n", "")


def test_splits_prefer_paragraph_then_line_then_word_boundaries():
    lines = [f"line {n} " + "word " * 40 for n in range(40)]
    block = "\n".join(lines)
    parts = split_html(block, Limits(text=1000, entities=100, source=5000))
    assert len(parts) > 2
    assert all(visible_text(p).rstrip().endswith("word") for p in parts)  # each ends a line
    assert all(visible_text(p).startswith("line ") for p in parts)
    # One long line: a word boundary, never inside a word.
    parts = split_html("alpha " * 400, Limits(text=500, entities=100, source=5000))
    assert all(set(visible_text(p).split()) == {"alpha"} for p in parts)


def test_cjk_without_spaces_is_split_between_characters_not_before_punctuation():
    text = "今天的人工智慧新聞很多，" * 200 + "完。"
    parts = split_html(escape(text), Limits(text=301, entities=10, source=3000))
    seen = [visible_text(p) for p in parts]
    assert "".join(seen) == text
    assert all(units(s) <= 301 for s in seen)
    assert not any(s[0] in "，。" for s in seen)


def test_a_long_item_starts_in_the_free_part_of_the_previous_message():
    short = render_item(1, make_item("tools", 1), ZH_TW)
    long_item = render_item(2, make_item("tools", 2, summary="長" * 6000), ZH_TW)
    parts = pack([short, long_item])
    assert len(parts) == 2  # 6600 units: two messages, not three
    assert visible_text(parts[0]).startswith("1. ")


def test_entities_per_message_are_capped():
    items = [make_item("tools", n, links=9, summary="s") for n in range(1, 41)]
    parts = pack([render_item(n, item, EN) for n, item in enumerate(items, 1)])
    assert len(parts) > 1
    assert all(len(checked(p)[1]) <= 100 for p in parts)
    assert len(links_of(parts)) == 40 * 9


def test_random_hostile_text_always_splits_into_valid_messages_that_keep_every_character():
    rng = random.Random(20251211)
    alphabet = [
        "a",
        "bc ",
        " ",
        "\n",
        "\n\n",
        "<",
        ">",
        "&",
        "😀",
        "中",
        "，",
        "。",
        "é",
        "\u0301",
        "👍🏽",
        "*_`",
    ]
    limits = Limits(text=120, entities=6, source=900)
    for _ in range(150):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        label = f"<b>{escape(text[:30])}</b> " if rng.random() < 0.5 else ""
        block = label + escape(text) + " " + link("src", "https://example.org/x")
        block = block.strip() or "x"
        try:
            parts = pack([block], limits)
        except ValueError:
            pytest.fail(f"could not split {block!r}")
        seen = "".join(checked(p, limits)[0] for p in parts)
        assert re.sub(r"\s", "", seen) == re.sub(r"\s", "", visible_text(block))


def test_a_piece_that_cannot_fit_is_an_error_not_a_broken_message():
    with pytest.raises(ValueError):
        split_html(link("x" * 50, "https://example.org/"), Limits(text=10, entities=5, source=500))


# --- header and section index -----------------------------------------------------------------


def test_header_has_title_date_counts_and_the_archive_link():
    report = make_report({"top_headlines": 3, "research": 2})
    sections = [s for s in report.sections if s.items]
    message = render_header(report, sections, ZH_TW, "https://daily.example.org/")
    text, entities = checked(message)
    assert text.startswith("AI 日報 2025-12-11：<b>前沿模型</b> & 代理\n2025-12-11 · 5 則新聞，2 個分類")
    assert "412 篇文章" in text and "96 個" in text
    assert [e["url"] for e in entities if e["type"] == "text_link"] == [
        "https://daily.example.org/reports/2025-12-11/"
    ]
    assert "text_link" not in str(checked(render_header(report, sections, EN))[1])


def test_header_stays_one_message_whatever_the_report_says():
    report = make_report({"tools": 1})
    report = dataclasses.replace(report, title="T" * 9000, summary="😀" * 9000)
    checked(render_header(report, list(report.sections), EN, "https://x.org"))


def test_section_index_lists_numbered_titles_and_says_how_many_more():
    section = Section(
        "research",
        "R",
        tuple(make_item("research", n, title=f"標題 {n} " + "長" * 150) for n in range(1, 61)),
    )
    text, entities = checked(render_index(thread_of(section), ZH_TW))
    lines = text.split("\n")
    assert lines[0] == "模型與技術更新（Model & Research Updates）" and entities[0]["type"] == "bold"
    shown = [line for line in lines if re.match(r"\d+\. ", line)]
    assert shown[0].startswith("1. 標題 1 ") and len(shown) < 60
    assert lines[-1] == f"…另有 {60 - len(shown)} 則"
    short = Section("tools", "T", tuple(make_item("tools", n) for n in range(1, 4)))
    assert checked(render_index(thread_of(short, EN), EN))[0].split("\n")[1:] == [
        f"{n}. {short.items[n - 1].title}" for n in (1, 2, 3)
    ]


def test_apiError_is_what_the_checker_raises_on_bad_html():
    with pytest.raises(ApiError, match="Unsupported start tag"):
        checked("<script>x</script>")


def test_insight_and_reading_are_threads_of_named_parts():
    insight = Insight(trends=("Agents <b>everywhere</b>.", "Second & last."), watchlist=("GPT-6", "Gemini 4"))
    reading = Reading(
        articles=(ReadingLink("A <deep> dive", "https://example.org/deep?a=1&b=2", "long read"),),
        background=(("MoE", "mixture of experts"),),
        keywords=("RAG", "<agents>"),
    )
    report = dataclasses.replace(make_report({}), insight=insight, reading=reading)
    found = {thread.key: thread for thread in threads(report, EN)}
    assert list(found) == ["insight", "reading"]
    assert found["insight"].titles == ("Today’s Trends", "Watchlist")
    text, _ = checked(render_parts(found["insight"])[0])
    trends = "Today’s Trends\nAgents <b>everywhere</b>.\n\nSecond & last."
    assert text == trends + "\n\nWatchlist\n1. GPT-6\n2. Gemini 4"
    text, entities = checked(render_parts(found["reading"])[0])
    assert "• A <deep> dive — long read" in text and "RAG  <agents>" in text
    assert [e.get("url") for e in entities if e["type"] == "text_link"] == [
        "https://example.org/deep?a=1&b=2"
    ]
    assert [e["type"] for e in entities].count("code") == 2
    index, _ = checked(render_index(found["reading"], EN))
    assert index.split("\n") == [
        "Further Reading & Resources",
        "• Recommended Reading",
        "• Technical Background",
        "• Keywords of the Day",
    ]
    assert threads(make_report({}), EN) == []
