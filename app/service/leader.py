"""One leader among the instances of ``aidaily serve``: only the leader runs the scheduler.

APScheduler 3 must not share a job store between schedulers, so every instance competes for one
lock and only its holder schedules. The lock is tied to the holder's life, so a crashed leader
frees it without anyone cleaning up:

- PostgreSQL: a session-level ``pg_try_advisory_lock`` on a connection kept open for as long as
  the instance leads. If that connection dies (the process was killed, the network failed), the
  server drops the session and the lock; the leader notices on its next check and steps down,
  and a follower takes the lock on its next try. The key is derived from the schema the store
  lives in, so stores in separate schemas of one database elect separately.
- SQLite (one machine): an exclusive ``fcntl.flock`` on ``<database file>.leader`` beside the
  database; the kernel releases it when the process exits, however it exits.

``lead()`` is the loop every instance runs: try, and while the lock is held run the leader's work
(the scheduler); otherwise retry every ``AIDAILY_LEADER_RETRY`` seconds, until told to stop.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, suppress
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from core.logs import event

log = logging.getLogger(__name__)


class LeaderLock(Protocol):
    name: str

    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class PostgresLock:
    """A session-level advisory lock on a dedicated connection (see the module docstring)."""

    name = "postgresql advisory lock"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError:
            return False  # the database is unreachable: nobody can lead through it now
        try:
            schema = conn.execute(text("SELECT current_schema()")).scalar() or "public"
            if conn.execute(select(func.pg_try_advisory_lock(_key(schema)))).scalar():
                self._conn = conn
                return True
        except DBAPIError:
            pass  # the connection broke between connecting and asking: try again later
        conn.close()
        return False

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
        except DBAPIError:
            return False  # the session is gone, and the lock with it
        return True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Closing the session releases its advisory locks; the pool must not keep it alive.
            with suppress(DBAPIError):
                conn.invalidate()
                conn.close()


def _key(schema: str) -> int:
    digest = hashlib.blake2b(f"aidaily-leader:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class FileLock:
    """An exclusive, non-blocking ``flock`` on a file; released by the kernel at process exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"lock file {path}"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class SoloLock:
    """An in-memory database lives in one process: that process always leads."""

    name = "in-memory database"

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def leader_lock(engine: Engine) -> LeaderLock:
    """The lock that fits the store's database."""
    if engine.dialect.name == "postgresql":
        return PostgresLock(engine)
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return SoloLock()
    return FileLock(Path(database + ".leader"))


async def lead(
    lock: LeaderLock,
    *,
    retry: float,
    stop: asyncio.Event,
    while_leading: Callable[[], AbstractAsyncContextManager[object]],
) -> None:
    """Until ``stop``: take the lock when free, and run ``while_leading()`` for as long as it is held."""
    while not stop.is_set():
        if await asyncio.to_thread(lock.try_acquire):
            event(log, "leader.elected", lock=lock.name)
            try:
                async with while_leading():
                    await _hold(lock, retry, stop)
            finally:
                await asyncio.to_thread(lock.release)
        else:
            event(log, "leader.follower", level=logging.DEBUG, lock=lock.name, retry_seconds=retry)
        await _wait(stop, retry)


async def _hold(lock: LeaderLock, retry: float, stop: asyncio.Event) -> None:
    while not await _wait(stop, retry):
        if not await asyncio.to_thread(lock.still_held):
            event(log, "leader.lost", level=logging.WARNING, lock=lock.name)
            return


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` or until ``stop``; True if stopping."""
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
