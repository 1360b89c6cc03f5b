"""Delivery claims: the lease one live delivery run holds on a (report day, subscription).

Revision ID: 0008
Revises: 0007
Created: 2026-11-24

Two ``aidaily deliver`` of one day at once (a cron run overlapping a manual one, the service
beside a manual run) each took the other's ``sending`` rows for a crashed run's and sent them
again. ``delivery_claims`` holds one row per (report_date, subscription_id) while a run
delivers to it: the run inserts it, renews ``expires_at`` while it works and deletes it when
done; another run waits, and takes it over only once ``expires_at`` has passed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delivery_claims",
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_delivery_claims_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_date", "subscription_id", name=op.f("pk_delivery_claims")),
    )


def downgrade() -> None:
    op.drop_table("delivery_claims")
