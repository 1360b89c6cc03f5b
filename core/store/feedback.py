"""Readers' votes in the store: one vote per item and reader, changed or cleared by later presses.

``record_vote`` applies one press: a first vote is recorded; the other value changes it; the
value in force pressed again clears it when the press toggles (chat buttons, as reactions do)
and leaves it when it does not (mail links, which scanners and second clicks open again). A
press that carries the platform's id for it (``Vote.event``) counts once: the id is written
first, so a redelivered or replayed press finds it and changes nothing. A vote on an item no
stored report has is refused.

Every call writes before it reads what it changes (the event row, or the vote row with ON
CONFLICT DO NOTHING, then the vote row ``FOR UPDATE``), so two presses at once are applied one
after the other on PostgreSQL, and SQLite's write lock is held from the first write on.

``item_votes`` counts the votes by item and channel (``aidaily feedback``); ``voted_items``
gives the editor what readers liked and disliked, with what later stories are compared by:
the items' entities, their topics' terms and the feeds of their articles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.models import (
    Channel,
    ItemRef,
    ItemVotes,
    Vote,
    VotedItem,
    VoteOutcome,
    VoteReceipt,
    VoteValue,
)
from core.store.tables import (
    ArticleRow,
    FeedbackEventRow,
    FeedbackVoteRow,
    ReportItemArticleRow,
    ReportItemRow,
    ReportRow,
    TopicRow,
)

#: How long a counted press is remembered. Slack refuses requests signed over five minutes ago
#: and Telegram redelivers a webhook update within hours; months leave a wide margin.
EVENTS_KEPT = timedelta(days=90)

_V = FeedbackVoteRow


def record_vote(conn: Connection, vote: Vote, now: datetime) -> VoteReceipt:
    """Apply ``vote`` (see the module docstring) and say what it did."""
    if vote.event is not None and not _first_press(conn, vote.channel, vote.event, now):
        return VoteReceipt(VoteOutcome.REPLAYED, _value(conn, vote), _title(conn, vote.item) or "")
    title = _title(conn, vote.item)
    if title is None:
        return VoteReceipt(VoteOutcome.UNKNOWN_ITEM)
    current = _insert_or_lock(conn, vote, now)
    if current is None:
        return VoteReceipt(VoteOutcome.RECORDED, vote.value, title)
    if current is vote.value:
        if not vote.toggle:
            return VoteReceipt(VoteOutcome.UNCHANGED, current, title)
        conn.execute(delete(_V).where(*_of(vote)))
        return VoteReceipt(VoteOutcome.CLEARED, None, title)
    conn.execute(update(_V).where(*_of(vote)).values(value=vote.value.sign, updated_at=now))
    return VoteReceipt(VoteOutcome.CHANGED, vote.value, title)


def _first_press(conn: Connection, channel: Channel, event: str, now: datetime) -> bool:
    """Record the press ``event``; False when it was recorded before (a replay)."""
    values = {"channel": channel.value, "event": event, "created_at": now}
    statement = _dialect(conn).insert(FeedbackEventRow).values(values).on_conflict_do_nothing()
    # RETURNING, not rowcount: drivers do not agree on the rowcount of an INSERT.
    first = conn.execute(statement.returning(FeedbackEventRow.event)).first() is not None
    if first:
        conn.execute(delete(FeedbackEventRow).where(FeedbackEventRow.created_at < now - EVENTS_KEPT))
    return first


def _insert_or_lock(conn: Connection, vote: Vote, now: datetime) -> VoteValue | None:
    """None when ``vote`` is the reader's first on the item (and is now stored); else their vote
    in force, its row locked. A row that a concurrent press cleared between our insert and our
    lock is gone: then the insert is tried again."""
    while True:
        if _insert(conn, vote, now):
            return None
        current = _value(conn, vote, lock=True)
        if current is not None:
            return current


def _insert(conn: Connection, vote: Vote, now: datetime) -> bool:
    """The reader's first vote on the item; False (nothing written) when they have one."""
    values = {
        "report_date": vote.item.date,
        "item_key": vote.item.key,
        "channel": vote.channel.value,
        "reader": vote.reader,
        "value": vote.value.sign,
        "created_at": now,
        "updated_at": now,
    }
    statement = _dialect(conn).insert(_V).values(values).on_conflict_do_nothing()
    return conn.execute(statement.returning(_V.id)).first() is not None


def _value(conn: Connection, vote: Vote, *, lock: bool = False) -> VoteValue | None:
    """The reader's vote on the item now; ``lock``: and keep others from changing it meanwhile."""
    query = select(_V.value).where(*_of(vote))
    sign = conn.execute(query.with_for_update() if lock else query).scalar()
    return None if sign is None else (VoteValue.UP if sign > 0 else VoteValue.DOWN)


def _title(conn: Connection, ref: ItemRef) -> str | None:
    query = (
        select(ReportItemRow.title)
        .join(ReportRow, ReportRow.id == ReportItemRow.report_id)
        .where(ReportRow.date == ref.date, ReportItemRow.topic_key == ref.key)
        .limit(1)
    )
    return conn.execute(query).scalar()


def _of(vote: Vote) -> tuple[ColumnElement[bool], ...]:
    return (
        _V.report_date == vote.item.date,
        _V.item_key == vote.item.key,
        _V.channel == vote.channel.value,
        _V.reader == vote.reader,
    )


def _dialect(conn: Connection):
    return postgresql if conn.dialect.name == "postgresql" else sqlite


# --- reading votes back ----------------------------------------------------------------------


def _counts(conn: Connection, *where) -> dict[ItemRef, dict[Channel, tuple[int, int]]]:
    """(up, down) per item and channel."""
    up = func.sum(case((_V.value > 0, 1), else_=0))
    down = func.sum(case((_V.value < 0, 1), else_=0))
    query = select(_V.report_date, _V.item_key, _V.channel, up, down).where(*where)
    query = query.group_by(_V.report_date, _V.item_key, _V.channel)
    counts: dict[ItemRef, dict[Channel, tuple[int, int]]] = defaultdict(dict)
    for day, key, channel, ups, downs in conn.execute(query):
        counts[ItemRef(day, key)][Channel(channel)] = (int(ups), int(downs))
    return counts


def item_votes(conn: Connection, day: date | None = None) -> list[ItemVotes]:
    """With ``day``: every item of that day's report in report order, voted on or not, then votes
    on items it no longer has. Without: every item with a vote, newest report first."""
    counts = _counts(conn, *([_V.report_date == day] if day is not None else []))
    days = {day} if day is not None else {ref.date for ref in counts}
    items = _items(conn, days)
    shown = [ref for ref in items if day is not None or ref in counts]  # newest report first
    gone = sorted((ref for ref in counts if ref not in items), key=lambda r: (-r.date.toordinal(), r.key))
    return [
        ItemVotes(ref, *items.get(ref, (None, None)), by_channel=counts.get(ref, {})) for ref in shown + gone
    ]


def _items(conn: Connection, days: Iterable[date]) -> dict[ItemRef, tuple[str, str]]:
    """(title, section) of every item of the reports of ``days``, in report order."""
    query = (
        select(ReportRow.date, ReportItemRow.topic_key, ReportItemRow.title, ReportItemRow.section)
        .join(ReportRow, ReportRow.id == ReportItemRow.report_id)
        .where(ReportRow.date.in_(list(days)))
        .order_by(ReportRow.date.desc(), ReportItemRow.position)
    )
    found: dict[ItemRef, tuple[str, str]] = {}
    for day, key, title, section in conn.execute(query):
        found.setdefault(ItemRef(day, key), (title, section))
    return found


def voted_items(conn: Connection, before: date, days: int) -> list[VotedItem]:
    """The items of reports dated in [before - days, before) that readers voted on, with their
    entities, terms and sources, newest report first; items no longer stored are left out."""
    window = (_V.report_date >= before - timedelta(days=days), _V.report_date < before)
    totals = {ref: _sum(by_channel) for ref, by_channel in _counts(conn, *window).items()}
    if not totals:
        return []
    features = _features(conn, {ref.date for ref in totals}, {ref.key for ref in totals})
    return [
        VotedItem(ref, up, down, *features[ref])
        for ref, (up, down) in sorted(
            totals.items(), key=lambda pair: (-pair[0].date.toordinal(), pair[0].key)
        )
        if ref in features and (up or down)
    ]


def _sum(by_channel: dict[Channel, tuple[int, int]]) -> tuple[int, int]:
    return sum(u for u, _ in by_channel.values()), sum(d for _, d in by_channel.values())


def _features(
    conn: Connection, days: set[date], keys: set[str]
) -> dict[ItemRef, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    """(entities, terms, sources) of the stored items among ``days`` x ``keys``."""
    query = (
        select(ReportItemRow.id, ReportRow.date, ReportItemRow.topic_key, ReportItemRow.entities)
        .join(ReportRow, ReportRow.id == ReportItemRow.report_id)
        .where(ReportRow.date.in_(list(days)), ReportItemRow.topic_key.in_(list(keys)))
    )
    rows = {row.id: row for row in conn.execute(query)}
    sources = _sources(conn, list(rows))
    terms = {
        ItemRef(day, key): tuple(found)
        for day, key, found in conn.execute(
            select(TopicRow.report_date, TopicRow.key, TopicRow.terms).where(
                TopicRow.report_date.in_(list(days)), TopicRow.key.in_(list(keys))
            )
        )
    }
    features = {}
    for id_, row in rows.items():
        ref = ItemRef(row.date, row.topic_key)
        features.setdefault(ref, (tuple(row.entities), terms.get(ref, ()), sources.get(id_, ())))
    return features


def _sources(conn: Connection, item_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The feeds of each item's stored articles (an imported report's items have none)."""
    query = (
        select(ReportItemArticleRow.item_id, ArticleRow.source)
        .join(ArticleRow, ArticleRow.url == ReportItemArticleRow.url)
        .where(ReportItemArticleRow.item_id.in_(item_ids))
        .order_by(ReportItemArticleRow.item_id, ReportItemArticleRow.position)
    )
    found: dict[int, dict[str, None]] = defaultdict(dict)
    for item_id, source in conn.execute(query):
        found[item_id][source] = None
    return {item_id: tuple(names) for item_id, names in found.items()}
