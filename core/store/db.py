"""Opening a database and bringing its schema up to date.

SQLite (the default, a file) and PostgreSQL (through psycopg 3) are both supported. The schema
comes only from the alembic migrations in the repository's top-level ``alembic/`` folder;
``migrate`` runs them and is safe to call on every start.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from alembic.command import upgrade
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

import core

# A wheel carries the migrations as core/store/migrations (pyproject's package-dir); a source
# checkout keeps them in the top-level alembic/ folder of the product card's layout.
_PACKAGED = Path(__file__).resolve().parent / "migrations"
ALEMBIC_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(core.__file__).resolve().parent.parent / "alembic"
# Any fixed number: every AI Daily process that migrates the same database takes this lock.
_MIGRATION_LOCK_KEY = 0x41494461696C79  # "AIDaily"
_EXPECTED = "expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
# Tables of the delivery task queue: migration 0006 creates them from procrastinate's own
# schema, so they are not in our models and autogenerate must leave them alone.
TASK_QUEUE_PREFIX = "procrastinate_"


class StoreError(Exception):
    """The store cannot be used; the message is one line a user can act on."""


def redact(url: URL) -> str:
    """The URL as the user would write it, with any password replaced by ``***``."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


# libpq repeats the host and port the URL already shows, and pads its severity.
_DRIVER_NOISE = re.compile(r"^(connection failed: )?(connection to server at .*? failed: )?(FATAL: )?")


def describe(exc: BaseException) -> str:
    """The first line of a driver error, without SQLAlchemy's statement and link suffixes."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    lines = [" ".join(line.split()) for line in str(orig).splitlines() if line.strip()]
    text = _DRIVER_NOISE.sub("", lines[0]) if lines else type(orig).__name__
    return "connection refused" if "Connection refused" in text else text


def open_engine(url: str) -> Engine:
    """An engine for ``url``: ``sqlite:///path`` or ``postgresql://...`` (psycopg 3)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        # Not echoed: a URL that does not parse cannot have its password hidden.
        raise StoreError(f"cannot parse the database URL; {_EXPECTED}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend in ("postgresql", "postgres"):  # "postgres://" as hosting providers print it
        return create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    raise StoreError(f"unsupported database {redact(parsed)}; {_EXPECTED}")


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        _make_parent(url)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _make_parent(url: URL) -> None:
    parent = Path(url.database or "").parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StoreError(f"cannot create directory {parent} for database {redact(url)}: {reason}") from None


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # WAL lets readers (the bot, the web archive) work while a build writes. journal_mode
    # persists in the file; the rest are per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    # Setting the mode takes an exclusive lock without waiting for it, so a second process
    # opening the file while the first migrates would fail "database is locked": set it only
    # when it is not WAL already (reading it takes no lock).
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    for pragma in ("synchronous=NORMAL", "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def alembic_config() -> Config:
    """The alembic configuration, built in code: no alembic.ini is needed."""
    if not (ALEMBIC_DIR / "env.py").is_file():
        # The migrations live beside the package, not in it: a plain (non-editable) install
        # lacks them.
        raise StoreError(
            f"migrations not found in {ALEMBIC_DIR}; reinstall aidaily (pip install -e . in a checkout)"
        )
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("path_separator", "os")
    return config


def in_our_models(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """alembic's ``include_object``: everything but the task queue's tables (and their indexes)."""
    table = obj.table.name if type_ in ("index", "unique_constraint", "column") else name
    return not (table or "").startswith(TASK_QUEUE_PREFIX)


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest migration; a no-op when it is already there.

    Two processes starting at once are safe: the second waits for the first's lock, then finds
    nothing to do (PostgreSQL: an advisory lock; SQLite: the database write lock).
    """
    _check_reachable(engine)
    try:
        with engine.connect() as connection:
            _upgrade(connection)
    except CommandError as exc:
        # Typically "Can't locate revision": the database is ahead of this code.
        raise StoreError(
            f"cannot migrate database {redact(engine.url)}: {describe(exc)};"
            " was it written by a newer version of AI Daily?"
        ) from None
    except DBAPIError as exc:
        raise StoreError(f"cannot migrate database {redact(engine.url)}: {describe(exc)}") from None


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if connection.dialect.name == "sqlite":
        _upgrade_sqlite(connection, config)
        return
    with connection.begin():
        connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
        upgrade(config, "head")


def _upgrade_sqlite(connection: Connection, config: Config) -> None:
    # Batch migrations rebuild a table by dropping it; with foreign keys on, that drop would
    # cascade into the child tables. The pragma only takes effect outside a transaction.
    _pragma(connection, "foreign_keys=OFF")
    try:
        with connection.begin():
            # The write lock now (another process migrating waits for it), and one transaction
            # around all the DDL: pysqlite would otherwise run each CREATE on its own.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            upgrade(config, "head")
            if broken := connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise StoreError(f"migration left a broken foreign key in table {broken[0]}; rolled back")
    finally:
        _pragma(connection, "foreign_keys=ON")


def _pragma(connection: Connection, pragma: str) -> None:
    connection.exec_driver_sql(f"PRAGMA {pragma}")
    connection.commit()  # ends the transaction SQLAlchemy began around the pragma


def _check_reachable(engine: Engine) -> None:
    verb = "open" if engine.dialect.name == "sqlite" else "reach"
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        raise StoreError(f"cannot {verb} database {redact(engine.url)}: {describe(exc)}") from None
