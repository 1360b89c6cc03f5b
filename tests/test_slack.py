"""Slack delivery end to end: the real slack_sdk client against a fake Slack Web API on loopback.

Rates are scaled down (one message per 20 ms per channel instead of per second) so the suite
stays fast; the fake enforces them, and every other limit, as Slack does.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes.reports import DAY, NASTY, synthetic_report
from fakes.slack_server import SlackServer, links

from core.models import Channel, DeliveryStatus, Report, Subscription
from core.platforms.pacing import Pacer, Rate
from core.platforms.slack_api import slack_pacer
from core.platforms.slack_mrkdwn import DEFAULT_LIMITS
from delivery.dispatch import MemoryLedger, deliver, deliver_all
from delivery.dryrun import CallLog
from delivery.slack import DryRunApi, SlackAdapter, WebApi, make_client

TOKEN = "xoxb-test-token"
INTERVAL = 0.02
CHANNELS = ("C0AAAAAAA", "C0BBBBBBB", "C0CCCCCCC")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def slack():
    with SlackServer(TOKEN, interval=INTERVAL, tolerance=INTERVAL / 2) as server:
        for channel in CHANNELS:
            server.add_channel(channel)
        yield server


def make_adapter(server: SlackServer, *, retries: int = 5) -> SlackAdapter:
    pacer = slack_pacer(INTERVAL)
    client = make_client(TOKEN, server.api_url, pacer, timeout=5, rate_limit_retries=retries, backoff=0.01)
    return SlackAdapter(
        WebApi(client), pacer, archive_url=lambda day: f"https://daily.example.org/reports/{day}/"
    )


def subscribe(store, *targets: str, **options) -> list[Subscription]:
    return [store.add_subscription(Subscription(Channel.SLACK, t, **options))[0] for t in targets]


def run(server, report, subs, ledger):
    return asyncio.run(deliver_all(make_adapter(server), report, subs, ledger))


def item_numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^\*(\d+)\. ", text, re.MULTILINE)]


def assert_threads_hold_every_item(server: SlackServer, report: Report, channel: str) -> None:
    top = server.top_level(channel)
    sections = [s for s in report.sections if s.items]
    assert len(top) == 1 + len(sections) + 2  # header, item sections, insight, reading
    for parent, section in zip(top[1:], sections, strict=False):
        assert parent.blocks[0]["text"]["text"] == section.heading
        replies = server.replies(channel, parent.ts)
        text = "\n".join(m.mrkdwn() for m in replies)
        assert item_numbers(text) == list(range(1, len(section.items) + 1))
        urls = [url for url, _ in links(text)]
        assert urls == [s.url for item in section.items for s in item.sources]


def assert_within_limits(server: SlackServer) -> None:
    for message in server.messages:
        assert message.params["unfurl_links"] is False and message.params["unfurl_media"] is False
        assert message.text
        assert len(message.blocks) <= DEFAULT_LIMITS.max_blocks
        assert len(message.mrkdwn()) <= DEFAULT_LIMITS.max_chars + 100


def test_a_delivery_makes_one_thread_per_section_with_every_item_and_link(slack, store):
    report = synthetic_report()
    [sub] = subscribe(store, CHANNELS[0])
    [result] = run(slack, report, [sub], store.ledger)
    assert result.complete and result.sent == result.planned
    assert_threads_hold_every_item(slack, report, CHANNELS[0])
    assert_within_limits(slack)
    assert len(slack.messages) < len(report.items) / 2  # packed, not one message per item
    header = slack.top_level(CHANNELS[0])[0]
    assert ("https://daily.example.org/reports/2026-11-22/", "在網頁上閱讀完整報告") in links(header.mrkdwn())
    assert "60 則重點" in header.mrkdwn()
    assert slack.rate_limited == 0
    sent = store.ledger.entries(DAY, sub)
    assert {e.platform_id for e in sent.values()} == {m.ts for m in slack.messages}


def test_subscription_sections_and_language_are_respected(slack, store):
    [sub] = subscribe(store, CHANNELS[0], sections=("research", "market"), language="en")
    run(slack, synthetic_report(), [sub], store.ledger)
    headings = [m.blocks[0]["text"]["text"] for m in slack.top_level(CHANNELS[0])]
    assert headings[1:] == ["Model & Research Updates", "Key Market Updates"]
    assert "60 stories" in slack.top_level(CHANNELS[0])[0].mrkdwn()


def test_a_repeated_delivery_sends_nothing(slack, store):
    subs = subscribe(store, CHANNELS[0])
    run(slack, synthetic_report(), subs, store.ledger)
    count = len(slack.messages)
    [again] = run(slack, synthetic_report(), subs, store.ledger)
    assert (again.sent, again.already_sent, len(slack.messages)) == (0, count, count)


def uninterrupted_shape(report: Report) -> list:
    with SlackServer(TOKEN, interval=INTERVAL, tolerance=INTERVAL / 2) as server:
        server.add_channel(CHANNELS[0])
        asyncio.run(
            deliver(make_adapter(server), report, Subscription(Channel.SLACK, CHANNELS[0]), MemoryLedger())
        )
        return server.shape()


@pytest.mark.parametrize("mode", ["close", "500"])
def test_a_crash_half_way_then_a_resume_ends_with_exactly_an_uninterrupted_delivery(slack, store, mode):
    report = synthetic_report()
    expected = uninterrupted_shape(report)
    subs = subscribe(store, CHANNELS[0])
    slack.crash_after(len(expected) // 2, mode)
    [first] = run(slack, report, subs, store.ledger)
    assert not first.complete and first.sent == len(expected) // 2 and first.error
    slack.recover()
    [resumed] = run(slack, report, subs, store.ledger)
    assert resumed.complete and resumed.already_sent == len(expected) // 2
    assert slack.shape() == expected


def test_a_killed_process_resumes_to_exactly_an_uninterrupted_delivery(slack, store, db_url, tmp_path):
    report = synthetic_report()
    expected = uninterrupted_shape(report)
    [sub] = subscribe(store, CHANNELS[0])
    half = len(expected) // 2
    slack.crash_after(half, "hang")  # the next request is held, so the kill lands mid-send
    child = _delivery_process(slack, db_url, sub.id, tmp_path)
    try:
        _wait_for(lambda: slack.arrivals > half, child)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    entries = store.ledger.entries(DAY, sub)
    assert sum(e.status == DeliveryStatus.SENT for e in entries.values()) == half
    assert [e.status for e in entries.values()].count(DeliveryStatus.SENDING) == 1
    slack.recover()
    [resumed] = run(slack, report, [store.get_subscription(sub.id)], store.ledger)
    assert resumed.complete and slack.shape() == expected


_CHILD = """
import asyncio, sys
sys.path.insert(0, sys.argv[4])
from fakes.reports import synthetic_report
from test_slack import make_adapter
from fakes.slack_server import SlackServer
from core.store import Store
from delivery.dispatch import deliver

class Remote:  # the fake runs in the parent; the child only needs its URL
    def __init__(self, url): self.api_url = url

with Store.open(sys.argv[2]) as store:
    sub = store.get_subscription(int(sys.argv[3]))
    asyncio.run(deliver(make_adapter(Remote(sys.argv[1])), synthetic_report(), sub, store.ledger))
"""


def _delivery_process(server: SlackServer, db_url: str, sub_id: int, tmp_path: Path) -> subprocess.Popen:
    tests = str(ROOT / "tests")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), tests])}
    args = [sys.executable, "-c", _CHILD, server.api_url, db_url, str(sub_id), tests]
    return subprocess.Popen(args, env=env, cwd=tmp_path, stderr=subprocess.PIPE)


def _wait_for(condition, child: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if child.poll() is not None:
            raise AssertionError(f"the delivery process ended early: {child.stderr.read().decode()}")
        assert time.monotonic() < deadline, "the delivery process never reached the held request"
        time.sleep(0.01)


def test_a_429_storm_is_ridden_out_with_retry_after(slack, store):
    report = synthetic_report({"research": 3})
    expected = uninterrupted_shape(report)
    slack.storm(4, retry_after=0.03)
    subs = subscribe(store, CHANNELS[0])
    [result] = run(slack, report, subs, store.ledger)
    assert result.complete
    assert slack.rate_limited == 4
    assert slack.shape() == expected


def test_a_storm_longer_than_the_retries_fails_softly_and_resumes(slack, store):
    report = synthetic_report({"research": 3})
    slack.storm(30, retry_after=0.001)
    subs = subscribe(store, CHANNELS[0])
    [first] = asyncio.run(deliver_all(make_adapter(slack, retries=2), report, subs, store.ledger))
    assert first.error.startswith("ratelimited") and first.sent == 0
    assert store.ledger.entries(DAY, subs[0])["header"].permanent is False
    slack.storm(0)
    [resumed] = run(slack, report, subs, store.ledger)
    assert resumed.complete


def test_a_channel_without_the_bot_is_recorded_and_the_others_are_served(slack, store):
    slack.remove_bot(CHANNELS[1])
    subs = subscribe(store, *CHANNELS, "C0GONEGONE")
    report = synthetic_report({"tools": 4})
    results = run(slack, report, subs, store.ledger)
    assert [r.complete for r in results] == [True, False, True, False]
    assert (results[1].error, results[3].error) == ("not_in_channel", "channel_not_found")
    failed = store.ledger.entries(DAY, subs[1])["header"]
    assert (failed.status, failed.error, failed.permanent) == (DeliveryStatus.FAILED, "not_in_channel", True)
    for channel in (CHANNELS[0], CHANNELS[2]):
        assert_threads_hold_every_item(slack, report, channel)


def test_a_bad_token_is_a_permanent_failure(slack, store):
    pacer = Pacer(Rate(1, INTERVAL))
    adapter = SlackAdapter(WebApi(make_client("xoxb-wrong", slack.api_url, pacer)), pacer)
    [result] = asyncio.run(
        deliver_all(adapter, synthetic_report({}), subscribe(store, CHANNELS[0]), store.ledger)
    )
    assert result.error == "invalid_auth"
    assert slack.messages == []


def test_hostile_text_is_escaped_and_links_stay_links(slack, store):
    report = synthetic_report({"research": 5}, nasty=True)
    run(slack, report, subscribe(store, CHANNELS[0]), store.ledger)
    for message in slack.messages:
        for text in [message.text, message.mrkdwn()]:
            # Every < that Slack will parse opens one of our links; nothing pings or injects.
            assert re.findall(r"<[^>]*>", text) == re.findall(r"<https?://[^|>]+\|[^<>]*>", text)
            assert "<!channel>" not in text and "<script>" not in text and "<@U123>" not in text
    thread = "\n".join(m.mrkdwn() for m in slack.messages[2:])
    decoded = thread.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert decoded.count(NASTY) >= 5 * 4  # title, summary, reason, entity of each item at least
    assert all(label.endswith(NASTY.replace("|", "¦")) for _, label in links(thread))
    assert_threads_hold_every_item(slack, report, CHANNELS[0])


def test_a_section_larger_than_any_message_takes_several_replies_in_order(slack, store):
    report = synthetic_report({"research": 60})
    run(slack, report, subscribe(store, CHANNELS[0]), store.ledger)
    parent = slack.top_level(CHANNELS[0])[1]
    replies = slack.replies(CHANNELS[0], parent.ts)
    assert 5 <= len(replies) <= 12
    assert_threads_hold_every_item(slack, report, CHANNELS[0])
    assert_within_limits(slack)
    titles = parent.mrkdwn().splitlines()
    assert [line.split(". ")[0] for line in titles[:-1]] == [str(n) for n in range(1, 61)]


def test_an_item_larger_than_a_message_is_split_at_paragraphs_with_links_whole(slack, store):
    report = synthetic_report({"market": 2}, long_summary=60)
    run(slack, report, subscribe(store, CHANNELS[0]), store.ledger)
    assert_within_limits(slack)
    parent = slack.top_level(CHANNELS[0])[1]
    replies = slack.replies(CHANNELS[0], parent.ts)
    assert len(replies) >= 3
    text = "\n".join(m.mrkdwn() for m in replies)
    assert [u for u, _ in links(text)] == [s.url for i in report.section("market").items for s in i.sources]
    summary = report.section("market").items[0].summary
    assert summary.split() == text.split("*1. ")[1].split("\n", 1)[1].split("*", 1)[0].split()


def test_a_dry_run_writes_every_call_as_json_lines(tmp_path):
    report = synthetic_report({"research": 3, "tools": 2})
    path = tmp_path / f"{DAY}.slack.jsonl"
    with CallLog(path) as calls:
        adapter = SlackAdapter(DryRunApi(calls), Pacer(Rate(1, 1e-9)))
        result = asyncio.run(
            deliver(adapter, report, Subscription(Channel.SLACK, CHANNELS[0]), MemoryLedger())
        )
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == result.planned == result.sent
    assert {line["method"] for line in lines} == {"chat.postMessage"}
    params = [line["params"] for line in lines]
    assert all(p["channel"] == CHANNELS[0] and p["unfurl_links"] is False for p in params)
    threads = [p.get("thread_ts") for p in params]
    assert threads[:3] == [None, None, "<ts of section:research>"]
    assert "<ts of section:tools>" in threads
    assert params[0]["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": report.title, "emoji": True},
    }
