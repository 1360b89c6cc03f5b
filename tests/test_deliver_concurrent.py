"""Two ``aidaily deliver`` of one day at once (a cron run overlapping a manual one) send once.

Two real processes on one PostgreSQL database deliver the same report to 200 email, 3 Slack and
3 Telegram subscriptions against the loopback fakes at real platform pacing. Each holds a
subscription's claim while it delivers to it; the other waits for the claim and then finds the
messages sent. Before the claims, each took the other's ``sending`` rows for a crashed run's and
everything arrived twice.

PostgreSQL only: skipped without AIDAILY_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import pytest
from concurrent_delivery import count, deliver_at_once, planned, prepare, settings_for
from fakes.delivery_world import DeliveryWorld
from fakes.reports import DAY, synthetic_report

from core.models import DeliveryStatus
from core.store import Store

pytestmark = pytest.mark.postgres


def test_two_delivers_of_one_day_at_once_send_every_message_exactly_once(postgres_url, tmp_path):
    report = synthetic_report({"research": 2}, extras=False)
    with DeliveryWorld(scale=1.0) as world:
        subscriptions = prepare(postgres_url, world, report, email=200, chats=3)
        wanted = planned(report, subscriptions, settings_for(postgres_url, world, tmp_path / "plan"))
        runs = deliver_at_once(postgres_url, world, tmp_path, processes=2)
        tally = count(world, wanted)

    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    assert (tally.duplicates, tally.missing, tally.unplanned) == (0, 0, 0)
    assert tally.arrived == tally.planned == 200 + 2 * 3 * 3
    with Store.open(postgres_url) as store:
        records = store.delivery_records(DAY)
    assert len(records) == tally.planned
    assert {(r.status, r.attempts) for r in records} == {(DeliveryStatus.SENT, 1)}  # nobody resent
