"""Readers' taste: later stories like the ones readers voted up rank higher, within a bound.

Pure, like the rest of the editor: the votes come in as ``VotedItem`` values (the pipeline reads
them with ``Store.voted_items``); nothing here reads the store.

**How much.** Each voted item has a preference ``p = (up - down) / (up + down + 1)``: one 👍 is
0.5, three are 0.75, one of each is 0, and 👎 counts the other way. A new story's likeness to a
voted item, from 0 to 1, is 0.5 × its shared entities + 0.3 × its shared topic terms + 0.2 × its
shared sources, each the share of the smaller of the two sets found in the other (so a story
naming the one company a liked item was about shares all of it). Its taste is the sum of
``p × likeness`` over the voted items, and its bonus ``MAX_BONUS × tanh(taste)``.

**The bound.** The bonus is added to the story's evidence score and is never more than
``MAX_BONUS`` (1.0) either way, less than the narrowest gap between two importance thresholds
(1.7); the label the day then gives the story is held within one step of the label the evidence
alone gives it (``within_a_step``), never reaches or leaves 極高 (evidence only, as ever), and
Top Headlines stays the evidence's choice, its stories at least 高. So votes reorder a section,
decide which stories pass its cap, and move a label by one step at most; they cannot make a
story headline news. A story like nothing readers voted on gets no bonus at all.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from core.models import EditedTopic, Importance, VotedItem
from core.text import fold

MAX_BONUS = 1.0
#: Weights of shared entities, topic terms and sources in a story's likeness to a voted item.
WEIGHTS = (0.5, 0.3, 0.2)


@dataclass(frozen=True, slots=True)
class _Profile:
    """A voted item as stories are compared to it: its preference and folded feature sets."""

    preference: float
    entities: frozenset[str]
    terms: frozenset[str]
    sources: frozenset[str]


@dataclass(frozen=True, slots=True)
class Taste:
    """What readers voted on, ready to weigh stories against; empty without votes."""

    profiles: tuple[_Profile, ...] = ()

    @classmethod
    def of(cls, votes: Sequence[VotedItem]) -> Taste:
        profiles = (
            _Profile(
                (v.up - v.down) / (v.up + v.down + 1),
                _folded(v.entities),
                _folded(v.terms),
                _folded(v.sources),
            )
            for v in votes
        )
        return cls(tuple(p for p in profiles if p.preference))

    def __bool__(self) -> bool:
        return bool(self.profiles)

    def bonus(self, edited: EditedTopic) -> float:
        """The score bonus of ``edited``, in [-MAX_BONUS, MAX_BONUS]."""
        entities = _folded(edited.entities)
        terms = _folded(edited.topic.terms)
        sources = _folded(edited.topic.source_names)
        taste = sum(p.preference * _likeness(p, entities, terms, sources) for p in self.profiles)
        return round(MAX_BONUS * math.tanh(taste), 4)


def _likeness(
    profile: _Profile, entities: frozenset[str], terms: frozenset[str], sources: frozenset[str]
) -> float:
    shares = (
        _share(profile.entities, entities),
        _share(profile.terms, terms),
        _share(profile.sources, sources),
    )
    return sum(weight * share for weight, share in zip(WEIGHTS, shares, strict=True))


def _share(voted: frozenset[str], story: frozenset[str]) -> float:
    if not voted or not story:
        return 0.0
    return len(voted & story) / min(len(voted), len(story))


def _folded(texts: Sequence[str]) -> frozenset[str]:
    return frozenset(key for key in (fold(t).strip() for t in texts) if key)


def rescored(edited: EditedTopic, bonus: float, label: Importance) -> EditedTopic:
    """``edited`` with its score raised (or lowered) by ``bonus`` and the label that score earns."""
    return dataclasses.replace(edited, score=round(edited.score + bonus, 4), importance=label, feedback=bonus)


def within_a_step(tasted: EditedTopic, base: EditedTopic) -> EditedTopic:
    """``tasted`` with its label held to the bound (see the module docstring) around ``base``'s."""
    rank = min(max(tasted.importance.rank, base.importance.rank - 1), base.importance.rank + 1)
    if base.importance is Importance.CRITICAL:
        rank = Importance.CRITICAL.rank
    else:
        rank = max(rank, Importance.HIGH.rank)  # never 極高 by votes
        if base.section == "top_headlines":
            rank = Importance.HIGH.rank  # a headline stays at least 高, and 高 is its ceiling here
    return dataclasses.replace(tasted, importance=list(Importance)[rank])
