"""What the editor left out of a report, and why: ``reports.left_out``.

Revision ID: 0009
Revises: 0008
Created: 2026-12-04

``aidaily show --stats`` says what did not make the report: topics that were not about AI,
topics already told in an earlier report. Stories past a section's cap are not left out (they
are the section's 更多報導 list, stored with the section in ``reports.sections``). Reports
stored before this revision read back with nothing recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("left_out", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("left_out")
