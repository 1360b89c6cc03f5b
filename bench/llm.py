"""Benchmark the LLM writer: calls, tokens and wall time of the write stage against a slow model.

    .venv/bin/python -m bench.llm                                   # 300 articles, 1 s a call, 8 at once
    .venv/bin/python -m bench.llm --articles 3000 --concurrency 16 --latency 0.5

Synthetic feeds (bench/synthetic.py) are served over loopback, ingested into a scratch SQLite
store and built with the LLM writer talking through the real ``openai`` client to the fake
OpenAI-compatible server of the tests (tests/fakes/openai_server.py), which waits ``--latency``
seconds before every answer, as a model would. The same day is then built again, which should
be answered from the cache. Prints a Markdown table; the goals are one call per item plus one
for the overview (at most topics + 2 calls: the editor keeps only some topics as items), and a
write stage within calls / concurrency + 3 seconds. "ideal s" is the model's latency alone:
rounds of ``concurrency`` item calls, then the overview call. "HTTP requests" counts what the
server saw, SDK retries included.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.openai_server import FakeOpenAI  # noqa: E402

from app.demo.server import ServedFeed, StaticServer  # noqa: E402
from bench.synthetic import feeds  # noqa: E402
from core.models import SourceConfig, SourceKind  # noqa: E402
from core.pipeline import BuildOptions, BuildResult, build, ingest  # noqa: E402
from core.report.window import report_window  # noqa: E402
from core.report.writing.llm_writer import LLMSummarizer, make_client  # noqa: E402
from core.sources.fetch import make_client as make_feed_client  # noqa: E402
from core.store.store import Store  # noqa: E402


async def run(articles: int, concurrency: int, latency: float) -> list[dict]:
    now = datetime.now(UTC)
    served = feeds(articles, now)
    routes = {path: ServedFeed.of(body) for path, (_, body) in served.items()}
    with (
        StaticServer(routes) as server,
        FakeOpenAI(latency=latency) as fake,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sources = [
            SourceConfig(path, server.url(path), "en", SourceKind(kind)) for path, (kind, _) in served.items()
        ]
        with Store.open(f"sqlite:///{tmp}/bench.db") as store:
            async with make_feed_client("AIDaily-bench/1", 60, allow_private=("127.0.0.1",)) as client:
                await ingest(store, sources, client=client, concurrency=16)
            window = report_window(None, now=now, zone=ZoneInfo("Asia/Taipei"), build_time=now.time())
            options = BuildOptions(write_concurrency=concurrency)
            rows = []
            for label in ("first build", "same day again"):
                before = fake.calls
                built = await _build(store, fake, window, now, options, concurrency)
                rows.append(_row(label, built, fake.calls - before, concurrency))
    return rows


async def _build(store, fake, window, now, options, concurrency) -> BuildResult:
    async with make_client(api_key="bench", base_url=fake.base_url, timeout=60, max_retries=2) as client:
        writer = LLMSummarizer(client, model="fake-model", cache=store, concurrency=concurrency)
        return await build(store, window, summarizer=writer, now=now, options=options)


def _row(label: str, built: BuildResult, requests: int, concurrency: int) -> dict:
    stats, items = built.stats, len(built.report.items)
    bound = stats.calls / concurrency + 3
    return {
        "run": label,
        "articles": built.report.articles_count,
        "topics": built.report.topics_count,
        "items": items,
        "calls": stats.calls,
        "goal calls": f"<= {items + 1}",
        "HTTP requests": requests,
        "tokens in": stats.tokens_in,
        "tokens out": stats.tokens_out,
        "cache hits": stats.cache_hits,
        "fallbacks": stats.fallbacks,
        "write s": f"{built.seconds['write']:.2f}",
        "goal s": f"<= {bound:.2f}",
        # Rounds of item calls, then the overview call: what the model's latency alone costs.
        "ideal s": f"{math.ceil((stats.calls - 1) / concurrency) + 1 if stats.calls else 0}",
        "met": "yes" if stats.calls <= items + 1 and built.seconds["write"] <= bound else "NO",
    }


def table(rows: list[dict]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    lines += [
        "| " + " | ".join(f"{r[h]:,}" if isinstance(r[h], int) else str(r[h]) for h in head) + " |"
        for r in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8, help="LLM calls at once")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds the fake model takes per call")
    args = parser.parse_args()
    rows = asyncio.run(run(args.articles, args.concurrency, args.latency))
    setup = f"{args.articles} articles, {args.latency:g} s per call, {args.concurrency} calls at once"
    print(f"LLM writer: {setup}\n")
    print(table(rows))


if __name__ == "__main__":
    main()
