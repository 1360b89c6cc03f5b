"""Benchmark the web archive, its search and JSON API, /healthz and /metrics over a year of reports.

    .venv/bin/python -m bench.archive                          # SQLite
    .venv/bin/python -m bench.archive --postgres postgresql+psycopg://postgres@127.0.0.1/test
    .venv/bin/python -m bench.archive --days 30 --requests 50  # quicker

A year of synthetic 60-item reports (``tests/fakes/reports.py``, rendered to Markdown by the real
renderer) is saved into a scratch store. Then:

1. **latency**: each route is asked ``--requests`` times in process, one request at a time,
   through httpx's ASGI transport (no sockets: the app, the thread pool and the database).
   "First view" asks for distinct dates, so every page is rendered; "rendering cached" asks for
   one date again and again (the renderer keeps the last 64 renderings). The search page and
   ``/api/search`` ask rotating questions of the bot's index (built by the first one, timed
   apart); ``/api/reports/D`` reads whole reports of distinct dates;
2. **throughput**: uvicorn serves the app in a process of its own and ``--clients`` concurrent
   httpx clients ask for report pages of random dates for ``--seconds``: first among the last
   7 days (what readers mostly open: rendered once, then cached), then among all ``--days``
   (mostly first renderings, the worst case).

Prints two Markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from fakes.reports import synthetic_report  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from bench.ask import drop_schema, postgres_schema  # noqa: E402
from bot.index_cache import IndexCache  # noqa: E402
from core.report.rendering.markdown import render_markdown  # noqa: E402
from core.store import Store  # noqa: E402
from web.api import api_routes  # noqa: E402
from web.archive import archive_routes  # noqa: E402
from web.health import health_routes  # noqa: E402
from web.metrics import instrument, metrics_registry  # noqa: E402
from web.ratelimit import SlidingWindowLimiter  # noqa: E402
from web.search_page import search_routes  # noqa: E402

LAST_DAY = date(2026, 11, 22)
URL_ENV = "AIDAILY_BENCH_ARCHIVE_URL"
PUBLIC = "https://daily.example.org"
# Names and words the synthetic reports use (tests/fakes/reports.py), alone and together.
QUESTIONS = [
    "OpenAI",
    "Nvidia latency",
    "Anthropic agent",
    "DeepSeek inference",
    "Mistral pricing",
    "開源 模型",
]


def app_from_env() -> Starlette:
    """The app uvicorn serves in the throughput run (``--factory``), on the store named in the env."""
    store = Store.open(os.environ[URL_ENV])
    registry = metrics_registry(store)
    searcher = IndexCache(store, None).current
    limiter = SlidingWindowLimiter(10**9, 60)  # the bench is one client asking fast
    routes = [
        *archive_routes(store, public_url=PUBLIC),
        *search_routes(searcher, limiter),
        *api_routes(store, searcher, limiter, public_url=PUBLIC),
        *health_routes(store, registry),
    ]
    app = Starlette(routes=routes)
    instrument(app, registry)
    return app


def fill(url: str, days: int) -> tuple[float, int]:
    """Save ``days`` reports ending on LAST_DAY; returns seconds and the Markdown size of one."""
    base = synthetic_report()
    started = time.perf_counter()
    with Store.open(url) as store:
        for n in range(days):
            day = LAST_DAY - timedelta(days=n)
            made = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=1, minutes=20)
            report = dataclasses.replace(base, date=day, generated_at=made, title=f"AI 日報 {day}")
            store.save_report(report, render_markdown(report))
    return time.perf_counter() - started, len(render_markdown(base).encode("utf-8"))


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _latencies(app: Starlette, paths: list[str], headers: dict[str, str]) -> list[float]:
    transport = httpx.ASGITransport(app=app)
    times = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for path in paths:
            started = time.perf_counter()
            response = await client.get(path, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code in (200, 304), (path, response.status_code)
    return times


def latency_rows(url: str, days: int, requests: int) -> list[dict]:
    os.environ[URL_ENV] = url
    app = app_from_env()
    rng = random.Random(5)
    # Distinct dates: each page is rendered for the first time (markdown_html caches renderings).
    dates = [(LAST_DAY - timedelta(days=n)).isoformat() for n in rng.sample(range(days), min(days, requests))]
    pages = max(1, (days + 29) // 30)
    etag = asyncio.run(_etag(app, f"/reports/{LAST_DAY}/"))
    api_etag = asyncio.run(_etag(app, f"/api/reports/{LAST_DAY}"))
    started = time.perf_counter()
    asyncio.run(_etag(app, "/api/search?q=OpenAI"))  # the first search builds the index
    built = (time.perf_counter() - started) * 1000
    asked = [QUESTIONS[n % len(QUESTIONS)] for n in range(requests)]
    cases = [
        ("report page, first view", [f"/reports/{d}/" for d in dates], {}),
        ("report page, rendering cached", [f"/reports/{LAST_DAY}/"] * requests, {}),
        ("report page, 304", [f"/reports/{LAST_DAY}/"] * requests, {"If-None-Match": etag}),
        ("raw Markdown", [f"/reports/{d}.md" for d in dates], {}),
        ("index, first page", ["/reports/"] * requests, {}),
        ("index, last page", [f"/reports/?page={pages}"] * requests, {}),
        ("RSS feed (30 reports)", ["/reports/feed.xml"] * requests, {}),
        ("/api/reports (first page of 20)", ["/api/reports"] * requests, {}),
        ("/api/reports/D, whole report", [f"/api/reports/{d}" for d in dates], {}),
        ("/api/reports/D, 304", [f"/api/reports/{LAST_DAY}"] * requests, {"If-None-Match": api_etag}),
        ("/api/search (10 results)", [f"/api/search?q={q}" for q in asked], {}),
        ("/search page (20 results)", [f"/search?q={q}" for q in asked], {}),
        ("/healthz", ["/healthz"] * requests, {}),
        ("/metrics", ["/metrics"] * requests, {}),
    ]
    rows = []
    for name, paths, headers in cases:
        times = asyncio.run(_latencies(app, paths, headers))
        rows.append({"route": name, "p50": statistics.median(times), "p95": percentile(times, 0.95)})
    rows.append({"route": "first search: the index built, then asked", "p50": built, "p95": built})
    return rows


async def _etag(app: Starlette, path: str) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        return (await client.get(path)).headers["etag"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _load(origin: str, span: int, clients: int, seconds: float) -> tuple[int, list[float]]:
    """Report pages of random dates among the last ``span`` days, from ``clients`` at once."""
    deadline = time.perf_counter() + seconds
    times: list[float] = []

    async def client_loop(seed: int) -> None:
        rng = random.Random(seed)
        async with httpx.AsyncClient(base_url=origin) as client:
            while time.perf_counter() < deadline:
                day = LAST_DAY - timedelta(days=rng.randrange(span))
                started = time.perf_counter()
                response = await client.get(f"/reports/{day.isoformat()}/")
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200

    await asyncio.gather(*(client_loop(n) for n in range(clients)))
    return len(times), times


def throughput_rows(url: str, spans: list[int], clients: int, seconds: float) -> list[dict]:
    """One uvicorn process; a load run per span of days (its renderings cache warms as it goes)."""
    port = _free_port()
    env = os.environ | {URL_ENV: url, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.archive:app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        origin = f"http://127.0.0.1:{port}"
        runs = [(span, asyncio.run(_load(origin, span, clients, seconds))) for span in spans]
    finally:
        server.terminate()
        server.wait(timeout=10)
    return [
        {
            "span": span,
            "clients": clients,
            "requests": count,
            "per_second": count / seconds,
            "p50": statistics.median(times),
            "p95": percentile(times, 0.95),
        }
        for span, (count, times) in runs
    ]


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("uvicorn did not start")


def run(backend: str, url: str, args: argparse.Namespace) -> None:
    filled, size = fill(url, args.days)
    print(
        f"\n{backend}: {args.days} reports of 60 items ({size / 1024:.0f} KiB of Markdown each), "
        f"saved in {filled:.1f} s\n"
    )
    print("| route | p50 ms | p95 ms |\n|---|---:|---:|")
    for row in latency_rows(url, args.days, args.requests):
        print(f"| {row['route']} | {row['p50']:.2f} | {row['p95']:.2f} |")
    rows = throughput_rows(url, [min(7, args.days), args.days], args.clients, args.seconds)
    print("\n| uvicorn, one worker: report pages of | clients | requests | requests/s | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| any of the last {row['span']} days | {row['clients']} | {row['requests']} "
            f"| {row['per_second']:.0f} | {row['p50']:.1f} | {row['p95']:.1f} |"
        )


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a scratch schema is made and dropped")
    args = parser.parse_args()
    if args.postgres:
        url, schema = postgres_schema(args.postgres)
        try:
            run("PostgreSQL", url, args)
        finally:
            drop_schema(args.postgres, schema)
        return
    with tempfile.TemporaryDirectory() as scratch:
        run("SQLite", f"sqlite:///{Path(scratch) / 'archive.db'}", args)


if __name__ == "__main__":
    main()
