"""Synthetic AI-news feeds for benchmarks: realistic vocabulary, stories told by several outlets.

Deterministic for a given seed. Each story is a set of entities and theme words; between one and
four outlets tell it with different headlines, and arXiv-like feeds carry papers grouped by theme,
so clustering and editing have real work to do at any size.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

COMPANIES = [
    "OpenAI",
    "Anthropic",
    "Google DeepMind",
    "Meta",
    "Microsoft",
    "Nvidia",
    "Mistral",
    "Cohere",
    "Alibaba",
    "DeepSeek",
    "xAI",
    "Amazon",
    "Apple",
    "IBM",
    "Databricks",
    "Hugging Face",
    "Runway",
    "Perplexity",
    "Scale AI",
    "Stability AI",
    "AMD",
    "Intel",
    "Baidu",
    "Tencent",
    "Samsung",
]
PRODUCTS = [
    "GPT",
    "Claude",
    "Gemini",
    "Llama",
    "Phi",
    "Nemotron",
    "Mixtral",
    "Command",
    "Qwen",
    "Grok",
    "Nova",
    "Granite",
    "DBRX",
    "Gen",
    "Sonar",
    "Titan",
    "Ernie",
    "Hunyuan",
]
THEMES = [
    "reasoning",
    "long-context",
    "multimodal",
    "agents",
    "robotics",
    "world model",
    "video generation",
    "speech recognition",
    "code generation",
    "retrieval",
    "alignment",
    "safety evaluation",
    "quantization",
    "distillation",
    "reinforcement learning",
    "diffusion",
    "benchmarks",
    "medical imaging",
    "drug discovery",
    "chip design",
    "data centers",
    "inference cost",
]
SECTORS = [
    "healthcare",
    "banking",
    "insurance",
    "retail",
    "logistics",
    "automotive",
    "education",
    "media",
    "manufacturing",
    "energy",
    "legal services",
    "telecom",
]
NEWS_VERBS = ["launches", "unveils", "releases", "debuts", "rolls out", "announces", "ships", "open-sources"]
MARKET = [
    "raises $%dM in Series %s",
    "is valued at $%dB after new round",
    "acquires a %s startup",
    "shares jump after %s results",
]
OUTLETS = ["TechCrunch", "The Guardian", "AI Business", "MIT Technology Review", "VentureBeat", "The Verge"]


@dataclass(frozen=True, slots=True)
class Entry:
    title: str
    link: str
    summary: str
    published: datetime
    guid: str


def _story(rng: random.Random, n: int) -> tuple[str, list[str], str]:
    company, product = rng.choice(COMPANIES), rng.choice(PRODUCTS)
    model = f"{product}-{rng.randint(2, 9)}.{rng.randint(0, 9)}"
    theme, sector = rng.choice(THEMES), rng.choice(SECTORS)
    kind = rng.random()
    if kind < 0.5:
        heads = [
            f"{company} {rng.choice(NEWS_VERBS)} {model} with stronger {theme}",
            f"{model} from {company} targets {theme}",
            f"Hands-on with {company}'s {model}: {theme} gets better",
            f"{company}'s new {model} model raises the bar on {theme}",
        ]
    elif kind < 0.75:
        heads = [
            f"{company} brings {theme} AI to {sector} with {model}",
            f"{sector.capitalize()} firms adopt {company} {model} for {theme}",
            f"How {company} is selling {theme} to {sector}",
        ]
    else:
        pattern = rng.choice(MARKET)
        deal = pattern % (
            (rng.randint(5, 900), rng.choice("ABCDE"))
            if "Series" in pattern
            else (rng.randint(1, 90),)
            if "valued" in pattern
            else (theme,)
        )
        heads = [f"{company} {deal}", f"AI startup deal: {company} {deal}", f"{company} {deal} ({n})"]
    body = (
        f"{company} said {model} improves {theme} for {sector} customers. The release follows months "
        f"of testing, and the company reports gains on internal benchmarks. Story {n} details pricing "
        f"and availability for developers and enterprises."
    )
    return model, heads, body


def news_entries(rng: random.Random, count: int, now: datetime, base: str) -> list[list[Entry]]:
    """Entries for news feeds; returns one list per outlet, stories shared between outlets."""
    per_outlet: list[list[Entry]] = [[] for _ in OUTLETS]
    n = 0
    while sum(map(len, per_outlet)) < count:
        model, heads, body = _story(rng, n)
        for outlet in rng.sample(range(len(OUTLETS)), k=min(len(heads), rng.choice((1, 1, 1, 2, 2, 3, 4)))):
            slug = f"{model.lower()}-{n}-{outlet}"
            age = timedelta(minutes=rng.randint(5, 20 * 60))
            per_outlet[outlet].append(
                Entry(
                    rng.choice(heads),
                    f"{base}/{OUTLETS[outlet]}/{slug}?utm_source=rss",
                    f"<p>{body}</p>",
                    now - age,
                    slug,
                )
            )
        n += 1
    return per_outlet


def paper_entries(rng: random.Random, count: int, now: datetime) -> list[Entry]:
    entries = []
    for n in range(count):
        theme, other = rng.choice(THEMES), rng.choice(THEMES)
        arxiv = f"2611.{10000 + n:05d}"
        title = f"{rng.choice(['Towards', 'Rethinking', 'Scaling', 'On'])} {theme} with {other} ({n})"
        summary = (
            f"arXiv:{arxiv}v1 Announce Type: new \nAbstract: We study {theme} in large models and "
            f"propose a method that combines {other} objectives. Experiments show gains on standard "
            f"benchmarks."
        )
        entries.append(
            Entry(
                title,
                f"https://arxiv.org/abs/{arxiv}",
                summary,
                now - timedelta(minutes=rng.randint(5, 20 * 60)),
                f"oai:arXiv.org:{arxiv}v1",
            )
        )
    return entries


def rss(title: str, entries: list[Entry]) -> bytes:
    items = "".join(
        f"<item><title>{escape(e.title)}</title><link>{escape(e.link)}</link><guid>{escape(e.guid)}</guid>"
        f"<pubDate>{format_datetime(e.published)}</pubDate><description>{escape(e.summary)}</description></item>"
        for e in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}'
        f"</title><link>https://example.org/</link>{items}</channel></rss>"
    ).encode()


def feeds(total: int, now: datetime, *, per_feed: int = 100, seed: int = 7) -> dict[str, tuple[str, bytes]]:
    """``total`` articles as RSS feeds of ``per_feed`` items: {path: (kind, body)}; 30% papers."""
    rng = random.Random(seed)
    papers = paper_entries(rng, total * 3 // 10, now)
    outlets = news_entries(rng, total - len(papers), now, "https://news.example.org")
    news = [e for outlet in outlets for e in outlet]
    out: dict[str, tuple[str, bytes]] = {}
    for kind, entries in (("paper", papers), ("news", news)):
        for i in range(0, len(entries), per_feed):
            out[f"/{kind}-{i // per_feed}.xml"] = (kind, rss(f"{kind} {i}", entries[i : i + per_feed]))
    return out
