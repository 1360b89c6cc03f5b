"""A database outage in the middle of ``aidaily deliver --channel email`` is a failure, not success.

The delivery runs as a role of its own; a second into it the role may no longer log in and its
sessions are ended, one of them in the middle of a ledger lookup (as when a password is rotated,
or the server fails over); four seconds later it comes back. Subscriptions whose ledger could
not be read or written for longer than ``AIDAILY_LEDGER_RETRY`` are reported failed and the
command exits non-zero; a message already handed to the SMTP server is recorded once the
database is back, so the rerun sends exactly the rest. Before, a failed ledger lookup counted as
"0 messages planned", i.e. complete: exit 0, and most subscribers got nothing.

PostgreSQL only: skipped without AIDAILY_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fakes.reports import synthetic_report
from fakes.smtp_server import SmtpServer
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from test_cli import ROOT, aidaily
from test_queue import wait_for

from core.models import Channel, Subscription
from core.report.rendering.markdown import render_markdown
from core.store import Store
from core.store.db import open_engine

pytestmark = pytest.mark.postgres

SUBSCRIBERS = 200


@contextmanager
def dedicated_role(database_url: str) -> Iterator[tuple[str, Callable[[float], None]]]:
    """A role with the rights a delivery needs on the test schema: its URL, and ``outage(seconds)``."""
    admin = open_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    role = f"aidaily_outage_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        for grant in ("USAGE ON SCHEMA", "ALL ON ALL TABLES IN SCHEMA", "ALL ON ALL SEQUENCES IN SCHEMA"):
            conn.execute(text(f'GRANT {grant} "{schema}" TO "{role}"'))
    try:
        url = make_url(database_url).set(username=role, password=None)
        yield url.render_as_string(hide_password=False), lambda seconds: _outage(admin, role, seconds)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" LOGIN'))
            _end_sessions(conn, role)
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def _outage(admin: Engine, role: str, seconds: float) -> None:
    # Where the outage strikes is pinned, or the test would depend on luck: a lock on the claims
    # holds the delivery's next claim (a lookup before any send) until the sessions are cut.
    with admin.connect() as locker:
        locker.execution_options(isolation_level="READ COMMITTED")
        with locker.begin():
            locker.execute(text("LOCK TABLE delivery_claims IN EXCLUSIVE MODE"))
            wait_for(lambda: _waiting_on_a_lock(admin, role), timeout=30)
            with admin.connect() as conn:
                conn.execute(text(f'ALTER ROLE "{role}" NOLOGIN'))
                _end_sessions(conn, role)
    time.sleep(seconds)
    with admin.connect() as conn:
        conn.execute(text(f'ALTER ROLE "{role}" LOGIN'))


def _waiting_on_a_lock(admin: Engine, role: str) -> bool:
    query = text("SELECT count(*) FROM pg_stat_activity WHERE usename = :r AND wait_event_type = 'Lock'")
    with admin.connect() as conn:
        return bool(conn.execute(query, {"r": role}).scalar())


def _end_sessions(conn, role: str) -> None:
    conn.execute(
        text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"), {"r": role}
    )


def start_deliver(cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AIDAILY_")}
    clean |= env | {"COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "app.cli", "deliver", "--channel", "email"]
    return subprocess.Popen(
        command, cwd=cwd, env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_an_outage_mid_delivery_exits_non_zero_and_the_rerun_completes_without_duplicates(
    postgres_url, tmp_path
):
    report = synthetic_report({"research": 2}, extras=False)
    with Store.open(postgres_url) as store:
        store.save_report(report, render_markdown(report))
        for n in range(SUBSCRIBERS):
            store.add_subscription(Subscription(Channel.EMAIL, f"reader{n}@example.org"))
    with SmtpServer() as smtp, dedicated_role(postgres_url) as (role_url, outage):
        env = {
            "AIDAILY_DATABASE_URL": role_url,
            "AIDAILY_SMTP_HOST": "127.0.0.1",
            "AIDAILY_SMTP_PORT": str(smtp.port),
            "AIDAILY_SMTP_TLS": "none",
            "AIDAILY_SMTP_RATE": "40",  # 200 newsletters in five seconds: the outage lands mid-way
            "AIDAILY_SECRET_KEY": "outage-test-secret",
            "AIDAILY_PUBLIC_URL": "https://daily.example.org",
            "AIDAILY_LEDGER_RETRY": "1",  # shorter than the outage: some subscriptions give up
            "AIDAILY_DELIVERY_LEASE": "10",  # longer: a message sent is recorded once it is back
        }
        first = start_deliver(tmp_path, env)
        wait_for(lambda: len(smtp.messages) >= 40, timeout=60)
        outage(4.0)
        stdout, stderr = first.communicate(timeout=120)
        during = Counter(r for m in smtp.messages for r in m.rcpt_tos)
        again = aidaily("deliver", "--channel", "email", cwd=tmp_path, env=env)
        counts = Counter(r for m in smtp.messages for r in m.rcpt_tos)

    assert first.returncode == 1, stderr
    assert "incomplete" in stdout and "the delivery ledger failed" in stdout
    assert len(during) < SUBSCRIBERS  # some subscribers were left for the rerun
    assert again.returncode == 0, again.stdout + again.stderr
    assert counts == Counter({f"reader{n}@example.org": 1 for n in range(SUBSCRIBERS)})
