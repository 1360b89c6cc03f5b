"""The delivery queue: enqueueing a fan-out, batches run by workers, SIGTERM, one-line mistakes.

Queue tests run on PostgreSQL (AIDAILY_TEST_POSTGRES_URL), each in a schema of its own, against
the loopback fakes of every platform; workers run in process (``run_worker`` as a task) or as
real ``aidaily worker`` processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from concurrent_delivery import planned as planned_messages
from fakes.delivery_world import DeliveryWorld, arrived, subscribe
from fakes.reports import DAY, synthetic_report
from test_cli import ROOT, aidaily, assert_one_line_error

from app.service.queue import (
    BATCH_RETRY,
    BatchIncomplete,
    QueueUnavailable,
    batch_outcome,
    conninfo,
    enqueue_fanout,
    make_app,
)
from app.service.worker import run_worker
from core.config import Settings, load_settings
from core.models import Channel, DeliveryStatus, Subscription
from core.report.rendering.markdown import render_markdown
from core.store import Store
from delivery.base import DeliveryResult

ALL = [Channel.EMAIL, Channel.TELEGRAM, Channel.SLACK]


def test_conninfo_keeps_the_search_path_and_the_password() -> None:
    url = "postgresql+psycopg://ann:s3cret@db.example.org:5433/daily?options=-csearch_path%3Dtest_1"
    info = conninfo(url)
    for part in ("host=db.example.org", "port=5433", "dbname=daily", "user=ann", "password=s3cret"):
        assert part in info
    assert "options=-csearch_path=test_1" in info


def test_sqlite_has_no_queue() -> None:
    with pytest.raises(QueueUnavailable, match="delivery workers need PostgreSQL"):
        conninfo("sqlite:///data/aidaily.db")


def test_worker_on_sqlite_is_a_one_line_error(tmp_path: Path) -> None:
    env = {"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    done = aidaily("worker", cwd=tmp_path, env=env)
    assert_one_line_error(
        done, "delivery workers need PostgreSQL (AIDAILY_DATABASE_URL=postgresql+psycopg://...)"
    )
    assert "on SQLite `aidaily deliver` delivers in process" in done.stderr


def test_deliver_queue_on_sqlite_and_with_dry_run_are_one_line_errors(tmp_path: Path) -> None:
    report = synthetic_report({"research": 1}, extras=False)
    env = {"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    with Store.open(env["AIDAILY_DATABASE_URL"]) as store:
        store.save_report(report, render_markdown(report))
    assert_one_line_error(aidaily("deliver", "--queue", cwd=tmp_path, env=env), "need PostgreSQL")
    done = aidaily("deliver", "--queue", "--dry-run", cwd=tmp_path, env=env)
    assert_one_line_error(done, "a dry run delivers in process")


def test_a_batch_with_a_passing_failure_is_retried_and_a_permanent_one_is_not() -> None:
    sub = Subscription(Channel.SLACK, "C1", id=1)
    done = DeliveryResult(sub, planned=3, sent=3)
    gone = DeliveryResult(sub, planned=3, failed=1, error="not_in_channel", permanent=True)
    assert batch_outcome([done, gone]) == {
        "subscriptions": 2,
        "sent": 3,
        "already_sent": 0,
        "failed_permanently": 1,
    }
    with pytest.raises(BatchIncomplete, match="1 of 2 subscriptions unfinished"):
        batch_outcome([done, DeliveryResult(sub, planned=3, sent=1, failed=1, error="timeout")])


def test_a_batch_is_retried_four_times_backing_off() -> None:
    class Job:
        attempts = 0

    waits = []
    for attempts in range(5):
        Job.attempts = attempts
        before = datetime.now(UTC)
        decision = BATCH_RETRY.get_retry_decision(exception=BatchIncomplete("x"), job=Job())  # type: ignore[arg-type]
        waits.append(round((decision.retry_at - before).total_seconds()) if decision else None)
    assert waits == [5, 25, 125, 625, None]


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture
def world() -> Iterator[DeliveryWorld]:
    with DeliveryWorld(scale=0.02) as running:
        yield running


def settings_for(url: str, world: DeliveryWorld, tmp_path: Path, **extra: object) -> Settings:
    return world.settings(url, tmp_path / "out", **extra)


def stored_report(url: str) -> None:
    report = synthetic_report({"research": 2}, extras=False)
    with Store.open(url) as store:
        store.save_report(report, render_markdown(report))


def planned(settings: Settings, subscriptions: list[Subscription]) -> dict[tuple[str, str], str]:
    """(target, message as the fake records it) -> plan key, for every planned message."""
    return planned_messages(synthetic_report({"research": 2}, extras=False), subscriptions, settings)


async def _work_until(settings: Settings, done: asyncio.Event | None = None, **options: object) -> None:
    task = asyncio.create_task(run_worker(settings, **options))  # type: ignore[arg-type]
    await asyncio.wait_for(done.wait(), 60) if done else None
    task.cancel()  # procrastinate stops gracefully: the batches in flight finish
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.postgres
def test_enqueuing_the_same_fanout_twice_is_a_no_op(postgres_url, world, tmp_path):
    settings = settings_for(postgres_url, world, tmp_path)
    Store.open(postgres_url).close()
    first = asyncio.run(enqueue_fanout(settings, DAY, ALL))
    again = asyncio.run(enqueue_fanout(settings, DAY, ALL))
    assert [e.queued for e in first] == [True] * 3
    assert [(e.queued, e.reason) for e in again] == [(False, "already queued")] * 3
    without_slack = settings.model_copy(update={"slack_bot_token": None})
    (slack,) = asyncio.run(enqueue_fanout(without_slack, date(2026, 11, 23), [Channel.SLACK]))
    assert (slack.queued, slack.reason) == (False, "AIDAILY_SLACK_BOT_TOKEN is not set")


@pytest.mark.postgres
def test_a_worker_delivers_every_part_once_reusing_one_adapter_per_channel(postgres_url, world, tmp_path):
    stored_report(postgres_url)
    with Store.open(postgres_url) as store:
        subs = subscribe(store, world, email=25, telegram=7, slack=7)
    settings = settings_for(postgres_url, world, tmp_path, queue_email_batch=10, queue_chat_batch=3)
    wanted = planned(settings, subs)
    asyncio.run(enqueue_fanout(settings, DAY, ALL))

    async def scenario() -> None:
        done = asyncio.Event()

        async def watch() -> None:
            while sum(arrived(world).values()) < len(wanted):
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # anything extra would arrive now
            done.set()

        watcher = asyncio.create_task(watch())
        await _work_until(settings, done, concurrency=3)
        await watcher

    asyncio.run(scenario())
    assert arrived(world) == dict.fromkeys(wanted, 1)
    with Store.open(postgres_url) as store:
        records = store.delivery_records(DAY)
    assert len(records) == len(wanted)
    assert {(r.status, r.attempts) for r in records} == {(DeliveryStatus.SENT, 1)}
    assert world.smtp.connections <= settings.smtp_connections  # one pool for the five email batches


@pytest.mark.postgres
def test_sigterm_lets_the_batch_in_flight_finish(postgres_url, tmp_path):
    # Real time: a Slack channel takes a message a second, so a batch of 4 channels with 3
    # messages each lasts about 2 s; the worker runs one batch at a time.
    stored_report(postgres_url)
    with ExitStack() as stack:
        world = stack.enter_context(DeliveryWorld(scale=1.0))
        with Store.open(postgres_url) as store:
            subscribe(store, world, email=0, telegram=0, slack=8)
        env = world.env() | {"AIDAILY_DATABASE_URL": postgres_url, "AIDAILY_QUEUE_CHAT_BATCH": "4"}
        assert aidaily("deliver", "--queue", "--channel", "slack", cwd=tmp_path, env=env).returncode == 0
        worker = start_worker(tmp_path, env, "--concurrency", "1")
        stack.callback(stop, worker)
        wait_for(lambda: len(world.slack.messages) >= 1, timeout=30)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        assert "Traceback" not in worker.stderr.read()
        channels = {m.channel for m in world.slack.messages}
        assert len(channels) == 4 and len(world.slack.messages) == 12  # the first batch, whole
    with Store.open(postgres_url) as store:
        records = store.delivery_records(DAY)
    assert len(records) == 12 and all(r.status == DeliveryStatus.SENT for r in records)
    assert waiting_batches(postgres_url) == 1  # the second batch waits for the next worker


def start_worker(cwd: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AIDAILY_")}
    clean |= env | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", *args],
        cwd=cwd,
        env=clean,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


def wait_for(condition, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def waiting_batches(url: str) -> int:
    async def count() -> int:
        app = make_app(load_settings(database_url=url), connections=1)
        async with app.open_async():
            return len(list(await app.job_manager.list_jobs_async(task="deliver_batch", status="todo")))

    return asyncio.run(count())
