"""Claiming a scheduled run: one winner per (job, day), take-overs only of dead or failed claims."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from core.models import ChannelCounts, RunStatus, RunSummary, WriterStats
from core.store import Store

DAY = date(2026, 11, 22)
T0 = datetime(2026, 11, 21, 22, 40, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def test_the_first_claim_wins_and_a_second_gets_nothing(store):
    first = store.claim_run("daily", DAY, "a:1", T0, LEASE)
    assert first is not None and first.status is RunStatus.RUNNING and first.instance == "a:1"
    assert store.claim_run("daily", DAY, "b:2", T0 + timedelta(seconds=1), LEASE) is None
    # Another day, or another job, is another claim.
    assert store.claim_run("daily", DAY + timedelta(days=1), "b:2", T0, LEASE) is not None
    assert store.claim_run("weekly", DAY, "b:2", T0, LEASE) is not None


def test_a_live_claim_is_kept_and_a_stale_one_is_taken_over(store):
    run = store.claim_run("daily", DAY, "a:1", T0, LEASE)
    assert store.heartbeat_run(run.id, "a:1", T0 + timedelta(minutes=4))
    assert store.claim_run("daily", DAY, "b:2", T0 + timedelta(minutes=8), LEASE) is None  # beat 4 min ago
    taken = store.claim_run("daily", DAY, "b:2", T0 + timedelta(minutes=10), LEASE)
    assert taken is not None and taken.instance == "b:2" and taken.attempts == 2
    # The first holder finds out: its heartbeat and its finish no longer count.
    assert not store.heartbeat_run(run.id, "a:1", T0 + timedelta(minutes=11))
    assert not store.finish_run(run.id, "a:1", T0 + timedelta(minutes=12), RunSummary())
    assert store.get_run("daily", DAY).instance == "b:2"


def test_a_succeeded_day_never_runs_again_and_a_failed_one_does(store):
    run = store.claim_run("daily", DAY, "a:1", T0, LEASE)
    assert store.finish_run(run.id, "a:1", T0 + timedelta(minutes=1), RunSummary(), error="feeds down")
    assert store.get_run("daily", DAY).status is RunStatus.FAILED
    retry = store.claim_run("daily", DAY, "b:2", T0 + timedelta(minutes=2), LEASE)
    assert retry is not None and retry.error is None and retry.finished_at is None
    assert store.finish_run(retry.id, "b:2", T0 + timedelta(minutes=3), RunSummary())
    later = T0 + timedelta(days=30)
    assert store.claim_run("daily", DAY, "c:3", later, LEASE) is None
    assert store.get_run("daily", DAY).status is RunStatus.SUCCEEDED


def test_the_summary_round_trips_and_runs_list_newest_first(store):
    summary = RunSummary(
        articles_fetched=40,
        articles_new=12,
        topics=9,
        items=6,
        llm=WriterStats(
            writer="llm",
            model="m",
            calls=7,
            tokens_in=900,
            tokens_out=120,
            cache_hits=2,
            fallbacks=1,
            fell_back=(("gpt-5-2", "asked 2 times: 「Lab X」 not in the sources"),),
        ),
        messages={"slack": ChannelCounts(sent=3, skipped=1), "email": ChannelCounts(failed=1)},
        failed_feeds=("KDnuggets: HTTP 500",),
        failed_channels=("email: 1 subscription failed",),
        seconds={"fetch": 0.5, "build": 1.25, "deliver": 3.0},
    )
    for offset in range(3):
        run = store.claim_run("daily", DAY + timedelta(days=offset), "a:1", T0, LEASE)
        store.finish_run(run.id, "a:1", T0 + timedelta(minutes=1), summary)
    runs = store.recent_runs(limit=2)
    assert [r.day for r in runs] == [DAY + timedelta(days=2), DAY + timedelta(days=1)]
    assert runs[0].summary == summary
    assert runs[0].finished_at == T0 + timedelta(minutes=1)


def test_instances_racing_for_one_day_claim_it_once(db_url):
    winners: list[str] = []
    barrier = threading.Barrier(6)

    def race(name: str) -> None:
        with Store.open(db_url) as store:
            barrier.wait()
            if store.claim_run("daily", DAY, name, T0, LEASE) is not None:
                winners.append(name)

    threads = [threading.Thread(target=race, args=(f"host:{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(winners) == 1
