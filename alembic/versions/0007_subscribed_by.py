"""Who subscribed a chat: the user the bots let change that chat's subscription.

Revision ID: 0007
Revises: 0006
Created: 2026-11-22

``/aidaily subscribe`` in a Slack channel, or ``/subscribe`` in a Telegram chat, records the
platform's id of the user who sent it in ``subscriptions.subscribed_by`` (NULL for subscriptions
added with the CLI or the web app, and for those made before this migration). In Slack, beside
the workspace's admins and owners, that user may change or end the channel's subscription.
(Numbered 0007 while other branches may add theirs; rechained when merged.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("subscribed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("subscribed_by")
