"""Readers' votes on items: ``feedback_votes``, and the presses already counted, ``feedback_events``.

Revision ID: 0011
Revises: 0010
Created: 2026-12-06

A vote names an item by its report's date and its topic key (``ItemRef``), not by the item's
row id: building a day again replaces its rows, while the same stories keep their keys, so the
votes outlive a rebuild. One row per (report_date, item_key, channel, reader): a reader has one
vote per item, +1 or -1, which a later press changes or clears. ``feedback_events`` holds the
platform's id of every press counted (a Slack interaction's trigger id, a Telegram callback
query's id), so a press delivered twice counts once; rows older than a few months are pruned.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feedback_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("item_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reader", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_votes")),
        sa.UniqueConstraint(
            "report_date",
            "item_key",
            "channel",
            "reader",
            name=op.f("uq_feedback_votes_report_date_item_key_channel_reader"),
        ),
    )
    op.create_table(
        "feedback_events",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("channel", "event", name=op.f("pk_feedback_events")),
    )
    op.create_index(op.f("ix_feedback_events_created_at"), "feedback_events", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_events_created_at"), table_name="feedback_events")
    op.drop_table("feedback_events")
    op.drop_table("feedback_votes")
