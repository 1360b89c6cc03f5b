"""A channel's run keeps totals over every subscription but only a bounded number of results."""

from __future__ import annotations

from app.channels import ChannelRun
from core.models import Channel, Subscription
from delivery.base import DeliveryResult


def _result(n: int, complete: bool) -> DeliveryResult:
    subscription = Subscription(Channel.EMAIL, f"r{n}@example.org", id=n)
    if complete:
        return DeliveryResult(subscription, planned=1, sent=1)
    return DeliveryResult(subscription, planned=1, failed=1, error="450 try later")


def test_totals_count_everything_while_results_stay_bounded():
    run = ChannelRun(Channel.EMAIL)
    for n in range(10_000):
        run.add(_result(n, complete=n % 100 != 7))  # 100 failures spread over the list
    assert run.totals.subscriptions == 10_000
    assert run.totals.sent == 9_900 and run.totals.incomplete == 100
    assert len(run.results) <= ChannelRun.SHOWN + ChannelRun.SHOWN_FAILURES
    shown_failures = [r for r in run.results if not r.complete]
    assert len(shown_failures) == 100  # every failure fits: each one needs someone to act
    assert run.failed


def test_failures_beyond_the_bound_are_counted_not_kept():
    run = ChannelRun(Channel.EMAIL)
    for n in range(1_000):
        run.add(_result(n, complete=False))
    assert run.totals.incomplete == 1_000
    assert len(run.results) == ChannelRun.SHOWN + ChannelRun.SHOWN_FAILURES


def test_a_clean_run_is_not_failed():
    run = ChannelRun(Channel.SLACK)
    run.add(_result(1, complete=True))
    assert not run.failed and run.results[0].sent == 1
