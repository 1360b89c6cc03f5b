"""The delivery ledger on both databases, and ``delivery.dispatch`` walking a plan against it.

The adapter here is a fake at our own seam (the ``Adapter`` protocol): it plans a header, two
section parents and their parts, and "sends" by appending to a list, failing on demand.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from core.models import Channel, DeliveryStatus, Insight, Reading, Report, Subscription
from core.store import claims
from core.store.claims import ClaimLost
from delivery.base import DeliveryError, OutgoingMessage
from delivery.dispatch import MemoryLedger, OverlayLedger, ThreadedLedger, deliver, deliver_all
from delivery.holding import LedgerPolicy

DAY = date(2026, 11, 22)


def _report() -> Report:
    noon = datetime(2026, 11, 22, 4, tzinfo=UTC)
    return Report(DAY, "AI Daily", noon, "UTC", noon, noon, 10, 5, (), Insight(), Reading())


class FakeAdapter:
    """Plans header, section:a (+2 parts), section:b (+1 part); ids are "id-<n>" in send order."""

    channel = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str | None]] = []  # (target, key, parent id)
        self.fail: dict[str, BaseException] = {}  # key -> what its send raises

    def plan(self, report: Report, subscription: Subscription) -> list[OutgoingMessage]:
        keys = [("header", None), ("section:a", None), ("section:a/part:1", "section:a")]
        keys += [("section:a/part:2", "section:a"), ("section:b", None), ("section:b/part:1", "section:b")]
        return [OutgoingMessage(k, k.split("/")[0][8:] or None, {"text": k}, p) for k, p in keys]

    async def send(self, message: OutgoingMessage, subscription: Subscription, parent_id: str | None) -> str:
        await asyncio.sleep(0)
        if error := self.fail.pop(f"{subscription.target} {message.key}", None):
            raise error
        self.sent.append((subscription.target, message.key, parent_id))
        return f"id-{len(self.sent)}"


def _run(coro):
    return asyncio.run(coro)


@pytest.fixture
def subs(store) -> list[Subscription]:
    return [store.add_subscription(Subscription(Channel.SLACK, f"C000000{n}"))[0] for n in range(3)]


def test_ledger_round_trip(store, subs):
    ledger, sub = store.ledger, subs[0]
    ledger.begin(DAY, sub, "header", section=None, parent=None)
    ledger.sent(DAY, sub, "header", "1700000000.000100")
    ledger.begin(DAY, sub, "section:research", section="research", parent=None)
    ledger.failed(DAY, sub, "section:research", "channel_not_found", permanent=True)
    entries = ledger.entries(DAY, sub)
    assert entries["header"].status == DeliveryStatus.SENT
    assert entries["header"].platform_id == "1700000000.000100" and entries["header"].sent_at is not None
    failed = entries["section:research"]
    assert (failed.status, failed.error, failed.permanent, failed.section) == (
        DeliveryStatus.FAILED,
        "channel_not_found",
        True,
        "research",
    )
    ledger.begin(DAY, sub, "section:research", section="research", parent=None)
    again = ledger.entries(DAY, sub)["section:research"]
    assert (again.status, again.attempts, again.error) == (DeliveryStatus.SENDING, 2, None)
    assert ledger.entries(DAY, subs[1]) == {} and ledger.entries(date(2026, 11, 23), sub) == {}
    assert [r.key for r in store.delivery_records(DAY)] == ["header", "section:research"]
    assert store.latest_delivery_day() == DAY


def test_a_sent_message_cannot_be_begun_again(store, subs):
    store.ledger.begin(DAY, subs[0], "header", section=None, parent=None)
    store.ledger.sent(DAY, subs[0], "header", "1.1")
    with pytest.raises(ValueError, match="already sent"):
        store.ledger.begin(DAY, subs[0], "header", section=None, parent=None)


def test_removing_a_subscription_removes_its_ledger(store, subs):
    store.ledger.begin(DAY, subs[0], "header", section=None, parent=None)
    store.remove_subscription(subs[0].id)
    assert store.delivery_records(DAY) == []


def test_a_delivery_sends_every_message_in_order_with_parent_ids(store, subs):
    adapter = FakeAdapter()
    result = _run(deliver(adapter, _report(), subs[0], store.ledger))
    assert (result.planned, result.sent, result.already_sent, result.complete) == (6, 6, 0, True)
    assert [(key, parent) for _, key, parent in adapter.sent] == [
        ("header", None),
        ("section:a", None),
        ("section:a/part:1", "id-2"),
        ("section:a/part:2", "id-2"),
        ("section:b", None),
        ("section:b/part:1", "id-5"),
    ]
    assert {r.platform_id for r in store.delivery_records(DAY)} == {f"id-{n}" for n in range(1, 7)}


def test_a_repeated_delivery_sends_nothing(store, subs):
    adapter = FakeAdapter()
    _run(deliver(adapter, _report(), subs[0], store.ledger))
    again = _run(deliver(adapter, _report(), subs[0], store.ledger))
    assert (again.sent, again.already_sent, again.complete) == (0, 6, True)
    assert len(adapter.sent) == 6


def test_a_failure_stops_the_subscription_and_a_resume_sends_only_the_rest(store, subs):
    adapter = FakeAdapter()
    adapter.fail["slack:C0000000 section:a/part:2"] = DeliveryError("internal_error")
    first = _run(deliver(adapter, _report(), subs[0], store.ledger))
    assert (first.sent, first.failed, first.error, first.complete) == (3, 1, "internal_error", False)
    entry = store.ledger.entries(DAY, subs[0])["section:a/part:2"]
    assert (entry.status, entry.error, entry.permanent) == (DeliveryStatus.FAILED, "internal_error", False)
    resumed = _run(deliver(adapter, _report(), subs[0], store.ledger))
    assert (resumed.sent, resumed.already_sent, resumed.complete) == (3, 3, True)
    # The resumed reply still goes to the thread of the parent sent by the first run.
    assert adapter.sent[3:] == [
        ("slack:C0000000", "section:a/part:2", "id-2"),
        ("slack:C0000000", "section:b", None),
        ("slack:C0000000", "section:b/part:1", "id-5"),
    ]


def test_a_crash_mid_send_leaves_it_sending_and_the_resume_sends_it_once_more(store, subs, caplog):
    adapter = FakeAdapter()
    adapter.fail["slack:C0000000 section:b"] = asyncio.CancelledError()  # the process is stopped
    with pytest.raises(asyncio.CancelledError):
        _run(deliver(adapter, _report(), subs[0], store.ledger))
    assert store.ledger.entries(DAY, subs[0])["section:b"].status == DeliveryStatus.SENDING
    with caplog.at_level(logging.WARNING, logger="delivery.dispatch"):
        resumed = _run(deliver(adapter, _report(), subs[0], store.ledger))
    assert resumed.sent == 2 and "in flight" in caplog.text
    assert [key for _, key, _ in adapter.sent] == [m.key for m in adapter.plan(_report(), subs[0])]
    assert store.ledger.entries(DAY, subs[0])["section:b"].attempts == 2


def test_one_failing_subscription_leaves_the_others_served(store, subs):
    adapter = FakeAdapter()
    adapter.fail["slack:C0000001 header"] = DeliveryError("not_in_channel", permanent=True)
    adapter.fail["slack:C0000002 section:a"] = RuntimeError("a bug in the adapter")
    results = _run(deliver_all(adapter, _report(), subs, store.ledger))
    assert [r.complete for r in results] == [True, False, False]
    assert results[1].error == "not_in_channel"
    assert results[2].error == "RuntimeError: a bug in the adapter"
    entry = store.ledger.entries(DAY, subs[1])["header"]
    assert (entry.status, entry.permanent) == (DeliveryStatus.FAILED, True)
    assert sum(1 for target, _, _ in adapter.sent if target == "slack:C0000000") == 6


def test_a_plan_with_a_reply_before_its_parent_is_refused_for_that_subscription_only(store, subs):
    class Backwards(FakeAdapter):
        def plan(self, report, subscription):
            return list(reversed(super().plan(report, subscription)))

    results = _run(deliver_all(Backwards(), _report(), subs[:1], store.ledger))
    assert "before its parent" in results[0].error


def test_an_overlay_ledger_sees_what_was_sent_and_writes_nowhere(store, subs):
    adapter = FakeAdapter()
    adapter.fail["slack:C0000000 section:b"] = DeliveryError("boom")
    _run(deliver(adapter, _report(), subs[0], store.ledger))
    before = store.delivery_records(DAY)
    dry = FakeAdapter()
    result = _run(deliver(dry, _report(), subs[0], OverlayLedger(store.ledger)))
    assert (result.sent, result.already_sent) == (2, 4)
    assert dry.sent == [("slack:C0000000", "section:b", None), ("slack:C0000000", "section:b/part:1", "id-1")]
    assert store.delivery_records(DAY) == before


def test_a_memory_ledger_needs_no_store():
    ledger, adapter = MemoryLedger(), FakeAdapter()
    sub = Subscription(Channel.TELEGRAM, "-100123")
    assert _run(deliver(adapter, _report(), sub, ledger)).complete
    assert _run(deliver(adapter, _report(), sub, ledger)).already_sent == 6


def test_deliver_all_pulls_lazily_and_keeps_the_order():
    from fakes.reports import synthetic_report

    running, most = 0, 0

    class Recorder:
        channel = "email"

        def plan(self, report, subscription):
            return [OutgoingMessage("email", None, {})]

        async def send(self, message, subscription, parent_id):
            nonlocal running, most
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.001)
            running -= 1
            return f"<{subscription.address}>"

    def subscriptions():
        for n in range(20):
            yield Subscription(Channel.EMAIL, f"r{n}@example.org", id=n + 1)

    report = synthetic_report({"research": 1}, extras=False)
    results = asyncio.run(deliver_all(Recorder(), report, subscriptions(), MemoryLedger(), concurrency=3))
    assert [r.subscription.address for r in results] == [f"r{n}@example.org" for n in range(20)]
    assert all(r.complete for r in results) and most <= 3


def test_a_threaded_ledger_commits_off_the_loop_with_the_same_outcome(store, subs):
    adapter, ledger = FakeAdapter(), ThreadedLedger(store.ledger)
    first = _run(deliver(adapter, _report(), subs[0], ledger))
    again = _run(deliver(adapter, _report(), subs[0], ledger))
    assert (first.sent, first.complete, again.sent, again.already_sent) == (6, True, 0, 6)
    assert len(adapter.sent) == 6  # the second run read the ledger through the thread and sent nothing
    entries = store.ledger.entries(DAY, subs[0])
    assert {e.status for e in entries.values()} == {DeliveryStatus.SENT} and len(entries) == 6


# --- one live run per subscription and day (claims) ----------------------------------------------


def test_a_claim_is_held_by_one_run_until_released_or_expired(store, subs):
    first, second, sub = store.ledger, store.ledger, subs[0]  # two runs: two holders
    assert first.claim(DAY, sub, lease=30) and first.claim(DAY, sub, lease=30)  # taken, renewed
    assert not second.claim(DAY, sub, lease=30)
    assert second.claim(date(2026, 11, 23), sub, lease=30) and second.claim(DAY, subs[1], lease=30)
    first.release(DAY, sub)
    assert second.claim(DAY, sub, lease=0.2)
    time.sleep(0.3)  # the holder stopped renewing (it died): its claim may be taken over
    assert first.claim(DAY, sub, lease=30)
    with pytest.raises(ClaimLost, match="taken over"):  # the old holder may begin nothing more
        second.begin(DAY, sub, "header", section=None, parent=None)
    first.begin(DAY, sub, "header", section=None, parent=None)
    assert store.ledger.entries(DAY, sub)["header"].attempts == 1


def test_two_runs_at_once_send_every_message_once(store, subs):
    adapter = FakeAdapter()

    async def two_runs():
        # Two runs of one day, each its own ledger (holder), as two processes would be.
        return await asyncio.gather(*(deliver_all(adapter, _report(), subs, store.ledger) for _ in range(2)))

    first, second = _run(two_runs())
    assert len(adapter.sent) == 6 * len(subs) and len(set(adapter.sent)) == 6 * len(subs)
    assert all(r.complete for r in first + second)
    assert sum(r.sent for r in first + second) == 6 * len(subs)
    assert {r.attempts for r in store.delivery_records(DAY)} == {1}


def test_a_run_waits_for_a_live_holder_and_takes_over_from_a_dead_one(store, subs):
    adapter, sub = FakeAdapter(), subs[0]
    dead = store.ledger
    assert dead.claim(DAY, sub, lease=0.5)  # a run that died holding the claim
    dead.begin(DAY, sub, "header", section=None, parent=None)  # ... with the header in flight
    started = time.monotonic()
    result = _run(deliver(adapter, _report(), sub, store.ledger, LedgerPolicy(lease=0.5)))
    assert result.complete and result.sent == 6
    assert time.monotonic() - started >= 0.4  # it waited for the lease to run out first


# --- a ledger that fails -----------------------------------------------------------------------------


class FlakyLedger(MemoryLedger):
    """A memory ledger whose calls named in ``failing`` raise, each the given number of times."""

    def __init__(self, **failing: int) -> None:
        super().__init__()
        self.failing = failing

    def _maybe_fail(self, call: str) -> None:
        if self.failing.get(call, 0) > 0:
            self.failing[call] -= 1
            raise ConnectionError(f"{call}: the database is away")

    def entries(self, day, subscription):
        self._maybe_fail("entries")
        return super().entries(day, subscription)

    def begin(self, day, subscription, key, *, section, parent):
        self._maybe_fail("begin")
        super().begin(day, subscription, key, section=section, parent=parent)

    def sent(self, day, subscription, key, platform_id):
        self._maybe_fail("sent")
        super().sent(day, subscription, key, platform_id)


FAST = LedgerPolicy(lease=2, retry=0.3, first_backoff=0.05, max_backoff=0.1)


def test_a_ledger_that_cannot_be_read_is_a_failure_never_complete():
    ledger, sub = FlakyLedger(entries=1000), Subscription(Channel.SLACK, "C0000000", id=1)
    [result] = _run(deliver_all(FakeAdapter(), _report(), [sub], ledger, policy=FAST))
    assert not result.complete and result.failed == 1
    assert "ledger failed" in result.error and "the database is away" in result.error


def test_a_ledger_that_comes_back_is_retried_and_the_delivery_completes():
    ledger, adapter = FlakyLedger(entries=2, begin=2), FakeAdapter()
    [result] = _run(
        deliver_all(adapter, _report(), [Subscription(Channel.SLACK, "C0", id=1)], ledger, policy=FAST)
    )
    assert result.complete and len(adapter.sent) == 6


def test_a_sent_message_whose_record_fails_is_recorded_later_not_sent_again():
    ledger, adapter = FlakyLedger(sent=3), FakeAdapter()  # longer than `retry`, within the lease
    sub = Subscription(Channel.SLACK, "C0", id=1)
    [result] = _run(deliver_all(adapter, _report(), [sub], ledger, policy=FAST))
    [again] = _run(deliver_all(adapter, _report(), [sub], ledger, policy=FAST))
    assert result.complete and again.already_sent == 6 and len(adapter.sent) == 6


def test_a_holder_that_died_on_this_machine_is_taken_over_at_once(store, subs):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    here, sub = socket.gethostname(), subs[0]
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        assert claims.claim(conn, DAY, sub.id, f"{here}:{child.pid}:0dead0", now, timedelta(hours=1))
        assert claims.claim(conn, DAY, subs[1].id, f"elsewhere:{child.pid}:0dead0", now, timedelta(hours=1))
    assert store.ledger.claim(DAY, sub, lease=30)  # its process is gone: no hour of waiting
    assert not store.ledger.claim(DAY, subs[1], lease=30)  # another machine's: wait for its lease
