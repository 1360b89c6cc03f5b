"""Repeats across days: which topics an earlier report already carried, which continue one.

A topic whose articles all appeared in one earlier report item is dropped by the editor
(:mod:`core.report.editing.editor`); one that shares articles, or the same specific names or title words,
with an earlier item is kept and marked as its follow-up, leading with its new articles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.models import FollowUp, StoredItem, Topic
from core.report.editing import lexicon
from core.text import match_key


@dataclass(frozen=True, slots=True)
class _Past:
    """One earlier report item, read once: its URLs, name keys and title words."""

    item: StoredItem
    urls: frozenset[str]
    names: frozenset[str]
    words: frozenset[str]


class History:
    """Earlier items indexed by URL, name and title word, so each topic meets only its likely kin."""

    def __init__(self, earlier: Sequence[StoredItem]) -> None:
        self.past = [
            _Past(i, frozenset(i.article_urls), _keys(i.entities), frozenset(_title_words(i.title)))
            for i in earlier
        ]
        self.reported = frozenset(url for past in self.past for url in past.urls)
        self.index: dict[str, list[int]] = {}
        for n, past in enumerate(self.past):
            for key in {*past.urls, *past.names, *past.words}:
                self.index.setdefault(key, []).append(n)

    def verdict(self, topic: Topic, entities: Sequence[str]) -> tuple[bool, FollowUp | None]:
        """(already reported, follow-up): all its articles in one earlier item mean the former;
        shared articles, or the same specific names or title words, the latter."""
        urls = frozenset(a.url for a in topic.articles)
        names, words = _keys(entities), _title_words(topic.lead.title) | set(topic.terms)
        keys = {*urls, *names, *words}
        candidates = [self.past[n] for n in sorted({n for key in keys for n in self.index.get(key, ())})]
        if any(urls <= past.urls for past in candidates):
            return True, None
        best = _closest(candidates, urls, names, words)
        return False, FollowUp(best.item.date, best.item.title, best.item.id) if best else None


def _closest(
    candidates: Iterable[_Past], urls: frozenset[str], names: frozenset[str], words: set[str]
) -> _Past | None:
    """The earlier item the topic most likely continues (the later one of equals), if any does."""
    best: tuple[float, _Past] | None = None
    for past in candidates:
        seen = len(urls & past.urls)
        strength = 2.0 + seen if seen else _likeness(names, words, past)
        if strength >= 1.0 and (best is None or (strength, past.item.date) > (best[0], best[1].item.date)):
            best = (strength, past)
    return best[1] if best else None


def _likeness(names: frozenset[str], words: set[str], past: _Past) -> float:
    """1.0 or more when an earlier item is clearly about the same thing, else below 1."""
    shared = names & past.names
    specific = shared - lexicon.MAJOR_KEYS  # "OpenAI" alone says little; "GPT-5.2" or "Sora" says much
    overlap = len(shared) / min(len(names), len(past.names)) if shared else 0.0
    if len(shared) >= 2 and specific and overlap >= 0.5:
        return 1.0
    common = words & past.words
    if len(common) < 3:
        return 0.0
    return len(common) / min(len(words), len(past.words)) / 0.6  # 60% of the shorter title


def _keys(names: Iterable[str]) -> frozenset[str]:
    return frozenset(match_key(n) for n in names) - {""}


def _title_words(title: str) -> set[str]:
    return {w for w in lexicon.words(title) if w not in lexicon.STOPWORDS and w not in lexicon.GENERIC}


def news_first(topic: Topic, reported: frozenset[str]) -> Topic:
    """A follow-up leads with what is new: articles not reported before come first."""
    fresh = [a for a in topic.articles if a.url not in reported]
    seen = [a for a in topic.articles if a.url in reported]
    return dataclasses.replace(topic, articles=(*fresh, *seen))
