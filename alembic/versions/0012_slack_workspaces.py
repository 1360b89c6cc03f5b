"""Digests to every Slack workspace installed through OAuth: ``subscriptions.workspace`` and
``slack_revocations``.

Revision ID: 0012
Revises: 0011
Created: 2026-12-05

A Slack subscription made with ``/aidaily subscribe`` records the workspace (team id) it was made
in, so its digest is posted with that workspace's installation token; NULL (the CLI without
``--workspace``, and every subscription made before this revision) means the one bot token of
``AIDAILY_SLACK_BOT_TOKEN``. ``slack_revocations`` keeps, per app and workspace, when and why its
installation stopped working (Slack answered ``token_revoked``, ``invalid_auth``,
``account_inactive`` or ``team_access_not_granted``, or sent ``app_uninstalled`` /
``tokens_revoked``); an installation saved after that moment (a reinstall) is active again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)  # core.store.tables.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("workspace", sa.String(length=32), nullable=True))
    op.create_table(
        "slack_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("error", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_revocations")),
        sa.UniqueConstraint("client_id", "team_id", name=op.f("uq_slack_revocations_client_id_team_id")),
    )


def downgrade() -> None:
    op.drop_table("slack_revocations")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("workspace")
