"""Benchmark the delivery queue: one report fanned out by 1, 2 and 4 worker processes.

    .venv/bin/python -m bench.serve                              # 10,000 email, 500 Telegram, 100 Slack
    .venv/bin/python -m bench.serve --workers 1 2 --email 1000 --scale 0.05
    .venv/bin/python -m bench.serve --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

For each worker count, in a fresh PostgreSQL schema: the synthetic report (``--items`` per
section, 2 by default: 12 items) and the subscriptions are stored, N worker processes are
started and left idle, then the fan-out is enqueued
(``app.service.queue.enqueue_fanout``) and the clock runs until the last message's
ledger entry is written. The workers are the real ``run_worker`` (procrastinate, the store ledger,
``deliver_all``, the real clients) against loopback fakes: aiosmtpd (a Sink, in a process of its
own), and the fake Slack and Telegram servers of ``tests/fakes`` in this process.

The fakes enforce Slack's one message per second per channel and Telegram's one per second per
chat and 20 per minute per group. At real time those limits alone make a Telegram chat take about
a minute, whatever the number of workers, so the limits are scaled: ``--scale 0.01`` makes a
platform second 10 ms, both in the fakes and in the workers' pacing. Email is not paced.

Prints a Markdown table: workers, messages by channel (from the ledger, checked against what the
fakes received), seconds, messages per second, speed-up over one worker, and each worker's peak
resident memory (VmHWM). Everything (workers, fakes, PostgreSQL, SMTP sink) shares this
machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakes.reports import DAY, DEFAULT_COUNTS, synthetic_report  # noqa: E402
from fakes.slack_server import SlackServer  # noqa: E402
from fakes.telegram_server import TelegramServer  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.channels import archive_url, open_email  # noqa: E402
from core.config import Settings, load_settings  # noqa: E402
from core.models import Channel, Report  # noqa: E402
from core.platforms.slack_api import slack_pacer  # noqa: E402
from core.platforms.telegram_api import Pacing  # noqa: E402
from core.report.rendering.markdown import render_markdown  # noqa: E402
from core.store import Store  # noqa: E402
from core.store.db import open_engine  # noqa: E402
from core.store.tables import SubscriptionRow  # noqa: E402
from delivery.base import Adapter  # noqa: E402
from delivery.dryrun import CallLog  # noqa: E402
from delivery.slack import SlackAdapter, WebApi, make_client  # noqa: E402
from delivery.telegram import TelegramAdapter  # noqa: E402

SLACK_TOKEN = "xoxb-bench"
TELEGRAM_TOKEN = "123456:bench-token"
CHANNELS = (Channel.EMAIL, Channel.TELEGRAM, Channel.SLACK)


@dataclass(frozen=True, slots=True)
class Run:
    workers: int
    sent: dict[Channel, int]
    received: int  # what the fake Slack and Telegram got (the SMTP sink keeps no count)
    seconds: float
    peak_mib: list[float]
    load: float  # the machine's 1-minute load average as the run ended: other work shares the cores


# --- a worker process: the real run_worker with pacing scaled like the fakes ------------------


def scaled_openers(scale: float) -> dict[Channel, object]:
    @asynccontextmanager
    async def slack(settings: Settings, calls: CallLog | None) -> AsyncIterator[Adapter]:
        pacer = slack_pacer(scale)
        client = make_client(SLACK_TOKEN, settings.slack_api_url, pacer)
        yield SlackAdapter(WebApi(client), pacer, archive_url=archive_url(settings))

    @asynccontextmanager
    async def telegram(settings: Settings, calls: CallLog | None) -> AsyncIterator[Adapter]:
        adapter = TelegramAdapter(TELEGRAM_TOKEN, base_url=settings.telegram_api_url, pacing=Pacing(scale))
        async with adapter:
            yield adapter

    return {Channel.EMAIL: open_email, Channel.TELEGRAM: telegram, Channel.SLACK: slack}


def _worker_main(scale: float, concurrency: int) -> None:
    from app.service.worker import configure_logging, run_worker

    if os.environ.get("BENCH_LOGS"):
        configure_logging()
    asyncio.run(run_worker(load_settings(), concurrency=concurrency, openers=scaled_openers(scale)))  # type: ignore[arg-type]


# --- the parent: fakes, stores, workers, the clock --------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_sink() -> Iterator[int]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "aiosmtpd",
        "-n",
        "-l",
        f"127.0.0.1:{port}",
        "-c",
        "aiosmtpd.handlers.Sink",
    ]
    server = subprocess.Popen(command)
    try:
        _wait_for_port(port)
        yield port
    finally:
        server.terminate()
        server.wait(10)


def _wait_for_port(port: int) -> None:
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def fresh_schema(base: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = open_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def bench_report(items_per_section: int) -> Report:
    """The synthetic report with this many items in each of its six item sections."""
    return synthetic_report(dict.fromkeys(DEFAULT_COUNTS, items_per_section))


def fill(
    url: str, report: Report, counts: dict[Channel, int], slack: SlackServer, telegram: TelegramServer
) -> None:
    now = datetime.now(UTC)
    rows = []
    for channel, count in counts.items():
        for n in range(count):
            rows.append(_row(channel, _address(channel, n), now))
    for n in range(counts[Channel.TELEGRAM]):
        telegram.add_chat(int(_address(Channel.TELEGRAM, n)))
    for n in range(counts[Channel.SLACK]):
        slack.add_channel(_address(Channel.SLACK, n))
    with Store.open(url) as store:
        store.save_report(report, render_markdown(report))
        with store.engine.begin() as conn:
            conn.execute(insert(SubscriptionRow), rows)


def _address(channel: Channel, n: int) -> str:
    return {
        Channel.EMAIL: f"reader{n}@example.org",
        Channel.TELEGRAM: str(-1002000000000 - n),
        Channel.SLACK: f"C{n:08d}",
    }[channel]


def _row(channel: Channel, address: str, now: datetime) -> dict[str, object]:
    return {
        "channel": channel.value,
        "address": address,
        "thread": "",
        "sections": [],
        "language": None,
        "status": "confirmed",
        "created_at": now,
        "updated_at": now,
    }


def worker_env(url: str, smtp_port: int, slack: SlackServer, telegram: TelegramServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDAILY_")}
    return env | {
        "PYTHONPATH": str(ROOT),
        "AIDAILY_DATABASE_URL": url,
        "AIDAILY_SLACK_BOT_TOKEN": SLACK_TOKEN,
        "AIDAILY_SLACK_API_URL": slack.api_url,
        "AIDAILY_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "AIDAILY_TELEGRAM_API_URL": telegram.base_url,
        "AIDAILY_SMTP_HOST": "127.0.0.1",
        "AIDAILY_SMTP_PORT": str(smtp_port),
        "AIDAILY_SMTP_TLS": "none",
        "AIDAILY_SECRET_KEY": "bench-secret",
        "AIDAILY_PUBLIC_URL": "https://daily.example.org",
    }


def measure(args: argparse.Namespace, workers: int, smtp_port: int) -> Run:
    counts = {Channel.EMAIL: args.email, Channel.TELEGRAM: args.telegram, Channel.SLACK: args.slack}
    tolerance = min(0.05, 0.25 * args.scale)
    with (
        SlackServer(SLACK_TOKEN, interval=args.scale, tolerance=tolerance) as slack,
        TelegramServer(token=TELEGRAM_TOKEN, time_scale=args.scale) as telegram,
        fresh_schema(args.postgres) as url,
    ):
        fill(url, bench_report(args.items), counts, slack, telegram)
        env = worker_env(url, smtp_port, slack, telegram)
        # As a module, like every benchmark: run by path, bench/email.py would shadow the stdlib.
        command = [sys.executable, "-m", "bench.serve", "--child-worker", "--scale", str(args.scale)]
        command += ["--concurrency", str(args.concurrency)]
        processes = [
            subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stderr=None if os.environ.get("BENCH_LOGS") else subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            _wait_idle(url, processes)
            started = datetime.now(UTC)
            asyncio.run(_enqueue(load_settings(**_settings_of(env))))
            _wait_done(url)
            sent, finished = _ledger(url)
            peaks = [_peak_mib(p.pid) for p in processes]
            load = os.getloadavg()[0]
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(60)
        received = len(slack.messages) + len(telegram.messages)
    return Run(workers, sent, received, (finished - started).total_seconds(), peaks, load)


def _settings_of(env: dict[str, str]) -> dict[str, str]:
    return {k.removeprefix("AIDAILY_").lower(): v for k, v in env.items() if k.startswith("AIDAILY_")}


async def _enqueue(settings: Settings) -> None:
    from app.service.queue import enqueue_fanout

    await enqueue_fanout(settings, DAY, list(CHANNELS))


def _scalar(url: str, query: str) -> object:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar()
    finally:
        engine.dispose()


def _wait_idle(url: str, processes: list[subprocess.Popen[bytes]]) -> None:
    """Until every worker has registered (its imports, store and pool are ready)."""
    while _scalar(url, "SELECT count(*) FROM procrastinate_workers") != len(processes):
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a worker process exited before it registered (BENCH_LOGS=1 shows why)")
        time.sleep(0.1)


def _wait_done(url: str) -> None:
    time.sleep(0.5)  # the fan-out jobs exist from the enqueue on
    while _scalar(url, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"):
        time.sleep(0.2)
    failed = _scalar(url, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")
    if failed:
        raise RuntimeError(f"{failed} delivery jobs failed")


def _ledger(url: str) -> tuple[dict[Channel, int], datetime]:
    engine = open_engine(url)
    query = text(
        "SELECT s.channel, count(*) FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id"
        " WHERE d.status = 'sent' GROUP BY s.channel"
    )
    try:
        with engine.connect() as conn:
            sent = {Channel(channel): n for channel, n in conn.execute(query)}
            finished = conn.execute(text("SELECT max(sent_at) FROM deliveries")).scalar()
    finally:
        engine.dispose()
    return {c: sent.get(c, 0) for c in CHANNELS}, finished


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def table(runs: list[Run], args: argparse.Namespace) -> str:
    lines = [
        f"One {6 * args.items}-item report to {args.email:,} email + {args.telegram:,} Telegram"
        f" + {args.slack:,} Slack subscriptions; platform limits scaled by {args.scale:g}"
        f" (1 = real time); {args.concurrency} jobs per worker; {os.cpu_count()} CPU cores shared by"
        " the workers, the fakes, PostgreSQL and the SMTP sink.",
        "",
        "| workers | email | Telegram msgs | Slack msgs | all msgs | seconds | msgs/s | speed-up "
        "| peak RSS MiB per worker | load average |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for run in runs:
        total = sum(run.sent.values())
        speed_up = runs[0].seconds / run.seconds
        peaks = ", ".join(f"{p:.0f}" for p in run.peak_mib)
        lines.append(
            f"| {run.workers} | {run.sent[Channel.EMAIL]:,} | {run.sent[Channel.TELEGRAM]:,} "
            f"| {run.sent[Channel.SLACK]:,} | {total:,} | {run.seconds:.1f} | {total / run.seconds:.0f} "
            f"| {speed_up:.2f}x | {peaks} | {run.load:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--email", type=int, default=10_000)
    parser.add_argument("--telegram", type=int, default=500)
    parser.add_argument("--slack", type=int, default=100)
    parser.add_argument("--items", type=int, default=2, help="items in each of the six sections")
    parser.add_argument("--scale", type=float, default=0.01, help="real seconds per platform second")
    parser.add_argument("--concurrency", type=int, default=4, help="jobs per worker at once")
    default_url = os.environ.get(
        "AIDAILY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--postgres", default=default_url)
    parser.add_argument("--child-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_worker:
        _worker_main(args.scale, args.concurrency)
        return
    runs = []
    with smtp_sink() as smtp_port:
        for workers in args.workers:
            runs.append(measure(args, workers, smtp_port))
            print(f"{workers} worker(s): {runs[-1].seconds:.1f} s", file=sys.stderr, flush=True)
    for run in runs:
        expected = run.sent[Channel.SLACK] + run.sent[Channel.TELEGRAM]
        if run.received != expected:
            print(f"warning: the fakes received {run.received} messages, the ledger says {expected}")
    print(table(runs, args))
    print(NOTE)


NOTE = """
Seconds run from the enqueue to the last ledger entry, with the workers started and idle before.
On this 2-core machine scaling beyond 2 workers is bounded by CPU: the workers, the fake Slack and
Telegram servers (Python, in the benchmark process), the aiosmtpd sink and PostgreSQL all compete
for the same two cores, so 4 workers can at best match 2. On separate machines, with the real
platforms doing their own work, throughput grows with workers until the platforms' limits or
the database bound it."""


if __name__ == "__main__":
    main()
