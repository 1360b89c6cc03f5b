"""Benchmark readers' votes: recording presses, reading them for the editor, and what the buttons cost.

    .venv/bin/python -m bench.feedback                          # SQLite
    .venv/bin/python -m bench.feedback --postgres postgresql+psycopg://postgres@127.0.0.1/test

``--days`` synthetic 60-item reports are saved into a scratch store. Then, per backend:

1. **presses**: ``--presses`` votes through ``Store.record_vote``, each with its own event id, by
   readers of every channel on random items (first votes, changes and withdrawals mixed), one at
   a time, then from 8 threads at once;
2. **the editor's read**: ``Store.voted_items`` over the last 30 days with every item voted on,
   and ``edit_day`` of a 60-topic day with and without those votes.

A last table: the 60-item report's newsletter HTML (what Gmail clips past ~102 KB), Slack reply
blocks and Telegram messages with and without the buttons. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakes.reports import DAY, synthetic_report  # noqa: E402
from test_feedback_taste import random_day  # noqa: E402

from bench.ask import drop_schema, postgres_schema  # noqa: E402
from core.links import Links  # noqa: E402
from core.models import Channel, ItemRef, Subscription, Vote, VoteValue  # noqa: E402
from core.report.editing.editor import edit_day  # noqa: E402
from core.report.rendering.markdown import render_markdown  # noqa: E402
from core.store import Store  # noqa: E402
from delivery.email import EmailAdapter  # noqa: E402
from delivery.email_render import EmailRenderer  # noqa: E402
from delivery.slack_format import plan as slack_plan  # noqa: E402
from delivery.telegram import TelegramAdapter  # noqa: E402

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)
CHANNELS = list(Channel)


def fill(store: Store, days: int) -> list[ItemRef]:
    refs = []
    for offset in range(days):
        report = dataclasses.replace(synthetic_report(seed=offset), date=DAY - timedelta(days=offset))
        store.save_report(report, render_markdown(report))
        refs += [ItemRef(report.date, item.topic_key) for item in report.items]
    return refs


def presses(
    store: Store, refs: list[ItemRef], count: int, threads: int, seed: int
) -> tuple[float, list[float]]:
    """(presses per second, milliseconds of each press) of ``count`` presses from ``threads`` threads."""
    rng = random.Random(seed)
    values = list(VoteValue)
    votes = [
        Vote(
            rng.choice(refs),
            rng.choice(CHANNELS),
            f"r{rng.randrange(200)}",
            rng.choice(values),
            event=f"{seed}-{n}",
        )
        for n in range(count)
    ]
    latencies: list[float] = []
    chunks = [votes[n::threads] for n in range(threads)]

    def run(chunk: list[Vote]) -> None:
        for vote in chunk:
            start = time.perf_counter()
            store.record_vote(vote, NOW)
            latencies.append((time.perf_counter() - start) * 1000)

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return count / (time.perf_counter() - started), latencies


def editor_read(store: Store, refs: list[ItemRef]) -> dict[str, float]:
    for n, ref in enumerate(refs):
        store.record_vote(Vote(ref, Channel.SLACK, f"all-{n % 7}", VoteValue.UP, toggle=False), NOW)
    start = time.perf_counter()
    voted = store.voted_items(before=DAY + timedelta(days=1), days=30)
    read = time.perf_counter() - start
    day = random_day(random.Random(1), 60)
    timings = {}
    for name, votes in (("without", ()), ("with", voted)):
        start = time.perf_counter()
        for _ in range(5):
            edit_day(day, votes=votes)
        timings[name] = (time.perf_counter() - start) / 5 * 1000
    return {"voted items": len(voted), "read ms": read * 1000, **timings}


def sizes() -> list[tuple[str, int, int]]:
    report = synthetic_report()
    reader = Subscription(Channel.EMAIL, "someone.with.a.long.name@example.org", id=12345)
    rows = []
    html = []
    for votes in (False, True):
        renderer = EmailRenderer(votes=votes)
        links = Links("https://newsletter.ai-daily.example.org", "bench-secret")
        adapter = EmailAdapter(None, renderer, links, from_address="AI Daily <daily@example.org>")  # type: ignore[arg-type]
        html.append(
            len(adapter.envelope(renderer.for_subscription(report, (), None), reader).parts()[0].encode())
        )
    rows.append(("newsletter HTML bytes", *html))
    slack = [slack_plan(report, Subscription(Channel.SLACK, "C1"), votes=v) for v in (False, True)]
    rows.append(("Slack messages", *(len(p) for p in slack)))
    rows.append(("Slack blocks", *(sum(len(m.payload["blocks"]) for m in p) for p in slack)))
    telegram = [
        TelegramAdapter("", votes=v).plan(report, Subscription(Channel.TELEGRAM, "-1")) for v in (False, True)
    ]
    rows.append(("Telegram messages", *(len(p) for p in telegram)))
    return rows


def bench(url: str, name: str, days: int, count: int) -> tuple[list[str], str]:
    """The presses rows and the editor row of one backend."""
    with Store.open(url) as store:
        refs = fill(store, days)
        lines = []
        for threads in (1, 8):
            rate, ms = presses(store, refs, count, threads, seed=threads)
            p50, p95 = statistics.median(ms), statistics.quantiles(ms, n=20)[-1]
            lines.append(f"| {name} | {threads} | {count} | {rate:.0f} | {p50:.2f} | {p95:.2f} |")
        read = editor_read(store, refs[: 30 * 60])
    cells = [f"{read[k]:.0f}" for k in ("voted items", "read ms", "without", "with")]
    editor = f"| {name} | {' | '.join(cells)} |"
    return lines, editor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--presses", type=int, default=2000)
    parser.add_argument("--postgres", default=os.environ.get("AIDAILY_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        results.append(bench(f"sqlite:///{scratch}/bench.db", "SQLite", args.days, args.presses))
    if args.postgres:
        url, schema = postgres_schema(args.postgres)
        try:
            results.append(bench(url, "PostgreSQL", args.days, args.presses))
        finally:
            drop_schema(args.postgres, schema)
    print("| backend | threads | presses | presses/s | p50 ms | p95 ms |\n|---|---:|---:|---:|---:|---:|")
    print("\n".join(line for lines, _ in results for line in lines))
    print("\n| backend | voted items (30 days) | voted_items ms | edit_day ms (60 topics) | with votes ms |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(editor for _, editor in results))
    print("\n| 60-item report | without buttons | with buttons |\n|---|---:|---:|")
    for what, without, with_ in sizes():
        print(f"| {what} | {without:,} | {with_:,} |")


if __name__ == "__main__":
    main()
