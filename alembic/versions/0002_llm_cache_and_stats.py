"""LLM writer: a cache of model answers, and what writing each report cost.

Revision ID: 0002
Revises: 0001
Created: 2026-11-23

``llm_cache`` keeps validated answers by a hash of the prompt's inputs, so building a day again
makes no calls; ``report_stats`` keeps one row of counts per report (calls, tokens, cache hits,
failures, fallbacks), deleted with its report. Frozen once released, like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "llm_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_llm_cache")),
    )
    op.create_table(
        "report_stats",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("writer", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("calls", "tokens_in", "tokens_out", "cache_hits", "failures", "fallbacks")
        ),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_stats_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_stats")),
    )


def downgrade() -> None:
    op.drop_table("report_stats")
    op.drop_table("llm_cache")
