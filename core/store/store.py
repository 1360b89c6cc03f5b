"""The ``Store``: one object the pipeline, the CLI and the bot use to read and write the database.

Each method runs in its own transaction and speaks only ``core.models`` values. The work is
done by the modules beside this one (sources, articles, topics, reports); this facade opens
the database, migrates it, and hands each call a connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from core.models import (
    Article,
    Channel,
    ChannelCounts,
    DeliveryRecord,
    FetchResult,
    ItemVotes,
    Report,
    Run,
    RunSummary,
    SeenKeys,
    SourceConfig,
    SourceHealth,
    SourceState,
    StoredItem,
    Subscription,
    SubscriptionStatus,
    Topic,
    Vote,
    VotedItem,
    VoteReceipt,
    WriterStats,
)
from core.store import (
    archive,
    articles,
    feedback,
    ledger,
    reports,
    runs,
    sources,
    subscriptions,
    topics,
    writer,
)
from core.store.archive import ReportSummary, StoreCounts
from core.store.db import StoreError, describe, migrate, open_engine, redact
from core.store.report_items import ReportedItem, reported_items
from core.store.slack_workspaces import SlackWorkspaces


class Store:
    """Articles, feeds, topics and reports in SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        """Open the database at ``url`` and migrate it; ``StoreError`` if it cannot be used."""
        engine = open_engine(url)
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._failing_as_store_error(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._failing_as_store_error(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _failing_as_store_error(self) -> Iterator[None]:
        # Operational failures (server gone, SQLite file locked for too long) are the user's to
        # fix; other database errors are bugs and keep their traceback.
        try:
            yield
        except OperationalError as exc:
            raise StoreError(f"database {redact(self.engine.url)} failed: {describe(exc)}") from exc

    # Feeds

    def sync_sources(self, configured: Sequence[SourceConfig]) -> None:
        """Make the stored feeds mirror the configuration (unchanged feeds keep their state)."""
        with self._write() as conn:
            sources.sync_sources(conn, configured)

    def source_states(self) -> dict[str, SourceState]:
        """Conditional-GET validators by source name."""
        with self._read() as conn:
            return sources.source_states(conn)

    def record_fetch(
        self, result: FetchResult, items: int, error: str | None, warning: str | None = None
    ) -> None:
        """Remember a fetch; etag and Last-Modified change only on a clean 200."""
        with self._write() as conn:
            sources.record_fetch(conn, result, items, error, warning)

    def source_health(self) -> list[SourceHealth]:
        """Every stored feed with its last fetch and its number of stored articles."""
        with self._read() as conn:
            return sources.source_health(conn)

    # Articles and topics

    def seen_keys(self, urls: Iterable[str], arxiv_ids: Iterable[str], title_keys: Iterable[str]) -> SeenKeys:
        """Which of the given keys some stored article already has."""
        with self._read() as conn:
            return articles.seen_keys(conn, urls, arxiv_ids, title_keys)

    def add_articles(self, new: Sequence[Article]) -> list[Article]:
        """Insert articles whose URL is not stored yet; return the inserted ones with ids."""
        with self._write() as conn:
            return articles.add_articles(conn, new)

    def articles_between(self, start: datetime, end: datetime) -> list[Article]:
        """Articles published in [start, end), oldest first."""
        with self._read() as conn:
            return articles.articles_between(conn, start, end)

    def save_topics(self, day: date, found: Sequence[Topic]) -> None:
        """Replace the topics found for the report of ``day``."""
        with self._write() as conn:
            topics.save_topics(conn, day, found)

    def get_topics(self, day: date) -> list[Topic]:
        """The topics saved for ``day``, in saved order."""
        with self._read() as conn:
            return topics.topics_of(conn, day)

    # Reports

    def save_report(self, report: Report, markdown: str) -> int:
        """Store the report of ``report.date`` (replacing any) and return its id."""
        with self._write() as conn:
            return reports.save_report(conn, report, markdown)

    def get_report(self, day: date) -> Report | None:
        with self._read() as conn:
            return reports.get_report(conn, day)

    def get_markdown(self, day: date) -> str | None:
        with self._read() as conn:
            return reports.get_markdown(conn, day)

    def report_dates(self) -> list[date]:
        """Dates of stored reports, newest first."""
        with self._read() as conn:
            return reports.report_dates(conn)

    def earlier_items(self, before: date, days: int = 7) -> list[StoredItem]:
        """Items of reports dated in [before - days, before), with their article URLs."""
        with self._read() as conn:
            return reports.earlier_items(conn, before, days)

    def reported_article_urls(self, before: date, days: int = 7) -> dict[str, int]:
        """Article URL -> item id, for articles cited by reports in [before - days, before)."""
        with self._read() as conn:
            return reports.reported_article_urls(conn, before, days)

    def reported_items(self, day: date | None = None) -> list[ReportedItem]:
        """Every stored item (or the items of ``day``'s report) with its report's date and title,
        newest report first (for the bot)."""
        with self._read() as conn:
            return reported_items(conn, day)

    def item_article_texts(self) -> dict[int, str]:
        """Item id -> the text of the articles behind it (for the bot's search index)."""
        from core.store.report_items import article_texts

        with self._read() as conn:
            return article_texts(conn)

    def items_fingerprint(self) -> tuple[int, int, int, str]:
        """A cheap value that changes whenever the stored items change (for cached search indexes)."""
        from core.store.report_items import fingerprint

        with self._read() as conn:
            return fingerprint(conn)

    # The web archive and metrics (read-only)

    def report_summaries(self, limit: int, offset: int = 0) -> list[ReportSummary]:
        """Reports newest first without their items: a page of the archive index or the feed."""
        with self._read() as conn:
            return archive.report_summaries(conn, limit, offset)

    def report_count(self) -> int:
        with self._read() as conn:
            return archive.report_count(conn)

    def report_updated_at(self, day: date) -> datetime | None:
        """When the report of ``day`` was last saved (None: there is none); cheap, for revalidation."""
        with self._read() as conn:
            return archive.updated_at(conn, day)

    def latest_report_date(self) -> date | None:
        with self._read() as conn:
            return archive.latest_report_date(conn)

    def report_neighbours(self, day: date) -> tuple[date | None, date | None]:
        """The dates of the stored reports just before and just after ``day``."""
        with self._read() as conn:
            return archive.neighbours(conn, day)

    def store_counts(self) -> StoreCounts:
        """Counts of reports, articles, subscriptions and the latest day's deliveries (``/metrics``)."""
        with self._read() as conn:
            return archive.store_counts(conn)

    # The report writer: cached model answers and what each report cost

    def cached_response(self, key: str) -> dict[str, Any] | None:
        """The model answer cached under ``key``, or None."""
        with self._read() as conn:
            return writer.cached_response(conn, key)

    def cache_response(self, key: str, model: str, response: dict[str, Any]) -> None:
        """Cache a validated model answer (the first answer for a key is kept)."""
        with self._write() as conn:
            writer.cache_response(conn, key, model, response)

    def save_stats(self, day: date, stats: WriterStats) -> None:
        """Replace the writer stats of the stored report of ``day``."""
        with self._write() as conn:
            writer.save_stats(conn, day, stats)

    def get_stats(self, day: date) -> WriterStats | None:
        """The writer stats of the report of ``day``, or None."""
        with self._read() as conn:
            return writer.get_stats(conn, day)

    # Subscriptions and the delivery ledger

    def add_subscription(self, new: Subscription) -> tuple[Subscription, bool]:
        """Add ``new`` or update the one at its address; returns it (with id) and whether it is new."""
        with self._write() as conn:
            return subscriptions.add_subscription(conn, new)

    def subscriptions(
        self, channel: Channel | None = None, status: SubscriptionStatus | None = None
    ) -> list[Subscription]:
        """Subscriptions in the order they were added, optionally of one channel or status."""
        with self._read() as conn:
            return subscriptions.list_subscriptions(conn, channel, status)

    def iter_subscriptions(
        self, channel: Channel | None = None, status: SubscriptionStatus | None = None, *, page: int = 500
    ) -> Iterator[Subscription]:
        """Like ``subscriptions`` but read a page at a time: memory stays flat however long the list."""
        after = 0
        while True:
            with self._read() as conn:
                batch = subscriptions.list_subscriptions(conn, channel, status, after_id=after, limit=page)
            yield from batch
            if len(batch) < page:
                return
            after = batch[-1].id or after

    def get_subscription(self, id_: int) -> Subscription | None:
        with self._read() as conn:
            return subscriptions.get_subscription(conn, id_)

    def subscriptions_by_id(self, ids: Sequence[int]) -> list[Subscription]:
        """The subscriptions among ``ids`` that still exist, in id order (a delivery batch)."""
        with self._read() as conn:
            return subscriptions.subscriptions_by_id(conn, list(ids))

    def find_subscription(
        self, channel: Channel, address: str, thread: str | None = None
    ) -> Subscription | None:
        with self._read() as conn:
            return subscriptions.find_subscription(conn, channel, address, thread)

    def remove_subscription(self, id_: int) -> bool:
        """Delete a subscription and its ledger entries; False if there was none."""
        with self._write() as conn:
            return subscriptions.remove_subscription(conn, id_)

    def set_subscription_status(self, id_: int, status: SubscriptionStatus) -> bool:
        with self._write() as conn:
            return subscriptions.set_status(conn, id_, status)

    def slack_workspaces(self, client_id: str, token_key: str | None = None) -> SlackWorkspaces:
        """The Slack app's OAuth installations, by workspace, with their revocations."""
        return SlackWorkspaces(self.engine, client_id, token_key)

    @property
    def ledger(self) -> ledger.DeliveryLedger:
        """The delivery ledger, as ``delivery.dispatch`` uses it."""
        return ledger.DeliveryLedger(self._read, self._write)

    def delivery_records(self, day: date) -> list[DeliveryRecord]:
        """Every ledger entry of ``day``, by subscription, in send order."""
        with self._read() as conn:
            return ledger.records(conn, day)

    def find_sent(self, channel: Channel, address: str, platform_id: str) -> DeliveryRecord | None:
        """The delivered message ``platform_id`` in the chat ``address``, if we sent it."""
        with self._read() as conn:
            return ledger.find_sent(conn, channel, address, platform_id)

    def delivery_counts(self, day: date, since: datetime) -> dict[str, ChannelCounts]:
        """Per channel: ``day``'s messages sent and failed since ``since``, and sent before it."""
        with self._read() as conn:
            return ledger.counts(conn, day, since)

    def latest_delivery_day(self) -> date | None:
        with self._read() as conn:
            return ledger.latest_day(conn)

    # Readers' votes on items

    def record_vote(self, vote: Vote, now: datetime) -> VoteReceipt:
        """Apply one press of 👍 or 👎 (``core.store.feedback``) and say what it did."""
        with self._write() as conn:
            return feedback.record_vote(conn, vote, now)

    def item_votes(self, day: date | None = None) -> list[ItemVotes]:
        """Votes by item and channel: of ``day``'s report (every item), or of every voted item."""
        with self._read() as conn:
            return feedback.item_votes(conn, day)

    def voted_items(self, before: date, days: int = 30) -> list[VotedItem]:
        """Items of reports in [before - days, before) that readers voted on (for the editor)."""
        with self._read() as conn:
            return feedback.voted_items(conn, before, days)

    # Scheduled runs (core/service): the claim that makes a day run once, and its summary

    def claim_run(self, job: str, day: date, instance: str, now: datetime, lease: timedelta) -> Run | None:
        """Claim ``job`` for ``day``: the run if this instance is to run it, else None."""
        with self._write() as conn:
            return runs.claim(conn, job, day, instance, now, lease)

    def heartbeat_run(self, run_id: int, instance: str, now: datetime) -> bool:
        """Keep a claim alive; False once another instance has taken it over."""
        with self._write() as conn:
            return runs.heartbeat(conn, run_id, instance, now)

    def finish_run(
        self, run_id: int, instance: str, now: datetime, summary: RunSummary, error: str | None = None
    ) -> bool:
        """Record a run as succeeded (no ``error``) or failed, with its summary."""
        with self._write() as conn:
            return runs.finish(conn, run_id, instance, now, summary, error)

    def get_run(self, job: str, day: date) -> Run | None:
        with self._read() as conn:
            return runs.get(conn, job, day)

    def recent_runs(self, limit: int = 20, job: str | None = None) -> list[Run]:
        """The newest runs first."""
        with self._read() as conn:
            return runs.recent(conn, limit, job)
