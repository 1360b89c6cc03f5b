"""Synthetic reports for delivery tests and ``bench/deliver.py``: deterministic, realistic sizes.

``synthetic_report(counts)`` builds a ``Report`` whose item sections hold ``counts[key]`` items
(by default 60 items over the six sections), each with a summary of a few sentences, details,
use cases, entities and one to three source links whose URLs carry query strings (``&``).
``extras=False`` leaves out the editor's insight and the reading list. ``nasty=True`` puts Slack
and Telegram control characters, markup and script tags into every text field, to prove
escaping; ``long_summary=N`` gives each item N paragraphs, more than one message holds.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

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

DAY = date(2026, 11, 22)
DEFAULT_COUNTS = {
    "top_headlines": 8,
    "research": 14,
    "tools": 10,
    "applications": 10,
    "trends": 9,
    "market": 9,
}
NASTY = "<script>alert('x')</script> a < b && c > d *bold* _it_ ~s~ `code` <!channel> <@U123> </b>"

_WORDS = [
    "model",
    "inference",
    "latency",
    "open-weight",
    "benchmark",
    "reasoning",
    "agents",
    "retrieval",
    "context",
    "window",
    "tokens",
    "multimodal",
    "fine-tuning",
    "safety",
    "evaluation",
    "distillation",
    "GPU",
    "cluster",
    "training",
    "compute",
    "throughput",
    "enterprise",
    "deployment",
    "pricing",
    "startup",
    "funding",
    "regulation",
    "policy",
    "research",
    "paper",
    "dataset",
]
_COMPANIES = ["OpenAI", "Anthropic", "Google DeepMind", "Meta", "Mistral", "Nvidia", "Alibaba", "DeepSeek"]
_SOURCES = ["TechCrunch", "The Verge", "MIT Technology Review", "arXiv", "Reuters", "量子位"]


def synthetic_report(
    counts: dict[str, int] | None = None,
    *,
    nasty: bool = False,
    long_summary: int = 0,
    extras: bool = True,
    seed: int = 7,
) -> Report:
    rng = random.Random(seed)
    counts = DEFAULT_COUNTS if counts is None else counts
    sections = tuple(
        Section(
            s.key,
            s.heading,
            tuple(_item(rng, s.key, n, nasty, long_summary) for n in range(counts.get(s.key, 0))),
        )
        for s in ITEM_SECTIONS
    )
    made = datetime(2026, 11, 21, 22, 40, tzinfo=UTC)
    return Report(
        date=DAY,
        title="AI 日報 2026-11-22：開放權重模型與代理工具" + (f" {NASTY}" if nasty else ""),
        generated_at=made,
        timezone="Asia/Taipei",
        window_start=made - timedelta(hours=24),
        window_end=made,
        articles_count=412,
        topics_count=187,
        sections=sections,
        insight=_insight(rng, nasty) if extras else Insight(),
        reading=_reading(rng, nasty) if extras else Reading(),
        description="今日重點：" + _sentence(rng, 12) + (f" {NASTY}" if nasty else ""),
        language="zh-TW",
    )


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."


def _item(rng: random.Random, section: str, n: int, nasty: bool, long_summary: int) -> Item:
    company = rng.choice(_COMPANIES)
    extra = f" {NASTY}" if nasty else ""
    summary = " ".join(_sentence(rng, rng.randint(12, 24)) for _ in range(rng.randint(2, 4)))
    if long_summary:
        summary = "\n\n".join(_sentence(rng, 40) for _ in range(long_summary))
    sources = tuple(
        SourceLink(name + extra, f"https://news.example.org/{section}/{n}/{k}?utm=x&id={n}-{k}")
        for k, name in enumerate(rng.sample(_SOURCES, rng.randint(1, 3)))
    )
    return Item(
        section=section,
        title=f"{company} {section} story {n + 1}: {_sentence(rng, rng.randint(5, 10))}{extra}",
        summary=summary + extra,
        details=tuple(_sentence(rng, 10) + extra for _ in range(rng.randint(0, 3))),
        use_cases=tuple(_sentence(rng, 8) + extra for _ in range(rng.randint(0, 2))),
        entities=(company, *rng.sample(_WORDS, 2)) + ((NASTY,) if nasty else ()),
        importance=rng.choice(list(Importance)),
        importance_reason=_sentence(rng, 8) + extra,
        sources=sources,
        topic_key=f"{section}-{n}",
    )


def _insight(rng: random.Random, nasty: bool) -> Insight:
    extra = f" {NASTY}" if nasty else ""
    return Insight(
        trends=tuple(_sentence(rng, 30) + extra for _ in range(2)),
        context=(_sentence(rng, 30) + extra,),
        outlook=(_sentence(rng, 25) + extra,),
        watchlist=tuple(_sentence(rng, 6) + extra for _ in range(4)),
    )


def _reading(rng: random.Random, nasty: bool) -> Reading:
    extra = f" {NASTY}" if nasty else ""
    articles = tuple(
        ReadingLink(
            _sentence(rng, 6) + extra, f"https://blog.example.org/read/{n}?a=1&b=2", _sentence(rng, 8)
        )
        for n in range(3)
    )
    return Reading(
        articles=articles,
        background=(("RAG" + extra, _sentence(rng, 15)), ("MoE", _sentence(rng, 15))),
        keywords=("agents", "open weights", "inference"),
    )
