"""Benchmark delivery: a 60-item report to fake Slack and Telegram servers that enforce the limits.

    .venv/bin/python -m bench.deliver               # real time: about a minute and a half
    .venv/bin/python -m bench.deliver --scale 0.1   # every limit ten times faster

The fakes (tests/fakes) enforce Slack's one message per second per channel and Telegram's one
message per second per chat and 20 per minute per group, answering 429 when a client goes
faster. Each channel's delivery runs through the real client (slack_sdk, python-telegram-bot)
with the production pacing. Prints a Markdown table per channel: messages sent beside the
one-message-per-item count, the wall time beside the least the limits allow for that many
messages, and how many 429s were answered. Goal: wall time within 10% of that minimum, no 429.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakes.reports import synthetic_report  # noqa: E402
from fakes.slack_server import SlackServer  # noqa: E402

from core.models import Channel, Report, Subscription  # noqa: E402
from core.platforms.slack_api import slack_pacer  # noqa: E402
from delivery.dispatch import MemoryLedger, deliver  # noqa: E402
from delivery.slack import SlackAdapter, WebApi, make_client  # noqa: E402

try:
    from fakes.telegram_server import TelegramServer

    from core.platforms.telegram_api import Pacing
    from delivery.telegram import TelegramAdapter
except ImportError:  # the Telegram adapter is not there (yet): Slack only
    TelegramAdapter = None  # type: ignore[assignment,misc]

SLACK_TOKEN = "xoxb-bench"
SLACK_CHANNEL = "C0BENCH01"
TELEGRAM_CHAT = -1001234567890


@dataclass(frozen=True, slots=True)
class Row:
    channel: str
    items: int
    naive_messages: int  # a header, one message per section, one per item
    messages: int
    minimum: float  # seconds the limits require for `messages`
    naive_minimum: float
    wall: float
    too_many: int
    complete: bool


def one_per_second(messages: int, scale: float) -> float:
    """Slack: messages spaced a second apart; the first goes at once."""
    return max(messages - 1, 0) * scale


def telegram_group(messages: int, scale: float) -> float:
    """Telegram group: a second apart, and never more than 20 in any 60 seconds."""
    times: list[float] = []
    for k in range(messages):
        earliest = times[-1] + 1 if times else 0.0
        if k >= 20:
            earliest = max(earliest, times[k - 20] + 60)
        times.append(earliest)
    return (times[-1] if times else 0.0) * scale


def naive_count(report: Report) -> int:
    sections = sum(1 for s in report.sections if s.items)
    return 1 + sections + len(report.items)


async def bench_slack(report: Report, scale: float) -> Row:
    # Network jitter does not scale with time: the fake forgives 50 ms at real time (5% of a
    # second) and at most a quarter of the interval when scaled down.
    with SlackServer(SLACK_TOKEN, interval=scale, tolerance=min(0.05, 0.25 * scale)) as server:
        server.add_channel(SLACK_CHANNEL)
        pacer = slack_pacer(scale)
        adapter = SlackAdapter(WebApi(make_client(SLACK_TOKEN, server.api_url, pacer)), pacer)
        subscription = Subscription(Channel.SLACK, SLACK_CHANNEL, sections=_item_sections(report))
        start = time.monotonic()
        result = await deliver(adapter, report, subscription, MemoryLedger())
        wall = time.monotonic() - start
        count = len(server.messages)
        return Row(
            "Slack (1 msg/s per channel)",
            len(report.items),
            naive_count(report),
            count,
            one_per_second(count, scale),
            one_per_second(naive_count(report), scale),
            wall,
            server.rate_limited,
            result.complete,
        )


async def bench_telegram(report: Report, scale: float) -> Row | None:
    if TelegramAdapter is None:
        return None
    with TelegramServer(time_scale=scale) as server:
        server.add_chat(TELEGRAM_CHAT)
        adapter = TelegramAdapter(server.token, base_url=server.base_url, pacing=Pacing(scale))
        async with adapter:
            await adapter.connect()
            subscription = Subscription(Channel.TELEGRAM, str(TELEGRAM_CHAT))
            start = time.monotonic()
            result = await deliver(adapter, report, subscription, MemoryLedger())
            wall = time.monotonic() - start
        count = len(server.messages)
        return Row(
            "Telegram (group: 1 msg/s, 20 msg/min)",
            len(report.items),
            naive_count(report),
            count,
            telegram_group(count, scale),
            telegram_group(naive_count(report), scale),
            wall,
            server.too_many_requests(),
            result.complete,
        )


def _item_sections(report: Report) -> tuple[str, ...]:
    # The item sections only, so both channels deliver the same content (Slack also threads
    # the editor's insight and the reading list; Telegram does not).
    return tuple(s.key for s in report.sections)


def table(rows: list[Row], scale: float) -> str:
    lines = [
        f"Delivery of a {rows[0].items}-item report (time scale {scale:g}: 1 = real time)",
        "",
        "| channel | messages, one per item | messages sent | least time for one per item (s) "
        "| least time for those sent (s) | wall (s) | wall / least | 429s | complete |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ratio = r.wall / r.minimum if r.minimum else float("nan")
        lines.append(
            f"| {r.channel} | {r.naive_messages} | {r.messages} | {r.naive_minimum:.1f} | {r.minimum:.1f} "
            f"| {r.wall:.1f} | {ratio:.3f} | {r.too_many} | {'yes' if r.complete else 'NO'} |"
        )
    return "\n".join(lines)


async def main(scale: float) -> list[Row]:
    report = synthetic_report()
    # One channel after the other: run side by side, one's start-up work in the shared event loop
    # delays the other's first requests, which then arrive bunched up.
    rows = [await bench_slack(report, scale), await bench_telegram(report, scale)]
    return [row for row in rows if row is not None]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="seconds per platform second (default 1)")
    args = parser.parse_args()
    print(table(asyncio.run(main(args.scale)), args.scale))
