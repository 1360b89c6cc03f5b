"""Why items fell back to the extractive writer: ``report_stats.fell_back``.

Revision ID: 0010
Revises: 0009
Created: 2026-12-04

``aidaily show --stats`` lists each item the LLM writer could not write and the reason (an
answer in the wrong language, a figure not in the sources, a server error). A list of
``[topic key, reason]`` pairs; stats stored before this revision read back with none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_stats") as batch:
        batch.add_column(sa.Column("fell_back", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("report_stats") as batch:
        batch.drop_column("fell_back")
