"""``aidaily deliver`` and ``aidaily deliveries`` as a user runs them, against the fake Slack API."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fakes.reports import DAY, synthetic_report
from fakes.slack_server import SlackServer
from fakes.smtp_server import SmtpServer
from test_cli import aidaily, assert_one_line_error

from app.channels import CHANNELS, Wiring, deliver_channels
from core.config import load_settings
from core.models import Channel, Subscription
from core.report.rendering.markdown import render_markdown
from core.store import Store

TOKEN = "xoxb-cli-test"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A store holding a small report (three messages a subscription) and two Slack subscriptions."""
    report = synthetic_report({"research": 2}, extras=False)
    with Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        store.save_report(report, render_markdown(report))
        store.add_subscription(Subscription(Channel.SLACK, "C0AAAAAAA"))
        store.add_subscription(Subscription(Channel.SLACK, "C0BBBBBBB"))
        store.add_subscription(Subscription(Channel.EMAIL, "a@b.org"))
    return tmp_path


def env_for(workdir: Path, **extra: str) -> dict[str, str]:
    return {"AIDAILY_DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite'}", **extra}


def test_without_a_token_deliver_is_a_dry_run_into_out(workdir):
    done = aidaily("deliver", cwd=workdir, env=env_for(workdir))
    assert done.returncode == 0, done.stderr
    assert "dry run (AIDAILY_SLACK_BOT_TOKEN is not set)" in done.stdout
    lines = (workdir / "out" / f"{DAY}.slack.jsonl").read_text(encoding="utf-8").splitlines()
    calls = [json.loads(line) for line in lines]
    assert [c["params"]["channel"] for c in calls] == ["C0AAAAAAA"] * 3 + ["C0BBBBBBB"] * 3
    assert calls[2]["params"]["thread_ts"] == "<ts of section:research>"
    # A dry run records nothing: the real delivery still has everything to send.
    assert "nothing delivered yet" in aidaily("deliveries", cwd=workdir, env=env_for(workdir)).stderr


def test_deliver_sends_and_deliveries_shows_what_was_sent_and_what_failed(workdir):
    with SlackServer(TOKEN, interval=1.0) as slack:
        slack.add_channel("C0AAAAAAA")
        slack.remove_bot("C0BBBBBBB")
        env = env_for(workdir, AIDAILY_SLACK_BOT_TOKEN=TOKEN, AIDAILY_SLACK_API_URL=slack.api_url)
        done = aidaily("deliver", "--channel", "slack", cwd=workdir, env=env)
        assert done.returncode == 1  # one subscription failed
        assert "complete" in done.stdout and "not_in_channel" in done.stdout and "permanent" in done.stdout
        assert len(slack.messages) == 3 and slack.rate_limited == 0
        shown = aidaily("deliveries", "--date", DAY.isoformat(), cwd=workdir, env=env)
        assert "slack:C0AAAAAAA — 2026-11-22: 3 sent, 0 failed" in shown.stdout
        assert "slack:C0BBBBBBB — 2026-11-22: 0 sent, 1 failed" in shown.stdout
        assert "not_in_channel (permanent)" in shown.stdout
        assert slack.messages[0].ts in shown.stdout
        assert TOKEN not in done.stdout + done.stderr + shown.stdout + shown.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--channel", "pigeon"], "unknown channel 'pigeon'"),
        (["--date", "2026-01-01"], "no report for 2026-01-01"),
    ],
)
def test_deliver_mistakes_are_one_line(workdir, args, fragment):
    assert_one_line_error(aidaily("deliver", *args, cwd=workdir, env=env_for(workdir)), fragment)


def test_deliver_without_any_report_says_how_to_make_one(tmp_path):
    done = aidaily("deliver", cwd=tmp_path, env=env_for(tmp_path))
    assert_one_line_error(done, "no reports stored yet")


def test_a_channel_that_cannot_start_leaves_the_others_served(monkeypatch, tmp_path):
    @asynccontextmanager
    async def broken(settings, calls):
        raise RuntimeError("no client today")
        yield  # pragma: no cover

    monkeypatch.setitem(CHANNELS, Channel.TELEGRAM, Wiring(broken, token="telegram_bot_token"))
    report = synthetic_report({"research": 1}, extras=False)
    with Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        store.add_subscription(Subscription(Channel.SLACK, "C0AAAAAAA"))
        store.add_subscription(Subscription(Channel.TELEGRAM, "-100123"))
        settings = load_settings(out_dir=tmp_path / "out")
        channels = [Channel.SLACK, Channel.TELEGRAM]
        slack, telegram = asyncio.run(deliver_channels(store, report, settings, channels, dry_run=True))
    assert telegram.failed and telegram.error == "RuntimeError: no client today"
    assert not slack.failed and slack.results[0].sent == 3


def test_real_email_delivery_without_a_secret_key_refuses_to_start(workdir):
    with Store.open(env_for(workdir)["AIDAILY_DATABASE_URL"]) as store:
        store.add_subscription(Subscription(Channel.EMAIL, "reader@example.org"))
    with SmtpServer() as smtp:
        env = env_for(
            workdir,
            AIDAILY_SMTP_HOST="127.0.0.1",
            AIDAILY_SMTP_PORT=str(smtp.port),
            AIDAILY_SMTP_TLS="none",
            AIDAILY_PUBLIC_URL="https://daily.example.org",
        )
        done = aidaily("deliver", cwd=workdir, env=env)
        dry = aidaily("deliver", "--channel", "email", "--dry-run", cwd=workdir, env=env)
        sent = smtp.messages

    assert_one_line_error(done, "AIDAILY_SECRET_KEY is not set")
    assert sent == [] and "nothing delivered yet" in aidaily("deliveries", cwd=workdir, env=env).stderr
    assert dry.returncode == 0, dry.stderr  # a dry run signs with the labelled development key


def test_deliver_to_telegram_through_the_registry(workdir):
    from fakes.telegram_server import TelegramServer

    token = "123456:cli-test-token"
    with Store.open(f"sqlite:///{workdir / 'db.sqlite'}") as store:
        store.add_subscription(Subscription(Channel.TELEGRAM, "-1001234567890"))
        store.add_subscription(Subscription(Channel.TELEGRAM, "-1009999999999"))  # the bot was kicked
    with TelegramServer(token=token) as telegram:
        telegram.add_chat(-1001234567890)
        telegram.add_chat(-1009999999999)
        telegram.kick(-1009999999999)
        env = env_for(workdir, AIDAILY_TELEGRAM_BOT_TOKEN=token, AIDAILY_TELEGRAM_API_URL=telegram.base_url)
        done = aidaily("deliver", "--channel", "telegram", cwd=workdir, env=env)
        assert done.returncode == 1, done.stderr  # the kicked chat failed, the other was served
        sent = telegram.messages
        assert len(sent) == 3 and {m.chat_id for m in sent} == {-1001234567890}
        again = aidaily("deliver", "--channel", "telegram", cwd=workdir, env=env)
        assert len(telegram.messages) == 3  # a repeated delivery sends nothing twice
        assert token not in done.stdout + done.stderr + again.stdout + again.stderr
