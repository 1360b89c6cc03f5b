"""Benchmark the follow-up bot's retrieval: a year of reports (365 x 60 synthetic items).

    .venv/bin/python -m bench.ask                                   # SQLite only
    .venv/bin/python -m bench.ask --postgres postgresql+psycopg://postgres@127.0.0.1/test
    AIDAILY_TEST_POSTGRES_URL=... .venv/bin/python -m bench.ask      # SQLite and PostgreSQL

Reports are written straight through ``Store.save_report`` (no pipeline, no Markdown), each item
with ``--articles`` stored articles behind it (English titles and summaries), which the index
reads too. Each backend runs in a fresh process: load every item and its articles' text from
the store, build the in-memory index (``bot.search.ItemIndex``), then time ``search``
(retrieval) and ``ask`` (retrieval plus the extractive answer, no LLM) over a mix of English,
Chinese, variant-spelling and no-answer questions. Prints a Markdown table: load and build
seconds, p50/p95/max latency, peak Python heap while loading and indexing (tracemalloc) and the
process's peak RSS. Goal: p95 < 50 ms, < 500 MB.

A third table is how well it finds: hit@1 and hit@3 of the team's and the held-out question sets
over the two sample reports (``bench/ask_quality.py``), and how many unanswerable questions get
"not found", on each backend.

A second table is the cached index (``bot.index_cache.IndexCache``) as ``aidaily ask`` uses it:
a cold ``current()`` (fingerprint, load, build, save to the cache directory), then, in another
fresh process as the next CLI call would be, ``current()`` loading the saved file, the latency
of questions on the loaded index, the file's size and that process's peak RSS.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import ask_quality  # noqa: E402
from bot.answer import ExtractiveAnswerer, ask  # noqa: E402
from bot.index_cache import FILE_NAME, IndexCache  # noqa: E402
from bot.search import ItemIndex  # noqa: E402
from core.models import (  # noqa: E402
    ITEM_SECTIONS,
    Article,
    Importance,
    Insight,
    Item,
    Reading,
    Report,
    Section,
    SourceKind,
    SourceLink,
)
from core.store import Store  # noqa: E402
from core.store.db import open_engine  # noqa: E402

COMPANIES = str.split(
    "OpenAI Google Anthropic Meta Microsoft Amazon NVIDIA Apple Alibaba Tencent Baidu DeepSeek Mistral "
    "xAI Cohere Runway Waymo Tesla Oracle IBM Samsung Huawei ByteDance Perplexity Databricks"
)
PRODUCTS = (
    "GPT-5.{n}",
    "Gemini {n}",
    "Claude Opus 4.{n}",
    "Llama {n}",
    "Qwen{n}",
    "DeepSeek-V{n}",
    "Grok {n}",
)
ZH = str.split(
    "發布 新一代 大型語言模型 推理能力 顯著提升 融資 估值 晶片 資料中心 機器人 自動駕駛 監管 安全測試 "
    "開源 閉源 多模態 影片生成 語音合成 代理 工作流程 企業部署 雲端 邊緣運算 基準測試 版權 訴訟 "
    "醫療影像 金融風控 教育 電商 搜尋 廣告 能源 電池 晶圓代工 供應鏈 人才 研究 論文 強化學習 蒸餾"
)
EN = str.split(
    "reasoning agents benchmark inference training dataset open-weights latency throughput GPU TPU "
    "robotics safety alignment copyright funding valuation cloud edge multimodal video speech"
)
QUESTIONS = (
    "more on GPT-5.3",
    "ＧＰＴ－５．４",
    "gpt 5.1",
    "Claude Opus 4.2",
    "tell me about Anthropic funding",
    "What about NVIDIA GPU inference?",
    "跟 DeepSeek-V3 相關的更多？",
    "阿里巴巴 Qwen3 发布",
    "機器人 自動駕駛 監管",
    "資料中心 能源",
    "Waymo robotaxi",
    "Tell me about Apple Vision Pro",
    "FIFA World Cup",
    "台積電法說會",
    "比特币减半",
    "Samsung Galaxy foldable phone",
    "hexapod warehouse robot",  # an article's wording
    # English paraphrases that the bilingual lexicon expands (issue 14), and names no item has
    "Why did Oracle's share price fall after its earnings?",
    "Amazon data centres in Mumbai running on coal power",
    "a benchmark that checks whether chatbots protect users' wellbeing",
    "孕妇在无人驾驶出租车里生孩子",
    "Did OpenAI release GPT-6?",
    "",
    "x" * 10_000,
)


def synthetic_reports(days: int, per_day: int, seed: int = 11) -> list[Report]:
    rng = random.Random(seed)
    first = date(2025, 1, 1)
    return [_report(rng, first + timedelta(days=n), per_day) for n in range(days)]


def _report(rng: random.Random, day: date, per_day: int) -> Report:
    items = [_item(rng, day, n) for n in range(per_day)]
    per_section = -(-per_day // len(ITEM_SECTIONS))
    sections = tuple(
        Section(spec.key, spec.heading, tuple(items[i * per_section : (i + 1) * per_section]))
        for i, spec in enumerate(ITEM_SECTIONS)
    )
    sections = tuple(
        Section(s.key, s.heading, tuple(Item(**{**_fields(it), "section": s.key}) for it in s.items))
        for s in sections
    )
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Report(
        date=day,
        title=f"AI Daily {day.isoformat()}",
        generated_at=moment,
        timezone="Asia/Taipei",
        window_start=moment - timedelta(days=1),
        window_end=moment,
        articles_count=per_day * 3,
        topics_count=per_day,
        sections=sections,
        insight=Insight(),
        reading=Reading(),
    )


def _fields(item: Item) -> dict:
    return {name: getattr(item, name) for name in Item.__slots__}


def _phrase(rng: random.Random, words: int) -> str:
    return "".join(rng.choice(ZH) for _ in range(words)) + " " + " ".join(rng.sample(EN, 2))


def _item(rng: random.Random, day: date, n: int) -> Item:
    company = rng.choice(COMPANIES)
    product = rng.choice(PRODUCTS).format(n=rng.randint(1, 9))
    title = f"{company} {product} {rng.choice(ZH)}{rng.choice(ZH)}"
    slug = f"{day.isoformat()}-{n}"
    return Item(
        section="top_headlines",
        title=title,
        summary="，".join(_phrase(rng, 4) for _ in range(4)) + "。",
        details=tuple(_phrase(rng, 5) for _ in range(3)),
        use_cases=tuple(_phrase(rng, 3) for _ in range(2)),
        entities=(company, product, rng.choice(COMPANIES), rng.choice(ZH)),
        importance=rng.choice(list(Importance)),
        sources=(
            SourceLink("TechCrunch", f"https://techcrunch.com/{slug}"),
            SourceLink(company, f"https://example.com/{company.lower()}/{slug}"),
        ),
    )


ARTICLE_WORDS = str.split(
    "announced released startup researchers benchmark customers pricing preview developers agents "
    "hexapod warehouse robot datacenter inference chips partnership lawsuit regulators open-source "
    "multimodal video speech translation coding assistant enterprise cloud funding round valuation"
)


def with_articles(report: Report, per_item: int, seed: int) -> tuple[Report, list[Article]]:
    """The report with ``per_item`` articles behind each item (their URLs on the item)."""
    rng = random.Random(seed)
    moment = report.generated_at
    articles, sections = [], []
    for section in report.sections:
        items = []
        for n, item in enumerate(section.items):
            urls = [f"https://news.example/{report.date}/{section.key}/{n}/{a}" for a in range(per_item)]
            articles += [_article(rng, url, item, moment) for url in urls]
            items.append(Item(**{**_fields(item), "article_urls": tuple(urls)}))
        sections.append(Section(section.key, section.heading, tuple(items)))
    return Report(
        **{**{f: getattr(report, f) for f in Report.__slots__}, "sections": tuple(sections)}
    ), articles


def _article(rng: random.Random, url: str, item: Item, moment: datetime) -> Article:
    words = " ".join(rng.sample(ARTICLE_WORDS, 12))
    return Article(
        source="TechCrunch",
        source_kind=SourceKind.NEWS,
        url=url,
        title=f"{item.entities[0]} {' '.join(rng.sample(ARTICLE_WORDS, 5))}",
        summary=f"{words}. {item.entities[1]} {' '.join(rng.sample(ARTICLE_WORDS, 20))}.",
        published=moment - timedelta(hours=2),
        fetched_at=moment - timedelta(hours=1),
    )


def fill(url: str, days: int, per_day: int, per_item: int) -> float:
    started = time.perf_counter()
    with Store.open(url) as store:
        for n, report in enumerate(synthetic_reports(days, per_day)):
            report, articles = with_articles(report, per_item, seed=n)
            store.add_articles(articles)
            store.save_report(report, "")
    return time.perf_counter() - started


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latencies(index: ItemIndex, rounds: int) -> tuple[list[float], list[float]]:
    """Milliseconds of ``search`` and of ``ask`` (extractive), every question ``rounds`` times."""
    answerer = ExtractiveAnswerer()
    search_ms, ask_ms = [], []
    for _ in range(rounds):
        for question in QUESTIONS:
            t0 = time.perf_counter()
            index.search(question)
            t1 = time.perf_counter()
            ask(index, answerer, question)
            t2 = time.perf_counter()
            search_ms.append((t1 - t0) * 1000)
            ask_ms.append((t2 - t1) * 1000)
    return search_ms, ask_ms


def measure(backend: str, url: str, rounds: int, cache_dir: str) -> dict:
    """Load, build and query in this (fresh) process; then build once more into the cache."""
    with Store.open(url) as store:
        started = time.perf_counter()
        items, articles = store.reported_items(), store.item_article_texts()
        loaded = time.perf_counter()
        index = ItemIndex(items, articles)
        built = time.perf_counter()
        # Once more under tracemalloc (which slows it down) for the peak heap of load and build.
        del items, articles, index
        tracemalloc.start()
        index = ItemIndex.from_store(store)
        heap = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        cold_start = time.perf_counter()
        IndexCache(store, Path(cache_dir)).current()
        cold = time.perf_counter() - cold_start
    search_ms, ask_ms = latencies(index, rounds)
    return {
        "backend": backend,
        "items": len(index),
        "load_s": loaded - started,
        "build_s": built - loaded,
        "cold_s": cold,
        "search": search_ms,
        "ask": ask_ms,
        "heap_mb": heap / 2**20,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_cached(backend: str, url: str, rounds: int, cache_dir: str) -> dict:
    """What the next ``aidaily ask`` costs: load the saved index, then answer."""
    with Store.open(url) as store:
        started = time.perf_counter()
        index = IndexCache(store, Path(cache_dir)).current()
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(100):
            store.items_fingerprint()
        fingerprint_ms = (time.perf_counter() - started) * 10
    search_ms, _ = latencies(index, rounds)
    return {
        "backend": backend,
        "cache_load_s": loaded,
        "fingerprint_ms": fingerprint_ms,
        "cached_search": search_ms,
        "file_mb": (Path(cache_dir) / FILE_NAME).stat().st_size / 2**20,
        "cached_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(task: Callable[..., dict], args: tuple, queue: multiprocessing.Queue) -> None:
    queue.put(task(*args))


def in_fresh_process(task: Callable[..., dict], *args: object) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(task, args, queue))
    process.start()
    row = queue.get()
    process.join()
    return row


def run_backend(backend: str, url: str, filled: float, rounds: int) -> dict:
    """Both fresh processes for one filled database: build and query, then load from the cache."""
    with tempfile.TemporaryDirectory() as cache_dir:
        row = in_fresh_process(measure, backend, url, rounds, cache_dir)
        return row | in_fresh_process(measure_cached, backend, url, rounds, cache_dir) | {"fill_s": filled}


def table(rows: list[dict]) -> str:
    lines = [
        "| backend | items | fill s | load s | build s | search p50 ms | search p95 ms | search max ms "
        "| ask p50 ms | ask p95 ms | index heap MB | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s, a = r["search"], r["ask"]
        lines.append(
            f"| {r['backend']} | {r['items']} | {r['fill_s']:.1f} | {r['load_s']:.2f} | {r['build_s']:.2f} "
            f"| {statistics.median(s):.2f} | {percentile(s, 0.95):.2f} | {max(s):.2f} "
            f"| {statistics.median(a):.2f} | {percentile(a, 0.95):.2f} "
            f"| {r['heap_mb']:.0f} | {r['rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def cache_table(rows: list[dict]) -> str:
    lines = [
        "| backend | cold current() s | cache file MB | load from cache s | fingerprint ms "
        "| search p50 ms after load | search p95 ms after load | peak RSS MB after load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        s = r["cached_search"]
        lines.append(
            f"| {r['backend']} | {r['cold_s']:.2f} | {r['file_mb']:.0f} | {r['cache_load_s']:.2f} "
            f"| {r['fingerprint_ms']:.2f} | {statistics.median(s):.2f} | {percentile(s, 0.95):.2f} "
            f"| {r['cached_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def postgres_schema(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with open_engine(base).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_schema(base: str, schema: str) -> None:
    engine = open_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=60)
    parser.add_argument("--articles", type=int, default=3, help="stored articles behind each item")
    parser.add_argument("--rounds", type=int, default=20, help="times each question is asked")
    parser.add_argument("--postgres", default=os.environ.get("AIDAILY_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        filled = fill(url, args.days, args.per_day, args.articles)
        rows.append(run_backend("SQLite", url, filled, args.rounds))
    if args.postgres:
        url, schema = postgres_schema(args.postgres)
        try:
            filled = fill(url, args.days, args.per_day, args.articles)
            rows.append(run_backend("PostgreSQL", url, filled, args.rounds))
        finally:
            drop_schema(args.postgres, schema)
    print(
        f"{args.days} reports x {args.per_day} items, {args.articles} articles each; "
        f"{len(QUESTIONS)} questions x {args.rounds} rounds\n"
    )
    print(table(rows))
    print()
    print(cache_table(rows))
    print()
    print(ask_quality.table(question_rows(args.postgres)))


def question_rows(postgres: str | None) -> list[dict]:
    """The question sets over the sample reports, on SQLite and (given a URL) PostgreSQL."""
    with tempfile.TemporaryDirectory() as tmp:
        rows = ask_quality.measure("SQLite", f"sqlite:///{Path(tmp) / 'samples.db'}")
    if postgres:
        url, schema = postgres_schema(postgres)
        try:
            rows += ask_quality.measure("PostgreSQL", url)
        finally:
            drop_schema(postgres, schema)
    return rows


if __name__ == "__main__":
    main()
