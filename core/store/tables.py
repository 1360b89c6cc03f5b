"""The store's tables as SQLAlchemy declarative models: the metadata alembic compares against.

These classes describe the schema; they never leave ``core.store``. Queries return plain
``core.models`` values. The schema itself is created only by the migrations in ``alembic/``;
a test checks that upgrading an empty database yields exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names, so that migrations name things the same way on SQLite and
# PostgreSQL and a later migration can drop or alter a constraint by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC, and read back as an aware UTC datetime.

    PostgreSQL keeps the instant (timestamptz). SQLite has no time zones: values are stored
    as naive UTC text, so that text order is time order and comparisons in SQL stay correct.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored; give it a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The Slack bot's OAuth installations (one per workspace) and single-use OAuth states, in the
# tables slack_sdk's SQLAlchemy stores define (migration 0004 creates them): declared here too,
# so that the models and the migrated schema can be compared as one.
SQLAlchemyInstallationStore.build_installations_table(Base.metadata, "slack_installations")
SQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots")
SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, "slack_oauth_states")


class SourceRow(Base):
    """A configured feed and the state of its last fetch (for conditional GET and health)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16))
    weight: Mapped[float] = mapped_column(Float)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_items: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class ArticleRow(Base):
    """One normalized feed entry; ``url`` is the identity used to skip repeats."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The source's name rather than a foreign key: articles outlive a source removed from
    # the configuration.
    source: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(16))
    guid: Mapped[str | None] = mapped_column(Text)
    arxiv_id: Mapped[str | None] = mapped_column(String(32), index=True)
    authors: Mapped[list[str]] = mapped_column(JSON)
    title_key: Mapped[str] = mapped_column(Text, index=True)
    source_kind: Mapped[str] = mapped_column(String(16))
    source_weight: Mapped[float] = mapped_column(Float)
    dated: Mapped[bool] = mapped_column(Boolean)


class TopicRow(Base):
    """A cluster of articles about one story, as found for one report date."""

    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("report_date", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    report_date: Mapped[date] = mapped_column(Date, index=True)
    terms: Mapped[list[str]] = mapped_column(JSON)


class TopicArticleRow(Base):
    """Membership of an article in a topic; position 0 is the lead article."""

    __tablename__ = "topic_articles"

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class ReportRow(Base):
    """One day's report: its front matter, overview parts as JSON, and the rendered Markdown."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[date] = mapped_column(Date, unique=True)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(16))
    cover_image: Mapped[str] = mapped_column(Text)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    articles_count: Mapped[int] = mapped_column(Integer)
    topics_count: Mapped[int] = mapped_column(Integer)
    # [{"key", "heading", "items", "more"}]: section order, headings, item counts and the briefs
    # past the section's cap, so that empty sections and custom headings come back exactly.
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # {reason: topics} the editor left out of the report (core.report.editing.editor.Edition).
    left_out: Mapped[dict[str, int]] = mapped_column(JSON, server_default="{}")
    insight: Mapped[dict[str, Any]] = mapped_column(JSON)
    reading: Mapped[dict[str, Any]] = mapped_column(JSON)
    markdown: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportItemRow(Base):
    """One story of a report; ``position`` orders items across the whole report."""

    __tablename__ = "report_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[list[str]] = mapped_column(JSON)
    use_cases: Mapped[list[str]] = mapped_column(JSON)
    entities: Mapped[list[str]] = mapped_column(JSON)
    importance: Mapped[str] = mapped_column(String(8))
    importance_reason: Mapped[str] = mapped_column(Text)
    writer: Mapped[str] = mapped_column(String(32))
    topic_key: Mapped[str] = mapped_column(String(200))
    # Replacing an earlier report deletes its items; a later item then keeps the date and
    # title of what it followed up, but loses the link.
    follow_up_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_items.id", ondelete="SET NULL"), index=True
    )
    follow_up_date: Mapped[date | None] = mapped_column(Date)
    follow_up_title: Mapped[str | None] = mapped_column(Text)


class ReportItemSourceRow(Base):
    """A source link printed under an item."""

    __tablename__ = "report_item_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("report_items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    valid: Mapped[bool] = mapped_column(Boolean)


class ReportItemArticleRow(Base):
    """An article an item was written from, by URL: imported reports have no stored articles."""

    __tablename__ = "report_item_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("report_items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text, index=True)


class LLMCacheRow(Base):
    """A model's validated answer, by a hash of everything that went into the prompt.

    Building a day again asks the model nothing: the same articles, model, prompt version and
    language give the same key (see ``core.report.writing.llm_writer``).
    """

    __tablename__ = "llm_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportStatsRow(Base):
    """What writing a report cost (``WriterStats``); replaced when the day is built again."""

    __tablename__ = "report_stats"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    writer: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    calls: Mapped[int] = mapped_column(Integer)
    tokens_in: Mapped[int] = mapped_column(Integer)
    tokens_out: Mapped[int] = mapped_column(Integer)
    cache_hits: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    fallbacks: Mapped[int] = mapped_column(Integer)
    # [[topic key or "overview", reason], ...] in the order they fell back
    fell_back: Mapped[list[list[str]]] = mapped_column(JSON, server_default="[]")
    trimmed: Mapped[int] = mapped_column(Integer, server_default="0")  # answers used without bad bullets
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubscriptionRow(Base):
    """Where reports go: a Slack channel, a Telegram chat (and topic) or an email address."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("channel", "address", "thread"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    # "" rather than NULL when there is no topic: NULLs never collide in a unique constraint.
    thread: Mapped[str] = mapped_column(String(64))
    sections: Mapped[list[str]] = mapped_column(JSON)  # empty: every section
    language: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The chat user who subscribed it (Slack or Telegram user id); NULL from the CLI or the web.
    subscribed_by: Mapped[str | None] = mapped_column(String(64))
    cadence: Mapped[str] = mapped_column(String(16), server_default="daily")  # or "weekly"
    # Keyword rules (core.rules): with include terms an item must match one; exclude wins.
    include_terms: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    exclude_terms: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    # Slack: the workspace (team id) whose installation posts to it; NULL: AIDAILY_SLACK_BOT_TOKEN.
    workspace: Mapped[str | None] = mapped_column(String(32))


class SlackRevocationRow(Base):
    """When and why a workspace's OAuth installation stopped working (a revoked token, the app
    uninstalled). An installation saved after ``revoked_at`` (a reinstall) is active again."""

    __tablename__ = "slack_revocations"
    __table_args__ = (UniqueConstraint("client_id", "team_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(String(64))  # token_revoked, app_uninstalled, ...
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryRow(Base):
    """The delivery ledger: one message of one day's report for one subscription.

    A row exists from the moment its send starts (``sending``); it becomes ``sent`` with the
    platform's id of the message, or ``failed`` with the reason.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("report_date", "subscription_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_date: Mapped[date] = mapped_column(Date)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(200))
    section: Mapped[str | None] = mapped_column(String(32))
    parent_key: Mapped[str | None] = mapped_column(String(200))
    platform_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    permanent: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryClaimRow(Base):
    """Who is delivering one day's report to one subscription right now: the lease of one live
    delivery run (``holder``), renewed while it works and deleted when it is done.

    A second run waits while ``expires_at`` is in the future; once it has passed (the holder
    died without releasing it), the claim may be taken over.
    """

    __tablename__ = "delivery_claims"

    report_date: Mapped[date] = mapped_column(Date, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(200))  # hostname:pid:run
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RunRow(Base):
    """One run of a scheduled job for one report day; the unique (job, day) is the claim.

    The instance that inserts the row runs the day; a ``running`` row whose heartbeat is older
    than the lease may be taken over (its process died); a ``succeeded`` day never runs again.
    """

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("job", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    instance: Mapped[str] = mapped_column(String(200))  # hostname:pid
    attempts: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # RunSummary.to_json()


class SchedulerJobRow(Base):
    """APScheduler's ``SQLAlchemyJobStore`` table, declared exactly as that class declares it.

    The migration creates it, so the job store's own ``create(checkfirst=True)`` finds it and does
    nothing; a test compares these columns with the job store's. Only APScheduler reads or writes it.
    """

    __tablename__ = "apscheduler_jobs"

    # 191 and 25 are APScheduler's: the longest MySQL utf8mb4 key, and an 8-byte float.
    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class FeedbackVoteRow(Base):
    """One reader's vote on one item (+1 or -1); the item is named by report date and topic key,
    which survive rebuilding the day (its item rows do not)."""

    __tablename__ = "feedback_votes"
    __table_args__ = (UniqueConstraint("report_date", "item_key", "channel", "reader"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_date: Mapped[date] = mapped_column(Date)
    item_key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    reader: Mapped[str] = mapped_column(String(200))  # Slack TEAM:USER, Telegram user id, subscription id
    value: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedbackEventRow(Base):
    """A press already counted, by the platform's id for it: the same press again is a replay."""

    __tablename__ = "feedback_events"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
