"""Readers' votes in the store, on SQLite and PostgreSQL: one vote per item and reader, a press
that changes or clears it, replays counted once, unknown items refused, and what the editor and
``aidaily feedback`` read back.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import article
from fakes.reports import DAY, synthetic_report

from core.models import Channel, Item, ItemRef, Topic, Vote, VoteOutcome, VoteValue
from core.report.rendering.markdown import render_markdown
from core.store.feedback import EVENTS_KEPT

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
UP, DOWN = VoteValue.UP, VoteValue.DOWN


@pytest.fixture
def report():
    return synthetic_report({"research": 3, "tools": 2})


@pytest.fixture
def stored(store, report):
    store.save_report(report, render_markdown(report))
    return store


def first_ref(report) -> ItemRef:
    return ItemRef(report.date, report.items[0].topic_key)


def vote(ref: ItemRef, value: VoteValue, *, reader="T1:U1", channel=Channel.SLACK, event=None, toggle=True):
    return Vote(ref, channel, reader, value, event=event, toggle=toggle)


def test_a_first_vote_is_recorded_with_the_items_title(stored, report):
    receipt = stored.record_vote(vote(first_ref(report), UP, event="e1"), NOW)
    assert receipt.outcome is VoteOutcome.RECORDED and receipt.value is UP
    assert receipt.title == report.items[0].title
    [first, *rest] = stored.item_votes(DAY)
    assert first.item == first_ref(report) and first.by_channel == {Channel.SLACK: (1, 0)}
    assert (first.up, first.down) == (1, 0) and all(v.up == v.down == 0 for v in rest)


def test_the_other_button_changes_the_vote_and_the_same_one_clears_it(stored, report):
    ref = first_ref(report)
    stored.record_vote(vote(ref, UP, event="e1"), NOW)
    changed = stored.record_vote(vote(ref, DOWN, event="e2"), NOW)
    assert (changed.outcome, changed.value) == (VoteOutcome.CHANGED, DOWN)
    assert stored.item_votes(DAY)[0].by_channel == {Channel.SLACK: (0, 1)}
    cleared = stored.record_vote(vote(ref, DOWN, event="e3"), NOW)
    assert (cleared.outcome, cleared.value) == (VoteOutcome.CLEARED, None)
    assert stored.item_votes(DAY)[0].by_channel == {}
    again = stored.record_vote(vote(ref, UP, event="e4"), NOW)
    assert again.outcome is VoteOutcome.RECORDED


def test_a_mail_link_followed_again_keeps_the_vote(stored, report):
    ref = first_ref(report)
    mail = dict(channel=Channel.EMAIL, reader="7", toggle=False)
    assert stored.record_vote(vote(ref, UP, **mail), NOW).outcome is VoteOutcome.RECORDED
    kept = stored.record_vote(vote(ref, UP, **mail), NOW)
    assert (kept.outcome, kept.value) == (VoteOutcome.UNCHANGED, UP)
    assert stored.record_vote(vote(ref, DOWN, **mail), NOW).outcome is VoteOutcome.CHANGED
    assert stored.item_votes(DAY)[0].by_channel == {Channel.EMAIL: (0, 1)}


def test_a_replayed_press_counts_once_even_after_later_presses(stored, report):
    ref = first_ref(report)
    stored.record_vote(vote(ref, UP, event="press-1"), NOW)
    replay = stored.record_vote(vote(ref, UP, event="press-1"), NOW)
    assert (replay.outcome, replay.value) == (VoteOutcome.REPLAYED, UP)
    stored.record_vote(vote(ref, DOWN, event="press-2"), NOW)
    # The first press arriving once more must not flip the vote back.
    assert stored.record_vote(vote(ref, UP, event="press-1"), NOW).outcome is VoteOutcome.REPLAYED
    assert stored.item_votes(DAY)[0].by_channel == {Channel.SLACK: (0, 1)}


def test_event_ids_are_per_channel_and_old_ones_are_pruned(stored, report):
    ref = first_ref(report)
    stored.record_vote(vote(ref, UP, event="42"), NOW)
    other = stored.record_vote(vote(ref, UP, event="42", channel=Channel.TELEGRAM, reader="5550001"), NOW)
    assert other.outcome is VoteOutcome.RECORDED  # a Telegram id 42 is not Slack's 42
    later = NOW + EVENTS_KEPT + timedelta(days=1)
    stored.record_vote(vote(ref, DOWN, event="43"), later)  # prunes press 42 of Slack
    assert stored.record_vote(vote(ref, DOWN, event="42"), later).outcome is VoteOutcome.CLEARED


@pytest.mark.parametrize(
    "ref",
    [
        ItemRef(DAY, "no-such-key"),
        ItemRef(DAY - timedelta(days=1), "research-0"),  # the key exists, on another day
        ItemRef(DAY, "' OR 1=1 --"),
        ItemRef(DAY, "x" * 200),
    ],
)
def test_a_vote_on_an_item_no_report_has_is_refused_and_stores_nothing(stored, ref):
    receipt = stored.record_vote(vote(ref, UP, event=f"e-{ref.key[:20]}"), NOW)
    assert receipt.outcome is VoteOutcome.UNKNOWN_ITEM and receipt.value is None
    assert all(v.up == v.down == 0 for v in stored.item_votes(DAY))
    assert stored.item_votes() == []


def test_readers_and_channels_are_counted_apart(stored, report):
    ref = first_ref(report)
    for reader in ("T1:U1", "T1:U2", "T2:U1"):
        stored.record_vote(vote(ref, UP, reader=reader), NOW)
    stored.record_vote(vote(ref, DOWN, reader="5550001", channel=Channel.TELEGRAM), NOW)
    stored.record_vote(vote(ref, UP, reader="5550001", channel=Channel.EMAIL, toggle=False), NOW)
    [votes] = [v for v in stored.item_votes() if v.item == ref]
    assert votes.by_channel == {Channel.SLACK: (3, 0), Channel.TELEGRAM: (0, 1), Channel.EMAIL: (1, 0)}
    assert (votes.up, votes.down) == (4, 1)


def test_without_a_day_only_voted_items_show_newest_report_first(store, report):
    older = dataclasses.replace(report, date=DAY - timedelta(days=1))
    for r in (older, report):
        store.save_report(r, render_markdown(r))
    store.record_vote(vote(first_ref(older), UP), NOW)
    store.record_vote(vote(ItemRef(DAY, report.items[2].topic_key), DOWN), NOW)
    store.record_vote(vote(first_ref(report), UP), NOW)
    shown = store.item_votes()
    assert [v.item for v in shown] == [
        first_ref(report),
        ItemRef(DAY, report.items[2].topic_key),
        first_ref(older),
    ]
    assert shown[0].title == report.items[0].title and shown[0].section == "research"


def test_votes_outlive_rebuilding_the_day_and_show_when_their_story_is_gone(stored, report):
    ref = first_ref(report)
    stored.record_vote(vote(ref, UP), NOW)
    research = report.section("research")
    rebuilt = dataclasses.replace(
        report,
        sections=tuple(
            dataclasses.replace(s, items=s.items[1:]) if s.key == "research" else s for s in report.sections
        ),
    )
    stored.save_report(rebuilt, render_markdown(rebuilt))
    shown = stored.item_votes(DAY)
    assert shown[-1].item == ref and shown[-1].title is None and shown[-1].up == 1
    assert len(shown) == len(rebuilt.items) + 1
    stored.save_report(report, render_markdown(report))  # the story is back: so is its vote's title
    assert stored.item_votes(DAY)[0].title == research.items[0].title


def test_two_presses_at_once_are_applied_one_after_the_other(stored, report):
    ref = first_ref(report)
    barrier = threading.Barrier(8)
    results = []

    def press(n: int) -> None:
        barrier.wait()
        results.append(stored.record_vote(vote(ref, UP, reader="T1:U1", event=f"p{n}"), NOW).outcome)

    threads = [threading.Thread(target=press, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Eight toggles of 👍 in some order: one records, the rest alternately clear and record.
    assert results.count(VoteOutcome.RECORDED) == 4 and results.count(VoteOutcome.CLEARED) == 4
    assert stored.item_votes(DAY)[0].by_channel == {}


def test_the_editor_reads_voted_items_with_entities_terms_and_sources(store):
    day = date(2026, 11, 20)
    stories = [("The Verge", "Claude ships"), ("TechCrunch", "Anthropic's Claude"), ("TechCrunch", "Claude!")]
    store.add_articles([article(title, source=source) for source, title in stories])
    urls = tuple(article(title, source=source).url for source, title in stories)
    item = Item("research", "Anthropic ships Claude", "Summary.", entities=("Anthropic", "Claude"),
                topic_key="k-claude", article_urls=urls)  # fmt: skip
    quiet = Item("tools", "A tool", "Summary.", topic_key="k-tool")
    report = dataclasses.replace(
        synthetic_report({}),
        date=day,
        sections=tuple(
            dataclasses.replace(s, items={"research": (item,), "tools": (quiet,)}.get(s.key, ()))
            for s in synthetic_report({}).sections
        ),
    )
    store.save_report(report, render_markdown(report))
    store.save_topics(day, [Topic("k-claude", (article("Anthropic ships Claude"),), ("claude", "anthropic"))])
    ref = ItemRef(day, "k-claude")
    for reader in ("a", "b", "c"):
        store.record_vote(vote(ref, UP, reader=reader), NOW)
    store.record_vote(vote(ref, DOWN, reader="d"), NOW)
    store.record_vote(vote(ItemRef(day, "k-tool"), UP, reader="a"), NOW)
    store.record_vote(vote(ItemRef(day, "k-tool"), UP, reader="a"), NOW)  # cleared again

    [voted] = store.voted_items(before=day + timedelta(days=1), days=7)
    assert (voted.item, voted.up, voted.down) == (ref, 3, 1)
    assert voted.entities == ("Anthropic", "Claude") and voted.terms == ("claude", "anthropic")
    assert voted.sources == ("The Verge", "TechCrunch")
    assert store.voted_items(before=day, days=7) == []  # only days before the one being built
    assert store.voted_items(before=day + timedelta(days=9), days=7) == []  # and within the window
