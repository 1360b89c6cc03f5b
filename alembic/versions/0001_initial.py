"""Initial schema: sources, articles, topics, reports and their items.

Revision ID: 0001
Revises:
Created: 2026-11-22

Datetimes are ``DateTime(timezone=True)``: timestamptz on PostgreSQL; on SQLite the
application stores naive UTC text (see ``core.store.tables.UTCDateTime``). This file is frozen
once released: change the schema with a new revision, never by editing this one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _fk(column: str, table: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    op.create_table(
        "sources",
        _id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_fetched_at", TIMESTAMP, nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_items", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_sources_name")),
    )

    op.create_table(
        "articles",
        _id(),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published", TIMESTAMP, nullable=False),
        sa.Column("fetched_at", TIMESTAMP, nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("guid", sa.Text(), nullable=True),
        sa.Column("arxiv_id", sa.String(length=32), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("title_key", sa.Text(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_weight", sa.Float(), nullable=False),
        sa.Column("dated", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("url", name=op.f("uq_articles_url")),
    )
    for column in ("source", "published", "arxiv_id", "title_key"):
        _index("articles", column)

    op.create_table(
        "topics",
        _id(),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("report_date", "key", name=op.f("uq_topics_report_date_key")),
    )
    _index("topics", "report_date")

    op.create_table(
        "topic_articles",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("topic_id", "topic_articles", "topics", "CASCADE"),
        _fk("article_id", "topic_articles", "articles", "CASCADE"),
        sa.PrimaryKeyConstraint("topic_id", "article_id", name=op.f("pk_topic_articles")),
    )
    _index("topic_articles", "article_id")

    op.create_table(
        "reports",
        _id(),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("cover_image", sa.Text(), nullable=False),
        sa.Column("generated_at", TIMESTAMP, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("window_start", TIMESTAMP, nullable=False),
        sa.Column("window_end", TIMESTAMP, nullable=False),
        sa.Column("articles_count", sa.Integer(), nullable=False),
        sa.Column("topics_count", sa.Integer(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("insight", sa.JSON(), nullable=False),
        sa.Column("reading", sa.JSON(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("date", name=op.f("uq_reports_date")),
    )

    op.create_table(
        "report_items",
        _id(),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("use_cases", sa.JSON(), nullable=False),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("importance", sa.String(length=8), nullable=False),
        sa.Column("importance_reason", sa.Text(), nullable=False),
        sa.Column("writer", sa.String(length=32), nullable=False),
        sa.Column("topic_key", sa.String(length=200), nullable=False),
        sa.Column("follow_up_item_id", sa.Integer(), nullable=True),
        sa.Column("follow_up_date", sa.Date(), nullable=True),
        sa.Column("follow_up_title", sa.Text(), nullable=True),
        _fk("report_id", "report_items", "reports", "CASCADE"),
        _fk("follow_up_item_id", "report_items", "report_items", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_items")),
    )
    _index("report_items", "report_id")
    _index("report_items", "follow_up_item_id")

    op.create_table(
        "report_item_sources",
        _id(),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        _fk("item_id", "report_item_sources", "report_items", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_item_sources")),
    )
    _index("report_item_sources", "item_id")

    op.create_table(
        "report_item_articles",
        _id(),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        _fk("item_id", "report_item_articles", "report_items", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_item_articles")),
    )
    _index("report_item_articles", "item_id")
    _index("report_item_articles", "url")


def downgrade() -> None:
    # Dropping a table drops its indexes too; children before parents for the foreign keys.
    for table in (
        "report_item_articles",
        "report_item_sources",
        "report_items",
        "reports",
        "topic_articles",
        "topics",
        "articles",
        "sources",
    ):
        op.drop_table(table)
