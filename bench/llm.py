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

Against a real server instead (``--base-url``), the demo's day (the bundled sample feeds, as
``aidaily demo`` builds it) is written once by that server, and the table says what it cost and
how well the model did: the structured-output mode found, calls, tokens, tokens/s (tokens out
over the write stage's seconds), answers accepted (and of those, how many were used without the
bullets that failed the checks), asked again and fallen back, then why each fell back.
``--per-section`` keeps a slow local model's day short::

    .venv/bin/python -m bench.llm --base-url http://127.0.0.1:8000/v1 --model SmolLM2-135M-Instruct \
        --concurrency 1 --per-section 1 --max-tokens 300
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.openai_server import FakeOpenAI  # noqa: E402

from app.demo.server import DemoFeedServer, ServedFeed, StaticServer  # noqa: E402
from bench.synthetic import feeds  # noqa: E402
from core.llm.client import ModeBook, server_of  # noqa: E402
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


async def run_real(
    base_url: str,
    model: str,
    *,
    api_key: str,
    concurrency: int,
    per_section: int,
    max_tokens: int | None,
    temperature: float | None,
) -> tuple[dict, Counter[str]]:
    """The demo's day written once by the server at ``base_url``: its row, and why items fell back."""
    now = datetime.now(UTC)
    with (
        DemoFeedServer(now=now) as feeds,
        tempfile.TemporaryDirectory() as tmp,
        Store.open(f"sqlite:///{tmp}/bench.db") as store,
    ):
        async with make_feed_client("AIDaily-bench/1", 60, allow_private=("127.0.0.1",)) as client:
            await ingest(store, feeds.sources(), client=client)
        window = report_window(None, now=now, zone=ZoneInfo("Asia/Taipei"), build_time=now.time())
        options = BuildOptions(
            language="en", write_concurrency=concurrency, max_items_per_section=per_section
        )
        modes = ModeBook()
        async with make_client(api_key=api_key, base_url=base_url, timeout=300, max_retries=1) as sdk:
            writer = LLMSummarizer(
                sdk,
                model=model,
                cache=store,
                concurrency=concurrency,
                modes=modes,
                max_tokens=max_tokens,
                temperature=temperature,
            )
            built = await build(store, window, summarizer=writer, now=now, options=options)
            mode = modes.mode(server_of(sdk, model)) or "none found"
    reasons = writer.fallback_reasons()
    return _real_row(base_url, model, mode, built, reasons), Counter(_short(r) for r in reasons.values())


def _real_row(base_url: str, model: str, mode: str, built: BuildResult, reasons: dict[str, str]) -> dict:
    stats, seconds = built.stats, built.seconds["write"]
    asked = len(built.report.items) + 1  # the items and the overview
    not_asked = sum(1 for r in reasons.values() if r.startswith("not asked"))
    return {
        "server": base_url,
        "model": model,
        "mode found": mode,
        "items": len(built.report.items),
        "calls": stats.calls,
        "tokens in": stats.tokens_in,
        "tokens out": stats.tokens_out,
        "write s": f"{seconds:.1f}",
        "tokens/s": f"{stats.tokens_out / seconds:.1f}" if seconds else "-",
        "accepted": asked - stats.fallbacks,
        "of them trimmed": stats.trimmed,
        "asked again": max(0, stats.calls - (asked - not_asked)),
        "fell back": stats.fallbacks,
    }


def _short(reason: str) -> str:
    """A reason grouped with its like: without the names and figures that differ per item."""
    return reason.split(" (", 1)[0][:120]


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
    parser.add_argument("--base-url", help="a real OpenAI-compatible server: write the demo's day with it")
    parser.add_argument("--model", default="gpt-4o-mini", help="the real server's model")
    parser.add_argument("--api-key", default="none", help="the real server's key")
    parser.add_argument("--per-section", type=int, default=12, help="items per section of the real run")
    parser.add_argument("--max-tokens", type=int, default=None, help="cap on each answer of the real run")
    parser.add_argument(
        "--temperature", type=float, default=0.0, help="sampling temperature of the real run (0: repeatable)"
    )
    args = parser.parse_args()
    if args.base_url:
        _main_real(args)
        return
    rows = asyncio.run(run(args.articles, args.concurrency, args.latency))
    setup = f"{args.articles} articles, {args.latency:g} s per call, {args.concurrency} calls at once"
    print(f"LLM writer: {setup}\n")
    print(table(rows))


def _main_real(args: argparse.Namespace) -> None:
    row, reasons = asyncio.run(
        run_real(
            args.base_url,
            args.model,
            api_key=args.api_key,
            concurrency=args.concurrency,
            per_section=args.per_section,
            max_tokens=args.max_tokens,
            temperature=args.temperature,
        )
    )
    print(f"LLM writer against {args.base_url}: the demo's day, {args.concurrency} calls at once\n")
    print(table([row]))
    if reasons:
        print("\nWhy answers fell back:\n")
        print(table([{"reason": reason, "answers": count} for reason, count in reasons.most_common()]))


if __name__ == "__main__":
    main()
