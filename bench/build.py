"""Benchmark the whole build: synthetic feeds served over loopback, fetched, parsed, stored, built.

    .venv/bin/python -m bench.build                  # 300, 3,000 and 30,000 articles
    .venv/bin/python -m bench.build --sizes 300      # one size
    .venv/bin/python -m bench.build --llm            # and the LLM writer's run (bench/llm.py)

Prints a Markdown table: seconds per stage, end-to-end seconds, peak memory (RSS of the build
process and of the parse workers), and beside it the time feedparser alone takes to parse the same
bytes on one core. Each size runs in a fresh process so peak memory is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402

from app.demo.server import ServedFeed, StaticServer  # noqa: E402
from bench.synthetic import feeds  # noqa: E402
from core.models import SourceConfig, SourceKind  # noqa: E402
from core.pipeline import BuildOptions, build, ingest  # noqa: E402
from core.report.window import report_window  # noqa: E402
from core.report.writing.summarize import ExtractiveSummarizer  # noqa: E402
from core.sources.fetch import make_client  # noqa: E402
from core.store.store import Store  # noqa: E402

STAGES = ("fetch", "parse", "dedupe", "store", "select", "cluster", "edit", "write", "render", "save")


def feedparser_seconds(bodies: list[bytes]) -> float:
    began = time.perf_counter()
    for body in bodies:
        feedparser.parse(body)
    return time.perf_counter() - began


async def pipeline(size: int, workers: int) -> dict:
    now = datetime.now(UTC)
    served = feeds(size, now)
    baseline = feedparser_seconds([body for _, body in served.values()])
    routes = {path: ServedFeed.of(body) for path, (_, body) in served.items()}
    with StaticServer(routes) as server, tempfile.TemporaryDirectory() as tmp:
        sources = [
            SourceConfig(path, server.url(path), "en", SourceKind(kind)) for path, (kind, _) in served.items()
        ]
        with Store.open(f"sqlite:///{tmp}/bench.db") as store:
            began = time.perf_counter()
            async with make_client("AIDaily-bench/1", 60, allow_private=("127.0.0.1",)) as client:
                ingested = await ingest(store, sources, client=client, concurrency=16, parse_workers=workers)
            window = report_window(None, now=now, zone=ZoneInfo("Asia/Taipei"), build_time=now.time())
            built = await build(
                store, window, summarizer=ExtractiveSummarizer(), now=now, options=BuildOptions()
            )
            total = time.perf_counter() - began
    return {
        "size": size,
        "stored": ingested.new_articles,
        "topics": built.report.topics_count,
        "items": len(built.report.items),
        "stages": {**ingested.seconds, **built.seconds},
        "total": total,
        "feedparser": baseline,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "workers_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def run_one(size: int, workers: int) -> dict:
    # As a module, like every benchmark: run by path, bench/email.py would shadow the stdlib.
    command = [sys.executable, "-m", "bench.build", "--one", str(size), "--workers", str(workers)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout)


def table(rows: list[dict]) -> str:
    head = [
        "articles",
        *STAGES,
        "total s",
        "feedparser s",
        "total / feedparser",
        "peak MB",
        "topics",
        "items",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in rows:
        stages = [f"{r['stages'].get(s, 0.0):.2f}" for s in STAGES]
        ratio = r["total"] / r["feedparser"] if r["feedparser"] else float("nan")
        peak = max(r["rss_mb"], r["workers_rss_mb"])
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{r['size']:,}",
                    *stages,
                    f"{r['total']:.2f}",
                    f"{r['feedparser']:.2f}",
                    f"{ratio:.2f}x",
                    f"{peak:.0f}",
                    str(r["topics"]),
                    str(r["items"]),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,3000,30000")
    parser.add_argument(
        "--workers", type=int, default=2, help="parse processes (the target machine has 2 cores)"
    )
    parser.add_argument("--llm", action="store_true", help="also the LLM run of bench/llm.py (300 articles)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(pipeline(args.one, args.workers))))
        return
    rows = [run_one(int(size), args.workers) for size in args.sizes.split(",")]
    print(table(rows))
    if args.llm:
        # The LLM writer against the fake OpenAI-compatible server, 1 s a call (see bench/llm.py).
        print()
        subprocess.run([sys.executable, str(ROOT / "bench" / "llm.py")], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
