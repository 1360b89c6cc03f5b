"""A worker killed mid-delivery: the survivor finishes, nothing is lost, and only the window doubles.

Two real ``aidaily worker`` processes deliver a fan-out to 280 subscriptions (200 email, 40
Telegram chats, 40 Slack channels, three messages a chat) against the loopback fakes at real
platform pacing. Once both are delivering, one is killed with SIGKILL: no graceful shutdown, its
jobs left ``doing``, its connections cut. The survivor notices the silent heartbeat after
``AIDAILY_WORKER_STALLED_SECONDS`` and runs those jobs again.

What must hold afterwards (the guarantee of ``delivery.dispatch``):

- every planned message of every subscription arrived, and nothing unplanned did;
- the ledger holds each planned message once, as sent;
- a message arrived twice only if the ledger shows it was attempted twice: it was in flight in
  the killed worker (handed to the platform, its id not yet recorded). That window is at most
  one message per subscription being served when the worker died, so the doubles are bounded
  by the killed worker's concurrency times the subscriptions a batch serves at once;
- every other message arrived exactly once.

PostgreSQL only: skipped without AIDAILY_TEST_POSTGRES_URL.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from fakes.delivery_world import SLACK_TOKEN, TELEGRAM_TOKEN, DeliveryWorld, arrived, subscribe
from fakes.reports import DAY
from sqlalchemy import text
from test_cli import aidaily
from test_queue import planned, settings_for, start_worker, stop, stored_report, wait_for

from core.models import DeliveryStatus
from core.store import Store
from core.store.db import open_engine

pytestmark = pytest.mark.postgres

CONCURRENCY = 2
CHAT_BATCH = 10
EMAIL_BATCH = 50
SMTP_CONNECTIONS = 4  # the default: an email batch has 2 x 4 sends in flight


def test_a_worker_killed_mid_delivery_loses_nothing_and_doubles_only_the_window(postgres_url, tmp_path):
    stored_report(postgres_url)
    with ExitStack() as stack:
        world = stack.enter_context(DeliveryWorld(scale=1.0))
        with Store.open(postgres_url) as store:
            subscriptions = subscribe(store, world, email=200, telegram=40, slack=40)
        wanted = planned(settings_for(postgres_url, world, tmp_path), subscriptions)
        env = world.env() | {
            "AIDAILY_DATABASE_URL": postgres_url,
            "AIDAILY_QUEUE_CHAT_BATCH": str(CHAT_BATCH),
            "AIDAILY_QUEUE_EMAIL_BATCH": str(EMAIL_BATCH),
            "AIDAILY_WORKER_STALLED_SECONDS": "3",
        }
        assert aidaily("deliver", "--queue", cwd=tmp_path, env=env).returncode == 0
        workers = [start_worker(tmp_path, env, "--concurrency", str(CONCURRENCY)) for _ in range(2)]
        for worker in workers:
            stack.callback(stop, worker)
        victim, survivor = workers

        wait_for(lambda: _delivering_workers(postgres_url) == 2 and world.messages() > 30, timeout=60)
        victim.kill()
        victim.wait(10)
        wait_for(lambda: set(arrived(world)) >= set(wanted) and not _unfinished(postgres_url), timeout=120)
        stop(survivor)
        log = survivor.stderr.read()
        counts = arrived(world)

    assert "set to run again" in log  # the survivor recovered the victim's jobs
    assert TELEGRAM_TOKEN not in log and SLACK_TOKEN not in log  # httpx logs the Bot API URL
    assert _failed(postgres_url) == 0
    assert set(counts) == set(wanted)  # nothing lost, nothing unplanned
    with Store.open(postgres_url) as store:
        ledger = {
            (store_target(subscriptions, r.subscription_id), r.key): r for r in store.delivery_records(DAY)
        }
    assert len(ledger) == len(wanted) and all(r.status == DeliveryStatus.SENT for r in ledger.values())
    doubled = {message: n for message, n in counts.items() if n > 1}
    assert all(n == 2 for n in doubled.values())
    for target, text_ in doubled:
        assert ledger[(target, wanted[(target, text_)])].attempts >= 2  # it was in flight when killed
    in_flight_bound = CONCURRENCY * max(CHAT_BATCH, 2 * SMTP_CONNECTIONS)
    assert len(doubled) <= in_flight_bound
    exactly_once = [m for m in wanted if ledger[(m[0], wanted[m])].attempts == 1]
    assert all(counts[m] == 1 for m in exactly_once)
    assert len(exactly_once) >= len(wanted) - in_flight_bound


def store_target(subscriptions, subscription_id: int) -> str:
    return next(s.target for s in subscriptions if s.id == subscription_id)


def _delivering_workers(url: str) -> int:
    return _scalar(url, "SELECT count(DISTINCT worker_id) FROM procrastinate_jobs WHERE status = 'doing'")


def _unfinished(url: str) -> int:
    return _scalar(url, "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")


def _failed(url: str) -> int:
    return _scalar(url, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'")


def _scalar(url: str, query: str) -> int:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(query)).scalar() or 0)
    finally:
        engine.dispose()
