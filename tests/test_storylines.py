"""The day's storylines: shared names and terms that gather several items, never the whole day."""

from __future__ import annotations

import dataclasses
from datetime import date

from fakes.reports import synthetic_report

from core.models import Importance, Item
from core.report.writing.overview import build_overview
from core.report.writing.storylines import storylines

BASE = synthetic_report({"research": 1}).items[0]


def _item(title: str, entities: tuple[str, ...] = (), importance: Importance = Importance.MEDIUM) -> Item:
    return dataclasses.replace(
        BASE, title=title, summary=title, details=(), use_cases=(), entities=entities, importance=importance
    )


DAY = [
    _item("Nvidia ships Rubin chips to cloud providers", ("Nvidia", "Rubin"), Importance.HIGH),
    _item("Nvidia earnings beat on datacenter demand", ("Nvidia",), Importance.HIGH),
    _item("Waymo expands robotaxi service to Denver", ("Waymo",)),
    _item("Tesla FSD faces Dutch regulator", ("Tesla", "FSD")),
    _item("Pony.ai robotaxi fleet passes 1,000 cars", ("Pony.ai",)),
    *(_item(f"Unrelated story number {n}", (f"Org{n}",)) for n in range(15)),
]


def test_shared_names_and_terms_become_storylines_each_item_in_one():
    found = storylines(DAY, "zh-TW")
    labels = [line.label for line in found]
    assert labels[:2] == ["Nvidia", "自動駕駛"]  # the weightier storyline first
    assert found[0].items == (0, 1) and found[1].items == (2, 4)
    carried = [i for line in found for i in line.items]
    assert len(carried) == len(set(carried))


def test_a_word_of_the_whole_day_or_of_one_item_is_no_storyline():
    everywhere = [dataclasses.replace(item, entities=(*item.entities, "Acme")) for item in DAY]
    assert "Acme" not in [line.label for line in storylines(everywhere, "en")]
    alone = [_item("Only one story about OpenAI", ("OpenAI",)), _item("Another about Mistral", ("Mistral",))]
    assert storylines(alone, "en") == [] and storylines([], "zh-TW") == []


def test_generic_words_link_nothing():
    day = [_item(f"AI model story {n}", ("AI", "LLM", "模型")) for n in range(6)]
    assert storylines(day, "zh-TW") == []


def test_the_insight_names_the_items_of_each_storyline_and_the_title_the_storylines():
    overview = build_overview(DAY, day=date(2026, 12, 4), language="zh-TW", articles_count=40)
    first = overview.insight.trends[0]
    assert first.startswith("「Nvidia」串起今日 2 則報導")
    assert "Nvidia ships Rubin chips" in first and "Nvidia earnings beat" in first
    # The storyline's facts are clauses, not one list run on with 、 ("…市場動態、共有 2 個來源").
    assert "、共有" not in first and "、也都涉及" not in first
    assert "Nvidia" in overview.title and "自動駕駛" in overview.title
    assert "Nvidia" in overview.tags
    english = build_overview(DAY, day=date(2026, 12, 4), language="en", articles_count=40)
    assert any("robotaxi runs through 2" in t for t in english.insight.trends)
