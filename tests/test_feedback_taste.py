"""Readers' votes in the editor: stories like the ones voted up rank higher on later days, those
like the ones voted down lower, and never by more than the bound of ``core.report.editing.taste``
(a score bonus of at most 1.0, one importance step, no 極高, no new headline).
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import NOON, article, topic

from core.models import Channel, Importance, ItemRef, Vote, VotedItem, VoteOutcome, VoteValue
from core.pipeline import build
from core.report.editing.editor import DAY_SIZE, edit_day
from core.report.editing.taste import MAX_BONUS, Taste
from core.report.window import report_window
from core.report.writing.summarize import ExtractiveSummarizer

DAY = date(2026, 11, 21)
COMPANIES = ("Anthropic", "Mistral", "Cohere", "Nvidia", "Alibaba", "Baidu", "Samsung", "Adobe")
SOURCES = ("TechCrunch", "The Verge", "VentureBeat", "AI Business", "Reuters", "量子位")
PRODUCTS = ("coding agent", "AI model", "speech model", "vision model", "AI chip", "AI assistant")


def story(company: str, product: str, n: int, sources: tuple[str, ...], *, weight: float = 1.0):
    """One story told by ``sources``: ``company`` releases an AI ``product``."""
    return topic(
        *(
            article(
                f"{company} releases {product} {n} for enterprise AI developers",
                f"{company} announced a new {product} for developers; the AI company said the model "
                f"improves accuracy on standard benchmarks and ships through its API today.",
                source=source,
                weight=weight,
                minutes=n,
            )
            for source in sources
        ),
        terms=(company.lower(), *product.split()),
    )


def liked(*entities: str, up: int = 1, down: int = 0, sources=(), terms=()) -> VotedItem:
    return VotedItem(ItemRef(DAY, f"voted-{'-'.join(entities)}"), up, down, entities, terms, sources)


def ranked(edition, section: str) -> list[str]:
    return [e.topic.key for e in edition.items if e.section == section]


def everything(edition):
    return {e.topic.key: e for e in [*edition.items, *edition.overflow]}


# --- the taste of one story ----------------------------------------------------------------------


def test_a_story_like_a_liked_one_gets_a_bonus_and_an_unlike_one_none():
    [anthropic, mistral] = [
        e.items[0]
        for e in (edit_day([story(c, "coding agent", 1, ("Reuters",))]) for c in ("Anthropic", "Mistral"))
    ]
    taste = Taste.of([liked("Anthropic", sources=("TechCrunch",))])
    assert 0 < taste.bonus(anthropic) <= MAX_BONUS
    assert taste.bonus(mistral) == 0.0
    disliked = Taste.of([liked("Anthropic", up=0, down=2)])
    assert -MAX_BONUS <= disliked.bonus(anthropic) < 0


def test_one_vote_each_way_is_no_taste_and_no_votes_change_nothing():
    day = [
        story(c, p, n, SOURCES[: 1 + n % 3])
        for n, (c, p) in enumerate(zip(COMPANIES, PRODUCTS, strict=False))
    ]
    assert not Taste.of([liked("Anthropic", up=1, down=1)])
    plain = edit_day(day)
    assert edit_day(day, votes=[liked("Anthropic", up=1, down=1)]) == plain
    assert edit_day(day, votes=[liked("Unheard-of Corp", up=9)]) == plain
    assert all(e.feedback == 0.0 for e in plain.items)


def test_however_many_votes_the_bonus_stays_within_the_cap():
    [edited] = edit_day([story("Anthropic", "coding agent", 1, ("TechCrunch", "The Verge"))]).items
    same = liked(*edited.entities, up=10_000, sources=edited.topic.source_names, terms=edited.topic.terms)
    assert Taste.of([same] * 50).bonus(edited) == MAX_BONUS
    assert Taste.of([liked(*edited.entities, up=0, down=10_000)] * 50).bonus(edited) == -MAX_BONUS


# --- a later day's ranking -----------------------------------------------------------------------


def test_a_later_days_stories_like_a_voted_up_one_rank_higher_in_their_section():
    # Two tools stories of equal evidence: without votes the topic key breaks the tie.
    day = [
        story("Anthropic", "coding agent", 1, ("Reuters",)),
        story("Nvidia", "coding agent", 2, ("Reuters",)),
    ]
    plain = edit_day(day)
    [first, second] = [e for e in plain.items]
    assert first.section == second.section and first.score == second.score

    lifted = second.entities[0]
    voted = edit_day(day, votes=[liked(lifted, up=3)])
    assert ranked(voted, first.section) == [second.topic.key, first.topic.key]
    moved = everything(voted)[second.topic.key]
    assert 0 < moved.feedback <= MAX_BONUS and moved.score == pytest.approx(second.score + moved.feedback)

    # Voted down, the story that led falls behind.
    down = edit_day(day, votes=[liked(first.entities[0], up=0, down=3)])
    assert ranked(down, first.section) == [second.topic.key, first.topic.key]


def test_a_liked_story_can_pass_the_sections_cap_instead_of_becoming_a_brief():
    companies = ("Anthropic", "Nvidia", "Alibaba", "Baidu", "Samsung")
    day = [story(c, "coding agent", n, ("Reuters",)) for n, c in enumerate(companies)]
    plain = edit_day(day, max_per_section=3)
    [section] = {e.section for e in plain.items}
    briefed = plain.overflow[-1]
    voted = edit_day(day, max_per_section=3, votes=[liked(briefed.entities[0], up=2)])
    assert briefed.topic.key in ranked(voted, section) and len(voted.items) == 3


def random_day(rng: random.Random, size: int):
    topics = []
    for n in range(size):
        sources = tuple(rng.sample(SOURCES, rng.randint(1, 5)))
        weight = rng.choice((0.6, 1.0, 1.5))
        topics.append(story(rng.choice(COMPANIES), rng.choice(PRODUCTS), n, sources, weight=weight))
    return topics


def random_votes(rng: random.Random, count: int) -> list[VotedItem]:
    votes = []
    for _ in range(count):
        entities = tuple(rng.sample(COMPANIES, rng.randint(1, 2)))
        up, down = rng.choice([(5000, 0), (0, 5000), (1, 0), (0, 1), (rng.randint(0, 9), rng.randint(0, 9))])
        sources = tuple(rng.sample(SOURCES, rng.randint(0, 3)))
        votes.append(
            liked(*entities, up=up, down=down, sources=sources, terms=(entities[0].lower(), "model"))
        )
    return votes


@pytest.mark.parametrize("seed", range(40))
def test_votes_move_a_day_within_the_stated_bound(seed):
    rng = random.Random(seed)
    day = random_day(rng, rng.choice((4, 8, DAY_SIZE, 16, 30)))
    plain, voted = (
        edit_day(day, max_per_section=5),
        edit_day(day, max_per_section=5, votes=random_votes(rng, 6)),
    )
    before, after = everything(plain), everything(voted)
    assert before.keys() == after.keys()  # nothing dropped or added
    for key, old in before.items():
        new = after[key]
        assert abs(new.score - old.score) <= MAX_BONUS + 1e-9 and new.feedback == pytest.approx(
            new.score - old.score
        )
        assert abs(new.importance.rank - old.importance.rank) <= 1
        assert (new.importance is Importance.CRITICAL) == (old.importance is Importance.CRITICAL)
        assert new.section == old.section  # Top Headlines included: votes choose no headline
        if new.section == "top_headlines":
            assert new.importance.rank <= Importance.HIGH.rank


def test_the_bound_is_reached_somewhere_votes_matter():
    # The property above holds with votes that move things, not only with votes that do nothing.
    moved = steps = 0
    for seed in range(40):
        rng = random.Random(seed)
        day = random_day(rng, rng.choice((4, 8, DAY_SIZE, 16, 30)))
        plain, voted = (
            edit_day(day, max_per_section=5),
            edit_day(day, max_per_section=5, votes=random_votes(rng, 6)),
        )
        moved += [e.topic.key for e in plain.items] != [e.topic.key for e in voted.items]
        steps += sum(everything(plain)[k].importance != e.importance for k, e in everything(voted).items())
    assert moved >= 10 and steps >= 10


# --- through the pipeline: votes stored on one day move the next day's build ----------------------


def build_day(store, day: date):
    zone = ZoneInfo("Asia/Taipei")
    now = datetime.combine(day + timedelta(days=3), time(0), tzinfo=UTC)
    window = report_window(day, now=now, zone=zone, build_time=time(6, 40))
    return asyncio.run(build(store, window, summarizer=ExtractiveSummarizer(), now=now)).report


def told(title: str, summary: str, minutes: int):
    """One story told by two outlets, ``minutes`` after NOON."""
    return [
        article(title, summary, source=s, minutes=minutes + k)
        for k, s in enumerate(("Reuters", "VentureBeat"))
    ]


def test_a_vote_stored_on_one_day_moves_the_next_days_build(store):
    first = (NOON + timedelta(hours=12)).date()  # the report day whose window holds NOON (Taipei)
    day = 24 * 60
    stories = [
        ("Anthropic releases speech model for call centers",
         "Anthropic said its new AI speech model transcribes calls in real time for service teams.", 0),
        ("Samsung unveils AI chip for phones",
         "Samsung announced an AI chip that runs language models on its next phones.", 30),
        ("Anthropic opens coding agent Claude Code to every developer",
         "Anthropic made its AI coding agent available to all developers, for large code bases.", day),
        ("Nvidia ships NeMo toolkit for building coding agents",
         "Nvidia released an open-source AI toolkit that helps developers build coding agents.", day + 30),
    ]  # fmt: skip
    store.add_articles([a for story_ in stories for a in told(*story_)])
    day_one = build_day(store, first)
    before = build_day(store, first + timedelta(days=1))
    tools = [i.topic_key for i in before.section("tools").items]
    assert len(tools) == 2 and "Nvidia" in before.section("tools").items[0].title

    [anthropic] = [i for i in day_one.items if "Anthropic" in i.title]
    for reader in ("T1:U1", "T1:U2"):
        vote = Vote(ItemRef(first, anthropic.topic_key), Channel.SLACK, reader, VoteValue.UP)
        assert store.record_vote(vote, NOON).outcome is VoteOutcome.RECORDED
    after = build_day(store, first + timedelta(days=1))
    assert [i.topic_key for i in after.section("tools").items] == tools[::-1]
    old = {i.topic_key: i.importance for i in before.items}
    assert all(abs(i.importance.rank - old[i.topic_key].rank) <= 1 for i in after.items)

    # The votes count only for days after the voted one: rebuilding day one changes nothing.
    assert [i.topic_key for i in build_day(store, first).items] == [i.topic_key for i in day_one.items]
