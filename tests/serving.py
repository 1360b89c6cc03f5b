"""Running the real ``aidaily serve`` in subprocesses against loopback fakes, on compressed days.

``Site`` is one deployment: a database with a Slack, a Telegram and an email subscription (with
``weekly=True`` one weekly subscription on each channel too, whose digest comes on the fourth
simulated day, ``Site.weekly_day``), feeds with news for ``days`` consecutive past days, the
fake Slack and Telegram APIs and an aiosmtpd server, and the environment that points
``aidaily serve`` at all of them with a schedule firing every ``period`` seconds, one simulated
day a firing. ``site.start()`` starts an instance (a
process with its own JSON log file); the helpers wait for runs and read what was delivered.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fakes.feed_server import LOOPBACK, FeedServer
from fakes.news_days import news_days, sources_toml
from fakes.slack_server import SlackServer
from fakes.smtp_server import SmtpServer
from fakes.telegram_server import TelegramServer

from app.weekly import WEEKDAYS
from core.models import Cadence, Channel, Run, RunStatus, Subscription
from core.store import Store

ROOT = Path(__file__).resolve().parent.parent
SLACK_TOKEN = "xoxb-serve-test-token"
TELEGRAM_TOKEN = "424242:serve-test-telegram-token"
SMTP_PASSWORD = "smtp-serve-test-password"
ZONE = ZoneInfo("Asia/Taipei")
BUILD_TIME = clock_time(6, 40)
CHANNEL, CHAT, EMAIL = "C0SERVETEST", 5550001, "reader@example.org"  # a private chat: no group limit
WEEKLY_CHANNEL, WEEKLY_CHAT, WEEKLY_EMAIL = "C0SERVEWEEK", 5550002, "weekly@example.org"


@dataclass
class Instance:
    process: subprocess.Popen[bytes]
    log_path: Path

    def events(self) -> list[dict[str, Any]]:
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    killed: bool = False

    def kill(self) -> None:
        """SIGKILL: the process dies at once, as on a crash or a lost machine."""
        self.killed = True
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


@dataclass
class Site:
    workdir: Path
    database_url: str
    period: int  # seconds between firings, one simulated day: a divisor of 60
    slack: SlackServer
    telegram: TelegramServer
    smtp: SmtpServer
    first_day: date
    start_at: datetime
    env: dict[str, str] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)
    weekly_day: date | None = None  # the day whose run delivers the weekly digest (weekly=True)

    def start(self, **extra_env: str) -> Instance:
        log_path = self.workdir / f"serve-{len(self.instances)}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIDAILY_")}
        env |= self.env | {"AIDAILY_WEB_PORT": str(free_port())} | extra_env
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve"], cwd=self.workdir, env=env, stderr=log
            )
        instance = Instance(process, log_path)
        self.instances.append(instance)
        return instance

    def firing_of(self, day: date) -> datetime:
        """When the firing that builds ``day`` happens."""
        return self.start_at + timedelta(seconds=(day - self.first_day).days * self.period)

    def runs(self) -> list[Run]:
        with Store.open(self.database_url) as store:
            return sorted(store.recent_runs(100), key=lambda r: r.day)

    def wait_for(self, done: Callable[[list[Run]], bool], timeout: float) -> list[Run]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            runs = self.runs()
            if done(runs):
                return runs
            time.sleep(0.2)
        raise AssertionError(f"timed out; runs: {[(r.day, r.status, r.error) for r in self.runs()]}")

    def _check_alive(self) -> None:
        for instance in self.instances:
            if instance.process.poll() not in (None, 0) and not instance.killed:
                tail = instance.log_path.read_text(encoding="utf-8")[-2000:]
                raise AssertionError(f"aidaily serve exited {instance.process.returncode}:\n{tail}")

    def wait_days(self, count: int, timeout: float) -> list[Run]:
        """The first ``count`` days to succeed, which must be consecutive.

        The first simulated day is the first firing after the instance started: on a busy machine
        starting takes seconds, and a firing that passes before the scheduler is up is coalesced
        into the next one, as designed; so tests count days from the first that ran."""

        def done(runs: list[Run]) -> bool:
            return sum(r.status is RunStatus.SUCCEEDED for r in runs) >= count

        runs = [r for r in self.wait_for(done, timeout) if r.status is RunStatus.SUCCEEDED][:count]
        first = runs[0].day
        assert [r.day for r in runs] == [first + timedelta(days=n) for n in range(count)], runs
        return runs

    def stop_all(self) -> None:
        for instance in self.instances:
            if instance.process.poll() is None:
                instance.terminate()

    def delivered(self) -> dict[str, list[str]]:
        """What each subscription received, as message fingerprints (duplicates stay visible)."""
        return {
            "slack": [f"{m.channel}|{m.thread_ts is not None}|{m.text}" for m in self.slack.messages],
            "telegram": [f"{m.chat_id}|{m.reply_to}|{m.text}" for m in self.telegram.messages],
            "email": [str(m.message["Subject"]) for m in self.smtp.messages],
        }


@contextmanager
def site(
    tmp_path: Path, database_url: str, *, period: int, days: int, lead_in: float, weekly: bool = False
) -> Iterator[Site]:
    """A deployment whose first simulated day fires ``lead_in`` seconds from now (see ``Site``)."""
    first_day = datetime.now(ZONE).date() - timedelta(days=days + 5)  # all in the past: real dates
    with ExitStack() as stack:
        feeds = stack.enter_context(FeedServer())
        # News for a few days more than wanted: the first firing or two may pass during startup.
        for path, body in news_days(first_day, days=days + 3, zone=ZONE, build_time=BUILD_TIME).items():
            feeds.route(path, body, headers={"Content-Type": "application/rss+xml"})
        slack = stack.enter_context(SlackServer(SLACK_TOKEN, interval=1.0))
        slack.add_channel(CHANNEL)
        telegram = stack.enter_context(TelegramServer(token=TELEGRAM_TOKEN))
        telegram.add_chat(CHAT, kind="private")
        smtp = stack.enter_context(SmtpServer(login=None))
        _subscribe(database_url)
        (tmp_path / "sources.toml").write_text(sources_toml(feeds.base_url), encoding="utf-8")
        start_at = (datetime.now(UTC) + timedelta(seconds=lead_in + 1)).replace(microsecond=0)
        serving = Site(tmp_path, database_url, period, slack, telegram, smtp, first_day, start_at)
        serving.env = _environment(serving, feeds)
        if weekly:
            # The fourth day: within the first five that run, even when one or two firings
            # pass while the service starts (wait_days counts from the first that ran).
            serving.weekly_day = first_day + timedelta(days=3)
            serving.env["AIDAILY_WEEKLY_DAY"] = WEEKDAYS[serving.weekly_day.weekday()]
            _subscribe_weekly(database_url, slack, telegram)
        try:
            yield serving
        finally:
            serving.stop_all()


def _subscribe(database_url: str) -> None:
    with Store.open(database_url) as store:
        # One section (where the feeds' model news lands): three paced messages a day, not seven.
        store.add_subscription(Subscription(Channel.SLACK, CHANNEL, sections=("research",)))
        store.add_subscription(Subscription(Channel.TELEGRAM, str(CHAT), sections=("research",)))
        store.add_subscription(Subscription(Channel.EMAIL, EMAIL))


def _subscribe_weekly(database_url: str, slack: SlackServer, telegram: TelegramServer) -> None:
    slack.add_channel(WEEKLY_CHANNEL)
    telegram.add_chat(WEEKLY_CHAT, kind="private")
    weekly = {"cadence": Cadence.WEEKLY, "sections": ("research",)}
    with Store.open(database_url) as store:
        store.add_subscription(Subscription(Channel.SLACK, WEEKLY_CHANNEL, **weekly))
        store.add_subscription(Subscription(Channel.TELEGRAM, str(WEEKLY_CHAT), **weekly))
        store.add_subscription(Subscription(Channel.EMAIL, WEEKLY_EMAIL, cadence=Cadence.WEEKLY))


def _environment(serving: Site, feeds: FeedServer) -> dict[str, str]:
    return {
        "AIDAILY_DATABASE_URL": serving.database_url,
        "AIDAILY_SOURCES_FILE": str(serving.workdir / "sources.toml"),
        "AIDAILY_FETCH_ALLOW_PRIVATE": ",".join(LOOPBACK),  # the fake feeds are on loopback
        # From the start's second, every ``period`` seconds (a divisor of 60) of every minute.
        "AIDAILY_SCHEDULE": f"{serving.start_at.second % serving.period}/{serving.period} * * * * *"
        if serving.period < 60
        else f"{serving.start_at.second} * * * * *",
        "AIDAILY_SIMULATE_FROM": serving.first_day.isoformat(),
        "AIDAILY_SIMULATE_START": serving.start_at.isoformat(),
        "AIDAILY_LEADER_RETRY": "0.5",
        "AIDAILY_RUN_LEASE": "20",
        "AIDAILY_SHUTDOWN_GRACE": "10",
        "AIDAILY_PUBLIC_URL": "https://daily.example.org",
        "AIDAILY_SLACK_BOT_TOKEN": SLACK_TOKEN,
        "AIDAILY_SLACK_API_URL": serving.slack.api_url,
        "AIDAILY_TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "AIDAILY_TELEGRAM_API_URL": serving.telegram.base_url,
        "AIDAILY_SMTP_HOST": "127.0.0.1",
        "AIDAILY_SMTP_PORT": str(serving.smtp.port),
        "AIDAILY_SMTP_TLS": "none",
        "AIDAILY_SMTP_PASSWORD": SMTP_PASSWORD,
        "AIDAILY_SECRET_KEY": "serve-test-secret-key",
        "AIDAILY_OUT_DIR": str(serving.workdir / "out"),
    }


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (each instance serves its own web app on one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
