"""Keyword rules and daily or weekly delivery per subscription: three columns of ``subscriptions``.

Revision ID: 0013
Revises: 0012
Created: 2026-12-06

``cadence`` is ``daily`` (each day's report) or ``weekly`` (one digest of the week's strongest
stories, on ``AIDAILY_WEEKLY_DAY``); ``include_terms`` and ``exclude_terms`` are the keyword
rules (``core.rules``), JSON lists of the terms as normalized. Subscriptions made before this
revision read back daily, without rules. The revision touches only these columns, so it may be
rechained after any other (only ``down_revision`` changes).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("cadence", sa.String(length=16), nullable=False, server_default="daily"))
        batch.add_column(sa.Column("include_terms", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("exclude_terms", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("exclude_terms")
        batch.drop_column("include_terms")
        batch.drop_column("cadence")
