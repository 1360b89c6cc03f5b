"""Answers used without the bullets that failed the checks: ``report_stats.trimmed``.

Revision ID: 0014
Revises: 0013
Created: 2026-12-04

The LLM writer keeps an answer whose title and summary pass the faithfulness and language
checks when only some bullets (a detail, a use case, the importance reason) do not: those are
dropped. ``aidaily show --stats`` prints how many answers were kept so. Stats stored before this
revision read back with 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_stats") as batch:
        batch.add_column(sa.Column("trimmed", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("report_stats") as batch:
        batch.drop_column("trimmed")
