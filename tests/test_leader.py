"""Leadership: one holder of the lock at a time; a dead holder's lock passes to the next instance."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text

from app.service.leader import FileLock, PostgresLock, _key, lead, leader_lock
from core.store.db import open_engine


def test_a_lock_file_has_one_holder_and_frees_when_released(tmp_path):
    path = tmp_path / "aidaily.db.leader"
    first, second = FileLock(path), FileLock(path)
    assert first.try_acquire() and first.still_held()
    assert not second.try_acquire()
    first.release()
    assert not first.still_held()
    assert second.try_acquire()
    second.release()


def test_a_lock_file_held_by_a_process_frees_when_it_dies(tmp_path):
    path = tmp_path / "aidaily.db.leader"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    lock = FileLock(path)
    assert not lock.try_acquire()
    holder.kill()
    holder.wait(10)
    assert lock.try_acquire()  # the kernel released it with the process
    lock.release()


def test_sqlite_stores_lock_a_file_beside_the_database(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'aidaily.db'}")
    lock = leader_lock(engine)
    assert isinstance(lock, FileLock) and lock.path == tmp_path / "aidaily.db.leader"


@pytest.mark.postgres
def test_postgresql_lock_passes_on_when_the_leaders_session_dies(postgres_url):
    first, second = PostgresLock(open_engine(postgres_url)), PostgresLock(open_engine(postgres_url))
    assert first.try_acquire() and first.still_held()
    assert not second.try_acquire()
    _terminate_holder(postgres_url)  # as if the leader's machine vanished
    assert not first.still_held()
    assert second.try_acquire()
    first.release()
    second.release()
    assert first.try_acquire()  # released for real: the next one gets it
    first.release()


def _terminate_holder(url: str) -> None:
    engine = open_engine(url)
    with engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        key = _key(schema)
        pid = conn.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND ((classid::bigint << 32) | objid::bigint) = :key"
            ),
            {"key": key},
        ).scalar()
        assert pid is not None
        conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})  # waits for it
    engine.dispose()


def test_lead_runs_the_leaders_work_only_while_holding_the_lock(tmp_path):
    path = tmp_path / "aidaily.db.leader"
    other = FileLock(path)
    assert other.try_acquire()  # someone else leads at first
    periods: list[str] = []

    @asynccontextmanager
    async def leading():
        periods.append("start")
        yield
        periods.append("stop")

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(lead(FileLock(path), retry=0.05, stop=stop, while_leading=leading))
        await asyncio.sleep(0.3)
        assert periods == []  # a follower while the other holds the lock
        other.release()
        await asyncio.sleep(0.3)
        assert periods == ["start"]
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    assert periods == ["start", "stop"]
    assert other.try_acquire()  # the follower-turned-leader let go on stopping
    other.release()
