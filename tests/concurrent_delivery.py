"""Two real ``aidaily deliver`` processes of one day at once, and what arrived at the fakes.

For ``tests/test_deliver_concurrent.py`` and ``bench/concurrent_deliver.py``::

    with DeliveryWorld() as world:
        subscriptions = prepare(database_url, world, report, email=200, chats=3)
        wanted = planned(report, subscriptions, settings)   # (target, message) -> plan key
        runs = deliver_at_once(database_url, world, cwd, processes=2)
        tally = count(world, wanted)                         # duplicates, missing, unplanned

A message is what the fake platform recorded: the text of a Slack message, the HTML of a
Telegram one, one newsletter per email recipient.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fakes.delivery_world import DeliveryWorld, arrived, subscribe

from app.channels import CHANNELS
from core.config import Settings, load_settings
from core.models import Channel, Report, Subscription
from core.report.rendering.markdown import render_markdown
from core.store import Store
from delivery.dryrun import CallLog

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True, slots=True)
class Tally:
    planned: int
    arrived: int  # every message the fakes received, repeats included
    duplicates: int  # arrivals beyond the first of a planned message
    missing: int  # planned messages that never arrived
    unplanned: int  # arrivals of messages nobody planned


def prepare(
    database_url: str, world: DeliveryWorld, report: Report, *, email: int, chats: int
) -> list[Subscription]:
    """The report stored and ``email`` email subscriptions, ``chats`` Slack and ``chats`` Telegram."""
    with Store.open(database_url) as store:
        store.save_report(report, render_markdown(report))
        return subscribe(store, world, email=email, telegram=chats, slack=chats)


def settings_for(database_url: str, world: DeliveryWorld, out_dir: Path) -> Settings:
    env = {k.removeprefix("AIDAILY_").lower(): v for k, v in world.env().items()}
    return load_settings(database_url=database_url, out_dir=out_dir, **env)


def planned(
    report: Report, subscriptions: list[Subscription], settings: Settings
) -> dict[tuple[str, str], str]:
    """(target, message as the fake records it) -> plan key, for every planned message."""

    async def plan() -> dict[tuple[str, str], str]:
        wanted: dict[tuple[str, str], str] = {}
        for channel in CHANNELS:
            with CallLog(settings.out_dir / f"plan.{channel.value}.jsonl") as calls:
                async with CHANNELS[channel].open(settings, calls) as adapter:
                    for sub in (s for s in subscriptions if s.channel == channel):
                        for m in adapter.plan(report, sub):
                            text = "email" if channel == Channel.EMAIL else m.payload["text"]
                            wanted[(sub.target, text)] = m.key
        return wanted

    return asyncio.run(plan())


def deliver_at_once(
    database_url: str, world: DeliveryWorld, cwd: Path, *, processes: int = 2, **extra_env: str
) -> list[Finished]:
    """Start ``processes`` ``aidaily deliver`` of the latest report together; wait for them all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDAILY_")}
    env |= world.env() | {"AIDAILY_DATABASE_URL": database_url, "COLUMNS": "200", **extra_env}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", "deliver"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    deadline = time.monotonic() + 300
    finished = []
    for process in started:
        stdout, stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        finished.append(Finished(process.returncode, stdout, stderr))
    return finished


def count(world: DeliveryWorld, wanted: dict[tuple[str, str], str]) -> Tally:
    got: Counter[tuple[str, str]] = arrived(world)
    return Tally(
        planned=len(wanted),
        arrived=sum(got.values()),
        duplicates=sum(n - 1 for m, n in got.items() if m in wanted),
        missing=sum(1 for m in wanted if m not in got),
        unplanned=sum(n for m, n in got.items() if m not in wanted),
    )
