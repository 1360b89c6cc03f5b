"""Delivery workers: procrastinate's task-queue schema, on PostgreSQL only.

Revision ID: 0006
Revises: 0005
Created: 2026-11-22

``aidaily worker`` runs delivery batches from a procrastinate queue that lives in the same
PostgreSQL database as the store (``app/service/queue.py``). Its tables (``procrastinate_jobs``,
``procrastinate_workers``, ``procrastinate_events``, ``procrastinate_periodic_defers``), types,
functions and triggers are procrastinate's own: this migration applies the ``schema.sql``
bundled with the installed procrastinate, unchanged, into the schema the connection's
search_path names. The schema belongs to procrastinate's version, so pyproject.toml pins a minor
range; moving to a newer procrastinate means a new migration that applies its files under
``procrastinate/sql/migrations`` from the pinned version on. On SQLite there are no workers
(``aidaily deliver`` delivers in process), so nothing is created there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What the schema creates, in an order that drops cleanly (tables take their triggers along).
_CREATED = re.compile(r"^CREATE (TABLE|FUNCTION|TYPE) (\w+)", re.MULTILINE)
_DROP_ORDER = {"TABLE": 0, "FUNCTION": 1, "TYPE": 2}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # psycopg reads % as a placeholder marker; the schema's plpgsql uses it in RAISE formats.
    op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    created = sorted(
        _CREATED.findall(SchemaManager.get_schema()), key=lambda kind_name: _DROP_ORDER[kind_name[0]]
    )
    for kind, name in created:
        op.execute(f"DROP {kind} IF EXISTS {name} CASCADE")
