"""The schema comes only from migrations, and they build exactly what the models describe."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from core.store import Store, StoreError
from core.store.db import ALEMBIC_DIR, TASK_QUEUE_PREFIX, alembic_config, in_our_models, migrate, open_engine
from core.store.tables import Base


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _differences(engine: Engine) -> list:
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": in_our_models}
        context = MigrationContext.configure(conn, opts=opts)
        return compare_metadata(context, Base.metadata)


def test_upgrade_of_an_empty_database_matches_the_models(db_url: str) -> None:
    engine = open_engine(db_url)
    migrate(engine)
    assert _differences(engine) == []
    assert _our_tables(engine) == {*Base.metadata.tables, "alembic_version"}
    assert _current_revision(engine) == _head()
    engine.dispose()


def _our_tables(engine: Engine) -> set[str]:
    return {name for name in inspect(engine).get_table_names() if not name.startswith(TASK_QUEUE_PREFIX)}


def _queue_tables(engine: Engine) -> set[str]:
    return {name for name in inspect(engine).get_table_names() if name.startswith(TASK_QUEUE_PREFIX)}


def _expected_queue_tables(engine: Engine) -> set[str]:
    if engine.dialect.name != "postgresql":
        return set()  # no delivery workers on SQLite
    return {f"procrastinate_{name}" for name in ("jobs", "workers", "events", "periodic_defers")}


def test_the_task_queue_schema_exists_on_postgresql_only(db_url: str) -> None:
    engine = open_engine(db_url)
    migrate(engine)
    assert _queue_tables(engine) == _expected_queue_tables(engine)
    engine.dispose()


def test_migrate_twice_is_a_no_op_and_keeps_rows(db_url: str) -> None:
    engine = open_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO sources (name, url, kind, language, weight) VALUES ('a', 'u', 'news', 'en', 1)")
        )
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM sources")).scalars().all() == ["a"]
    assert _current_revision(engine) == _head()
    engine.dispose()


def test_downgrade_to_base_then_upgrade_again(db_url: str) -> None:
    engine = open_engine(db_url)
    migrate(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)  # procrastinate's types and functions went too, or its CREATEs would fail here
    assert _differences(engine) == []
    assert _queue_tables(engine) == _expected_queue_tables(engine)
    engine.dispose()


def test_a_database_ahead_of_the_code_is_reported(db_url: str) -> None:
    engine = open_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer version of AI Daily"):
        Store.open(db_url)


def test_two_processes_migrating_at_once_both_succeed(db_url: str) -> None:
    code = "import sys; from core.store.db import migrate, open_engine; migrate(open_engine(sys.argv[1]))"
    runs = [subprocess.Popen([sys.executable, "-c", code, db_url], stderr=subprocess.PIPE) for _ in range(2)]
    errors = [run.communicate(timeout=120)[1].decode() for run in runs]
    assert errors == ["", ""]
    engine = open_engine(db_url)
    assert _differences(engine) == []
    engine.dispose()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'a.db'}")
    migrate(engine)  # turns foreign keys off while it runs, and on again
    with engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000, "synchronous": 1}
    assert (tmp_path / "nested" / "dir" / "a.db").exists()
    engine.dispose()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg(scheme: str) -> None:
    engine = open_engine(f"{scheme}://someone:secret@127.0.0.1:1/test")
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()


@pytest.mark.parametrize(
    "url", ["postgresql://u:pw-0815@db:notaport/x", "postgresql://u:pw-0815@[::1/x", "nope"]
)
def test_a_url_that_does_not_parse_is_a_store_error_without_its_password(url: str) -> None:
    with pytest.raises(StoreError, match="cannot parse the database URL") as failure:
        open_engine(url)
    assert "pw-0815" not in str(failure.value)


def test_the_migrations_folder_does_not_shadow_the_alembic_library() -> None:
    assert not (ALEMBIC_DIR / "__init__.py").exists()
    spec = importlib.util.find_spec("alembic")
    assert spec is not None and spec.origin is not None
    assert Path(spec.origin).parent != ALEMBIC_DIR
    assert (ALEMBIC_DIR / "env.py").is_file()
