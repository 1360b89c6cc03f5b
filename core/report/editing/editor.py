"""The editor: which topics make the report, in which section, how important, in what order.

Pure rules over the topics' own text and evidence, no model and no clock:

- relevance: a weighted AI lexicon (English and Chinese); title words count double and summary
  words are diluted by length, so an "AI" in passing does not make a long story about something
  else relevant. arXiv papers are relevant by default.
- repeats: a topic whose articles all appeared in an earlier report is dropped; one that
  continues an earlier item with new articles is kept and marked as a follow-up.
- section: cue words per section; the day's strongest stories (importance 極高 or 高) go to Top
  Headlines instead, so each story appears exactly once.
- importance: evidence only — how many outlets, how weighty, which major players, how much AI.
  Text inside an article can never promote it: words like "Top Headlines" or "極高" are not cues.

Word lists live in :mod:`core.report.editing.lexicon`; entity extraction (:func:`extract_entities`) is
public so the writers and the bot can reuse it.

Relevance, section and importance are ruled in :mod:`core.report.editing.rules`, repeats in
:mod:`core.report.editing.history`, entities in :mod:`core.report.editing.entities`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.models import ITEM_SECTION_KEYS, EditedTopic, Importance, Item, StoredItem, Topic, VotedItem
from core.report.editing.cluster import merge_duplicates
from core.report.editing.entities import extract_entities
from core.report.editing.events import read_event, section_for
from core.report.editing.history import History, news_first
from core.report.editing.rules import (
    IMPORTANCE_THRESHOLDS,
    RELEVANCE_THRESHOLD,
    evidence_line,
    evidence_score,
    importance_of,
    major_players,
    read_topic,
    relevance,
    section_of,
    text_relevance,
)
from core.report.editing.taste import Taste, rescored, within_a_step

__all__ = [
    "HEADLINE_IMPORTANCE",
    "IMPORTANCE_THRESHOLDS",
    "RELEVANCE_THRESHOLD",
    "Edition",
    "edit",
    "edit_day",
    "extract_entities",
    "importance_of",
    "reconcile_section",
    "relevance",
    "with_suggested_headlines",
]


HEADLINE_IMPORTANCE = frozenset({Importance.CRITICAL, Importance.HIGH})
#: From this many kept topics on, importance is ranked against the day, not an absolute bar.
DAY_SIZE = 10
MIN_HEADLINES = 3
HEADLINE_SHARE = 5  # at most one story in five leads, past the first three
# Shares of the day's topics, strongest first, that get each label after the headlines' 高.
_DAY_SHARES = ((0.10, Importance.HIGH), (0.35, Importance.MEDIUM_HIGH), (0.75, Importance.MEDIUM))


def _entities(topic: Topic) -> tuple[str, ...]:
    texts = [a.title for a in topic.articles] + [a.summary for a in topic.articles]
    return extract_entities(texts, outlets=[a.source for a in topic.articles] * 2)


#: Why a topic of the day is not in the report (``Edition.left_out``), as ``show --stats`` says it.
OFF_TOPIC = "off_topic"
TOLD_BEFORE = "told_before"


@dataclass(frozen=True, slots=True)
class Edition:
    """The editor's verdict on a day: the items, the stories past a section's cap, what was left out."""

    items: list[EditedTopic]
    overflow: list[EditedTopic] = field(default_factory=list)  # listed in one line, in report order
    left_out: Counter[str] = field(default_factory=Counter)  # reason -> topics


def edit(
    topics: Sequence[Topic],
    *,
    earlier: Sequence[StoredItem] = (),
    votes: Sequence[VotedItem] = (),
    language: str = "zh-TW",
    max_per_section: int = 12,
    max_headlines: int = 6,
) -> list[EditedTopic]:
    """The topics that make the report as items, each in exactly one section, in report order."""
    return edit_day(
        topics,
        earlier=earlier,
        votes=votes,
        language=language,
        max_per_section=max_per_section,
        max_headlines=max_headlines,
    ).items


def edit_day(
    topics: Sequence[Topic],
    *,
    earlier: Sequence[StoredItem] = (),
    votes: Sequence[VotedItem] = (),
    language: str = "zh-TW",
    max_per_section: int = 12,
    max_headlines: int = 6,
) -> Edition:
    """The day's edition: items, overflow and the count of what was left out, and why.

    Sections follow ``ITEM_SECTION_KEYS``; inside one, by importance, then score, then topic key.
    Each section keeps at most ``max_per_section`` topics as items, Top Headlines at most
    ``max_headlines``; the rest of an on-topic section is its overflow, never dropped. ``votes``,
    readers' votes on earlier items, raise stories like the liked ones, within the bound of
    :mod:`core.report.editing.taste`.
    """
    kept: list[EditedTopic] = []
    left_out: Counter[str] = Counter()
    history = History(earlier)
    # Sorted by key first, so that the same topics in any order make the same report.
    for topic in merge_duplicates(sorted(topics, key=lambda t: t.key)):
        edited = _edit_one(topic, history, language)
        if isinstance(edited, str):
            left_out[edited] += 1
        else:
            kept.append(edited)
    if len(kept) >= DAY_SIZE:
        kept = _relative_importance(kept)
    kept = _with_headlines(kept, min(max_headlines, max_per_section))
    kept = _with_taste(kept, Taste.of(votes))
    items, overflow = _ordered(kept, max_per_section)
    return Edition(items, overflow, left_out)


def _edit_one(topic: Topic, history: History, language: str) -> EditedTopic | str:
    """The topic with its section, importance and evidence, or why it is left out."""
    reading = read_topic(topic)
    relevance_score = text_relevance(reading)
    if relevance_score < RELEVANCE_THRESHOLD:
        return OFF_TOPIC
    entities = _entities(topic)
    reported, follow_up = history.verdict(topic, entities)
    if reported:
        return TOLD_BEFORE
    if follow_up is not None:
        topic = news_first(topic, history.reported)
    majors = major_players(reading)
    score = round(evidence_score(reading, majors, relevance_score), 4)
    event = read_event(topic)
    headline = topic.articles[0].title if topic.articles else ""
    return EditedTopic(
        topic=topic,
        section=section_for(event, headline) or section_of(reading),
        importance=importance_of(score),
        score=score,
        reason=evidence_line(topic, majors, language),
        entities=entities,
        follow_up=follow_up,
        event=event,
    )


def _relative_importance(kept: list[EditedTopic]) -> list[EditedTopic]:
    """Labels by rank within the day: a quiet day still has its 高, a busy one its 低.

    极高 stays absolute (evidence few stories ever reach); below it, the strongest tenth is 高,
    then 中‑高 to the 35th percentile, 中 to the 75th, and 低 for the rest.
    """
    ranked = sorted(kept, key=lambda e: (-e.score, e.topic.key))
    labels: dict[str, Importance] = {}
    for position, edited in enumerate(ranked):
        share = position / len(ranked)
        label = next((lab for bound, lab in _DAY_SHARES if share < bound), Importance.LOW)
        labels[edited.topic.key] = Importance.CRITICAL if edited.importance is Importance.CRITICAL else label
    return [dataclasses.replace(e, importance=labels[e.topic.key]) for e in kept]


def _with_taste(kept: list[EditedTopic], taste: Taste) -> list[EditedTopic]:
    """Scores moved by readers' taste, and the labels the day gives them held within a step of
    the evidence's (``core.report.editing.taste``); the sections, headlines included, stay."""
    if not taste:
        return kept
    tasted = [rescored(e, bonus, importance_of(e.score + bonus)) for e in kept for bonus in [taste.bonus(e)]]
    if len(kept) >= DAY_SIZE:
        tasted = _relative_importance(tasted)
    return [within_a_step(t, e) for t, e in zip(tasted, kept, strict=True)]


def _with_headlines(kept: list[EditedTopic], limit: int) -> list[EditedTopic]:
    """The day's strongest stories move to Top Headlines (and so leave their own section).

    On a day of ``DAY_SIZE`` topics or more there are always ``MIN_HEADLINES`` to ``limit``:
    the strongest three, and after them those within a fifth of the third's score; on a smaller
    day only stories of 高 or more lead.
    """
    ranked = sorted(kept, key=_rank)
    if len(kept) >= DAY_SIZE:
        # Past the first three, a headline must be near them and the section stay a fifth of
        # the day at most: on a day of sixteen stories, six "top" stories are not a top.
        limit = min(limit, max(MIN_HEADLINES, len(kept) // HEADLINE_SHARE))
        bar = 0.8 * ranked[MIN_HEADLINES - 1].score
        heads = ranked[:MIN_HEADLINES] + [e for e in ranked[MIN_HEADLINES:limit] if e.score >= bar]
        heads = [
            dataclasses.replace(e, importance=min(e.importance, Importance.HIGH, key=_label_rank))
            for e in heads
        ]
        chosen = {e.topic.key: e for e in heads}
        return [
            dataclasses.replace(chosen[e.topic.key], section="top_headlines") if e.topic.key in chosen else e
            for e in kept
        ]
    eligible = [e for e in ranked if e.importance in HEADLINE_IMPORTANCE]
    chosen = {e.topic.key for e in eligible[:limit]}
    return [dataclasses.replace(e, section="top_headlines") if e.topic.key in chosen else e for e in kept]


def reconcile_section(edited: EditedTopic, suggested: str) -> str:
    """The section of an item once its writer (an LLM) suggested one.

    The model reads the whole story where our event reading saw only a verb: its section is
    taken when our reading of the event was not sure (or its kind does not decide the section),
    or when both agree; a sure reading that disagrees wins, since a funding round is market
    news whatever the model thinks. Top Headlines stays the editor's (``with_suggested_headlines``
    only adds to it), and a key that is no item section is ignored.
    """
    if (
        edited.section == "top_headlines"
        or suggested not in ITEM_SECTION_KEYS
        or suggested == "top_headlines"
    ):
        return edited.section
    headline = edited.topic.articles[0].title if edited.topic.articles else ""
    by_kind = section_for(edited.event, headline)
    return suggested if by_kind is None or by_kind == suggested else edited.section


def with_suggested_headlines(
    items: Sequence[Item], *, max_headlines: int = 6, max_per_section: int = 12
) -> list[Item]:
    """Items its writer called headline news join Top Headlines, within the editor's bounds.

    The editor's own headlines stay. Suggested items (never 低) are promoted most important
    first while Top Headlines has room: up to ``max_headlines`` on a day of ``DAY_SIZE`` items
    or more, up to ``MIN_HEADLINES`` on a smaller day, so a model can fill an empty 今日焦點 but
    not turn the report into one. A promoted item is at least 高, as every headline is. The items
    come back in report order (``_in_report_order``).
    """
    limit = min(max_headlines, max_per_section)
    # The editor's own bound: at most one story in five leads past the first three.
    bound = (
        min(limit, max(MIN_HEADLINES, len(items) // HEADLINE_SHARE))
        if len(items) >= DAY_SIZE
        else MIN_HEADLINES
    )
    room = min(bound, limit) - sum(1 for i in items if i.section == "top_headlines")
    candidates = [
        (position, item)
        for position, item in enumerate(items)
        if item.headline_suggested
        and item.section != "top_headlines"
        and item.importance is not Importance.LOW
    ]
    candidates.sort(key=lambda pair: (pair[1].importance.rank, pair[0]))
    chosen = {position for position, _ in candidates[: max(room, 0)]}
    promoted = [
        dataclasses.replace(
            item, section="top_headlines", importance=min(item.importance, Importance.HIGH, key=_label_rank)
        )
        if position in chosen
        else item
        for position, item in enumerate(items)
    ]
    return _in_report_order(promoted)


def _in_report_order(items: list[Item]) -> list[Item]:
    """Sections in report order, most important first inside each: an item the writer moved
    (a promoted headline, a section the model suggested) takes its rank in its new section.
    The sort is stable, so equal labels keep the editor's order (by score)."""
    order = {key: i for i, key in enumerate(ITEM_SECTION_KEYS)}
    return sorted(items, key=lambda item: (order.get(item.section, len(order)), item.importance.rank))


def _label_rank(label: Importance) -> int:
    return label.rank


def _rank(edited: EditedTopic) -> tuple[int, float, str]:
    return (edited.importance.rank, -edited.score, edited.topic.key)


def _ordered(kept: list[EditedTopic], limit: int) -> tuple[list[EditedTopic], list[EditedTopic]]:
    items: list[EditedTopic] = []
    overflow: list[EditedTopic] = []
    for key in ITEM_SECTION_KEYS:
        ranked = sorted((e for e in kept if e.section == key), key=_rank)
        items.extend(ranked[:limit])
        overflow.extend(ranked[limit:])
    return items, overflow
