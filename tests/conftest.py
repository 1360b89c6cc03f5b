"""Shared fixtures: a database URL for each backend, and a ``Store`` opened on it.

``db_url`` runs a test on SQLite (a file under tmp_path) and, when AIDAILY_TEST_POSTGRES_URL
is set, on PostgreSQL too. Each PostgreSQL test gets a schema of its own (named in the URL's
search_path), dropped afterwards, so tests never see each other's rows and can run again.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.openai_server import FakeOpenAI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.store import Store
from core.store.db import open_engine

POSTGRES_ENV = "AIDAILY_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'aidaily.db'}"
    else:
        yield from _postgres_schema_url()


def _postgres_schema_url() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql+psycopg://postgres@127.0.0.1/test"
        )
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = open_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of an empty PostgreSQL schema (skipped without AIDAILY_TEST_POSTGRES_URL)."""
    yield from _postgres_schema_url()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session: copying it is 25 times faster than migrating."""
    path = tmp_path_factory.mktemp("migrated") / "aidaily.db"
    Store.open(f"sqlite:///{path}").close()
    return path


def _from_template(url: str, template: Path) -> str:
    """``url``, its SQLite file first made a copy of ``template`` (PostgreSQL URLs unchanged)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        shutil.copyfile(template, parsed.database)
    return url


@pytest.fixture
def store(db_url: str, migrated_sqlite: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    with Store.open(_from_template(db_url, migrated_sqlite)) as opened:
        yield opened


@pytest.fixture
def sqlite_store(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Store]:
    """A migrated, empty store on SQLite only, for tests that need one backend."""
    url = _from_template(f"sqlite:///{tmp_path / 'store.db'}", migrated_sqlite)
    with Store.open(url) as opened:
        yield opened


@pytest.fixture
def clean_settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AIDAILY_* variable, and a working directory without a .env file, for settings tests."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("AIDAILY_"):
            monkeypatch.delenv(name)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    """The fake OpenAI-compatible server on loopback (tests/fakes/openai_server.py)."""
    with FakeOpenAI() as server:
        yield server
