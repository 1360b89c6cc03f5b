"""Stopping and starting ``aidaily serve``: nothing lost, nothing doubled.

SIGTERM in the middle of a delivery (a deliberately slow Slack): the message in flight is sent
and recorded, no new one is started, the run is recorded as interrupted and the process exits 0;
a restart resumes the day and sends only the rest. A day whose firing passed while the service
was down runs once when it comes back (misfire grace, coalescing, and the claim).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from serving import site
from test_serve_soak import assert_platforms_match_the_ledger

from core.models import DeliveryStatus, RunStatus
from core.store import Store


def ledger_of(serving, day):
    with Store.open(serving.database_url) as store:
        targets = {s.id: s.channel.value for s in store.subscriptions()}
        return [(targets[r.subscription_id], r) for r in store.delivery_records(day)]


def _recorded(serving, channel: str) -> int:
    runs = serving.runs()
    rows = ledger_of(serving, runs[0].day) if runs else []
    return sum(c == channel and r.status is DeliveryStatus.SENT for c, r in rows)


def wait_until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_sigterm_mid_delivery_finishes_what_it_began_and_a_restart_sends_the_rest(tmp_path):
    url = f"sqlite:///{tmp_path / 'aidaily.db'}"
    # One firing a minute: the whole test stays within the first simulated day.
    with site(tmp_path, url, period=60, days=1, lead_in=3) as serving:
        serving.slack.slow(2.0)
        first = serving.start()
        wait_until(lambda: serving.slack.arrivals >= 1, timeout=30)  # Slack's first message in flight
        assert serving.slack.messages == []
        assert first.terminate(timeout=30) == 0
        run = serving.runs()[0]
        assert run.status is RunStatus.FAILED and run.error.startswith("interrupted by shutdown")
        slack_rows = [r for channel, r in ledger_of(serving, run.day) if channel == "slack"]
        # Begun before SIGTERM: sent and recorded, once. Nothing begun after it.
        assert [(r.key, r.status, r.attempts) for r in slack_rows] == [("header", DeliveryStatus.SENT, 1)]
        assert len(serving.slack.messages) == 1
        events = [e["event"] for e in first.events()]
        assert events.index("service.signal") < events.index("run.finished") < events.index("service.stopped")

        serving.slack.slow(0)
        second = serving.start()
        resumed = serving.wait_for(lambda runs: runs[0].status is RunStatus.SUCCEEDED, timeout=30)[0]
        assert second.terminate() == 0
    assert resumed.attempts == 2 and resumed.summary.messages["slack"].skipped == 1
    assert "run.report_reused" in [e["event"] for e in second.events()]  # built once, delivered twice
    rows = ledger_of(serving, resumed.day)
    assert all(r.status is DeliveryStatus.SENT and r.attempts == 1 for _, r in rows)
    assert Counter(channel for channel, _ in rows) == {"slack": 3, "telegram": 3, "email": 1}
    with Store.open(url) as store:
        assert_platforms_match_the_ledger(serving, store)


def test_a_day_missed_while_stopped_runs_once_on_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'aidaily.db'}"
    # A day long enough for a restart on a busy machine (several seconds) to come before the next.
    with site(tmp_path, url, period=12, days=4, lead_in=5) as serving:
        first = serving.start()
        (ran,) = serving.wait_days(1, timeout=40)
        assert first.terminate() == 0
        missed = ran.day + timedelta(days=1)
        assert time.time() < serving.firing_of(missed).timestamp(), "stopped too late for this test"
        wait_until(lambda: time.time() > serving.firing_of(missed).timestamp() + 0.3, timeout=30)
        second = serving.start()  # before the next firing: the missed one is due at once
        runs = serving.wait_days(3, timeout=40)
        assert second.terminate() == 0
    assert [r.day for r in runs] == [ran.day, missed, missed + timedelta(days=1)]
    assert all(r.attempts == 1 for r in runs)
    late = runs[1]
    assert late.instance.endswith(f":{second.process.pid}")
    assert late.started_at.timestamp() > serving.firing_of(missed).timestamp() + 0.3  # late, once
    with Store.open(url) as store:
        assert_platforms_match_the_ledger(serving, store)


@pytest.mark.postgres
def test_a_killed_leader_is_replaced_and_its_day_finished_by_the_other_instance(tmp_path, postgres_url):
    """Two instances on PostgreSQL; the leader is SIGKILLed mid-delivery. The other takes the lock
    when the dead session drops, waits for the dead run's claim to go stale, and finishes the day
    from the stored report: the message that was in flight is sent again, nothing twice."""
    with site(tmp_path, postgres_url, period=60, days=1, lead_in=4) as serving:
        serving.slack.crash_after(1, "hang")  # Slack's second message is held, never served
        instances = [serving.start(AIDAILY_RUN_LEASE="3"), serving.start(AIDAILY_RUN_LEASE="3")]
        # Kill it once Telegram's delivery is recorded (not merely received: killed in between,
        # a message would be sent again, the one window the ledger documents) and Slack's is held.
        wait_until(lambda: serving.slack.arrivals >= 2 and _recorded(serving, "telegram") == 3, timeout=40)
        (leader,) = [i for i in instances if "leader.elected" in {e["event"] for e in i.events()}]
        (other,) = [i for i in instances if i is not leader]
        leader.kill()
        serving.slack.recover()  # the held request is dropped unanswered: it never arrived
        run = serving.wait_for(lambda runs: runs[0].status is RunStatus.SUCCEEDED, timeout=40)[0]
        assert other.terminate() == 0
    assert run.instance.endswith(f":{other.process.pid}") and run.attempts == 2
    events = [e["event"] for e in other.events()]
    assert events.index("leader.elected") < events.index("run.waiting") < events.index("run.started")
    assert "run.report_reused" in events
    rows = {(channel, r.key): r for channel, r in ledger_of(serving, run.day)}
    assert all(r.status is DeliveryStatus.SENT for r in rows.values())
    assert rows[("slack", "section:research")].attempts == 2  # in flight when the leader died
    with Store.open(postgres_url) as store:
        assert_platforms_match_the_ledger(serving, store)
