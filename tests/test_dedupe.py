"""Deduplication: by canonical URL, arXiv id and near-identical title, first one wins, in linear time."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from core.models import Article, SeenKeys, SourceKind
from core.sources.dedupe import dedupe, keys_of, title_keys
from core.text import match_key

NOON = datetime(2025, 12, 8, 12, tzinfo=UTC)


def art(title: str, url: str | None = None, *, source: str = "Example", arxiv: str | None = None) -> Article:
    slug = match_key(title) or "untitled"
    return Article(
        source=source, source_kind=SourceKind.PAPER if arxiv else SourceKind.NEWS,
        url=url or f"https://{match_key(source)}.example.com/{slug}", title=title, summary="",
        published=NOON, fetched_at=NOON, arxiv_id=arxiv, title_key=match_key(title),
    )  # fmt: skip


def titles(articles: list[Article]) -> list[str]:
    return [a.title for a in articles]


def test_same_url_keeps_the_first() -> None:
    first = art("OpenAI ships GPT-5.2 to everyone", "https://a.example.com/x", source="A")
    second = art("A different headline for the same page", "https://a.example.com/x", source="B")
    assert dedupe([first, second]) == [first]


def test_same_arxiv_id_under_different_urls() -> None:
    paper = art("Scaling Test-Time Compute", "https://arxiv.org/abs/2512.01034", arxiv="2512.01034")
    mirror = art(
        "Scaling test time compute (HF)", "https://hf.example.co/papers/2512.01034", arxiv="2512.01034"
    )
    assert dedupe([paper, mirror]) == [paper]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("OpenAI releases GPT-5.2 today", "openai releases gpt‑5.2 today"),  # case, U+2011
        ("OpenAI releases GPT-5.2 today", "ＯｐｅｎＡＩ releases GPT-5.2 today!"),  # full width, "!"
        ("OpenAI’s “agent” push", 'OpenAI\'s "agent" push'),  # quotes
        ("OpenAI releases GPT-5.2 today", "OpenAI releases GPT-5.2 today - TechCrunch"),
        ("OpenAI releases GPT-5.2 today | The Guardian", "OpenAI releases GPT-5.2 today"),
        ("OpenAI releases GPT-5.2 today - Reuters", "OpenAI releases GPT-5.2 today — Yahoo Finance"),
        ("OpenAI releases GPT-5.2 today – theverge.com", "OpenAI releases GPT-5.2 today"),
        ("大模型推理成本再降一半 - 量子位", "大模型推理成本再降一半"),
    ],
)
def test_near_identical_titles_are_one_story(first: str, second: str) -> None:
    assert titles(dedupe([art(first, source="A"), art(second, source="B")])) == [first]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Gemini 3 review: the good parts - Part 1", "Gemini 3 review: the good parts - Part 2"),
        ("What GPT-5.2 means - what we know", "What GPT-5.2 means - what we don't know"),
        ("OpenAI releases GPT-5.2", "OpenAI releases GPT-5.3"),
        ("Update", "Update"),  # too short to name a story
        ("", ""),
    ],
)
def test_different_titles_are_kept(first: str, second: str) -> None:
    assert len(dedupe([art(first, source="A"), art(second, source="B")])) == 2


def test_the_source_name_is_recognised_as_a_suffix_even_in_lower_case() -> None:
    first = art("Big model news for everyone - example news", source="Example News")
    second = art("Big model news for everyone", source="Other")
    assert dedupe([first, second]) == [first]


def test_seen_keys_drop_articles_already_stored() -> None:
    seen = SeenKeys(
        urls=frozenset({"https://a.example.com/old"}),
        arxiv_ids=frozenset({"2512.01034"}),
        title_keys=frozenset({match_key("Nvidia unveils a new chip")}),
    )
    articles = [
        art("Old story by URL", "https://a.example.com/old"),
        art("Old paper by id", arxiv="2512.01034"),
        art("Nvidia unveils a new chip - Reuters"),
        art("A genuinely new story"),
    ]
    assert titles(dedupe(articles, seen)) == ["A genuinely new story"]


def test_input_order_decides_which_copy_survives() -> None:
    light = art("Anthropic raises a new round", "https://light.example.com/1", source="Light")
    heavy = art("Anthropic raises a new round", "https://heavy.example.com/1", source="Heavy")
    assert dedupe([heavy, light]) == [heavy]
    assert dedupe([light, heavy]) == [light]


def test_nothing_is_lost_when_nothing_repeats() -> None:
    articles = [art(f"Distinct story number {i}") for i in range(50)]
    assert dedupe(articles) == articles


def test_keys_of_lists_what_to_ask_the_store() -> None:
    articles = [
        art("Nvidia unveils a new chip - Reuters", "https://r.example.com/1"),
        art("Scaling Test-Time Compute", "https://arxiv.org/abs/2512.01034", arxiv="2512.01034"),
    ]
    urls, arxiv_ids, keys = keys_of(articles)
    assert urls == {"https://r.example.com/1", "https://arxiv.org/abs/2512.01034"}
    assert arxiv_ids == {"2512.01034"}
    assert keys == {"nvidiaunveilsanewchipreuters", "nvidiaunveilsanewchip", "scalingtesttimecompute"}


def test_title_keys_include_the_title_without_its_site_name() -> None:
    assert title_keys(art("Nvidia unveils a new chip | The Guardian")) == (
        "nvidiaunveilsanewchiptheguardian", "nvidiaunveilsanewchip",
    )  # fmt: skip


def test_dedupe_is_linear() -> None:
    articles = [
        art(f"Story {i} about model {i % 97} and chips", f"https://x.example.com/{i}") for i in range(20_000)
    ]
    articles += articles[:5_000]  # repeats
    began = time.perf_counter()
    kept = dedupe(articles)
    assert len(kept) == 20_000
    assert time.perf_counter() - began < 1.0  # about 0.1 s; all-pairs would take minutes
