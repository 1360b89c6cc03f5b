"""Search over every stored report item: a small BM25 index of our own, held in memory.

Why in process rather than SQLite FTS5 or PostgreSQL full text: the matching rules (core.text
folding of case, width, dashes and quotes; Chinese folded to one script and one vocabulary with
OpenCC; CJK bigrams; versioned names such as GPT-5.2 written "gpt 5.2"; the bilingual bridge) are
applied once, in Python, to the index and to the question alike, so SQLite and PostgreSQL give
the same answers and the schema needs no search tables. Postings are flat numpy arrays of
precomputed BM25 contributions: a year of reports (365 x 60 items) answers with a p95 of a few
milliseconds (bench/ask.py). ``bot.index_cache.IndexCache`` keeps a built index and saves it to
disk, so neither a long-running bot nor ``aidaily ask`` builds it more than needed.

What is indexed: each item's title, entities, summary, details and use cases, and source names,
weighted in that order, and, weighted lowest, the titles and summary openings of the articles
the item was written from (``Store.item_article_texts``; imported reports have none), so a
question in an article's own words finds its item. Which terms an item has in its title or
entities (its head) is kept too, and the English and Chinese names of one thing that the items
pair are mined when the index is built (``bot.mining``).

The question (``bot.question``): its terms in groups, each matched by any of its alternatives;
a concept of the bilingual lexicon (``core.bilingual``, and the mined pairs) by any of its forms
in either language, a phrase only where an item has all of its terms. A generic news word no
item contains ("tool", "small") is ignored.

The index knows when it has nothing. A hit must cover at least ``MIN_COVERAGE`` of the
question's weight: the IDF of its groups; a group no item matches weighs in full when it is a
name or a lexicon concept (a word the reports would have said in one of its two languages),
less when it is another lowercase word or a Chinese bigram, which the reports may say
otherwise. Or a rare name vouches for the hit: a Latin-script term of the question, rarer than
``RARE_SHARE`` of an unseen term's IDF, in the item's title or entities ("Drax", "pandas"). A
vouched item needs the same coverage of what the index can read: the English words that no item
has in any form are left out, since an English question about a Chinese item is full of them;
but a name the question gives that no item has ("Claude 5", "Rivian R2", "Tokyo") means it asks
about something else, and vouches for nothing. Ties go to the newer report. ``prefer`` (the
bots: items of the digest a question was asked under) multiplies the score and the coverage of
items that matched at least one term; it never makes an item that matched nothing a hit.
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot import mining
from bot.bridge import Bridge, Group, Phrase
from bot.question import MAX_QUESTION_CHARS, expand, joined, mined_bridge, normalize, question_groups
from core.report.editing import lexicon
from core.store.report_items import ReportedItem
from core.text import fold, tokens

__all__ = ["MAX_QUESTION_CHARS", "Hit", "ItemIndex", "SearchResult", "normalize", "question_groups"]

# Field weights: a term in the title or the entities says more than one in the details.
_TITLE, _ENTITIES, _SUMMARY, _BODY, _SOURCES = 3.0, 2.5, 1.0, 0.5, 0.5
_HEAD = (_TITLE, _ENTITIES)
# The articles behind an item: their wording finds the item, but weighs less than the item's own.
_ARTICLES = 0.3
_K1, _B = 1.2, 0.75
#: A hit must cover at least this share of the question's term weight.
MIN_COVERAGE = 0.55
#: A Latin term whose IDF is at least this share of an unseen term's is a rare name.
RARE_SHARE = 0.6
#: What an unknown common word or Chinese bigram weighs, as a share of an unknown name.
_COMMON_WORD_SHARE = 0.4
_NAMED = re.compile(r"[A-Z][A-Za-z0-9]*|[A-Za-z]*\d[A-Za-z0-9.]*")
_LATIN_TERM = re.compile(r"[a-z0-9][a-z0-9.\-']*")


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching item: its score, and the share of the question's weight it covers."""

    found: ReportedItem
    score: float
    coverage: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What a search found, best first; ``found`` is False when nothing answers the question."""

    question: str
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]

    @property
    def found(self) -> bool:
        return bool(self.hits)


#: How much to prefer an item (>= 1.0; 1.0 is no preference): the bots prefer the items of the
#: digest a question was asked under.
Preference = Callable[[ReportedItem], float]


class SearchIndex(Protocol):
    """The seam the answerer and the bots search through."""

    def search(self, question: str, limit: int = 5, prefer: Preference | None = None) -> SearchResult: ...


def text_terms(text: str) -> list[str]:
    """The index terms of a stored text."""
    words = tokens(normalize(text))
    return expand([*words, *joined(words)])


def _generic(term: str) -> bool:
    return lexicon.stem(term) in lexicon.GENERIC


def _fields(found: ReportedItem, articles: str) -> list[tuple[float, str]]:
    item = found.item
    return [
        (_TITLE, item.title),
        (_ENTITIES, " ; ".join(item.entities)),
        (_SUMMARY, item.summary),
        (_BODY, " ".join((*item.details, *item.use_cases))),
        (_SOURCES, " ".join(s.name for s in item.sources)),
        (_ARTICLES, articles),
    ]


def _weigh(found: ReportedItem, articles: str) -> tuple[dict[str, float], set[str]]:
    """An item's terms with their field-weighted counts, and the terms of its head."""
    tf: dict[str, float] = defaultdict(float)
    head: set[str] = set()
    for weight, text in _fields(found, articles):
        terms = text_terms(text)
        for term in terms:
            tf[term] += weight
        if weight in _HEAD:
            head.update(terms)
    return tf, head


@dataclass(frozen=True, slots=True, eq=False)
class IndexState:
    """Everything a built index holds, as plain values and flat arrays (what ``bot.index_cache``
    saves and loads). Term ``n``'s postings are ``docs[offsets[n]:offsets[n + 1]]`` (item numbers)
    with ``values`` at the same places (their precomputed BM25 contributions) and ``heads`` (1
    where the item has the term in its title or entities); ``mined``: the (Latin, Chinese) pairs
    mined from the items, folded."""

    items: Sequence[ReportedItem]  # a tuple, or items decoded when first read (bot.index_cache)
    days: np.ndarray  # int64, each item's report date as an ordinal: recency breaks ties
    terms: tuple[str, ...]
    offsets: np.ndarray  # int64, len(terms) + 1
    docs: np.ndarray  # int32
    values: np.ndarray  # float32
    heads: np.ndarray  # bool
    idf: np.ndarray  # float64, one per term
    unseen_idf: float
    mined: tuple[tuple[str, str], ...] = ()


def build_state(items: Sequence[ReportedItem], articles: Mapping[int, str] | None = None) -> IndexState:
    """Weigh every item's fields (and its articles' text, by item id) into BM25 postings."""
    articles = articles or {}
    docs: dict[str, array[int]] = defaultdict(lambda: array("i"))
    tfs: dict[str, array[float]] = defaultdict(lambda: array("f"))
    heads: dict[str, array[int]] = defaultdict(lambda: array("b"))
    lengths = np.zeros(len(items), dtype=np.float32)
    for doc, found in enumerate(items):
        weighted, head = _weigh(found, articles.get(found.id, ""))
        lengths[doc] = sum(weighted.values())
        for term, count in weighted.items():
            docs[term].append(doc)
            tfs[term].append(count)
            heads[term].append(term in head)
    terms = tuple(docs)
    frequency = np.array([len(docs[t]) for t in terms], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(frequency))).astype(np.int64)
    at = _flat([docs[t] for t in terms], np.int32)
    tf = _flat([tfs[t] for t in terms], np.float32)
    n = len(items)
    idf = np.log(1 + (n - frequency + 0.5) / (frequency + 0.5))
    norms = 1 - _B + _B * lengths / (float(lengths.mean()) if n else 1.0)
    values = (np.repeat(idf, frequency) * tf * (_K1 + 1) / (tf + _K1 * norms[at])).astype(np.float32)
    days = np.array([found.date.toordinal() for found in items], dtype=np.int64)
    head = _flat([heads[t] for t in terms], np.int8).astype(bool)
    unseen_idf = math.log(1 + (n + 0.5) / 0.5)
    mined = mining.mine(items, normalize)
    return IndexState(tuple(items), days, terms, offsets, at, values, head, idf, unseen_idf, mined)


def _flat(arrays: list[array], dtype: type) -> np.ndarray:
    return np.concatenate([np.frombuffer(a, dtype=dtype) for a in arrays] or [np.zeros(0, dtype)])


@dataclass(slots=True)
class _Matched:
    """Where one group of a question matched: dense over the items."""

    scores: np.ndarray  # float32: the best alternative's BM25 score
    matched: np.ndarray  # bool
    idf: float | None  # the IDF of the items matching any alternative; None when no item does
    rare_heads: np.ndarray | None  # item numbers with a rare Latin term of it in their head


class ItemIndex:
    """BM25 (with weighted fields) over folded terms of every stored item and its articles.

    Postings are flat numpy arrays (item numbers and their precomputed BM25 contribution), so a
    question costs a few vector operations over the items however common its terms are.
    """

    def __init__(self, items: Sequence[ReportedItem], articles: Mapping[int, str] | None = None) -> None:
        self._use(build_state(items, articles))

    @classmethod
    def from_state(cls, state: IndexState) -> ItemIndex:
        """An index over a state built before (``state()``), without weighing anything again."""
        index = cls.__new__(cls)
        index._use(state)
        return index

    @classmethod
    def from_store(cls, store: object) -> ItemIndex:
        """An index of every item a ``Store`` holds, with the text of the articles behind them."""
        return cls(store.reported_items(), store.item_article_texts())  # type: ignore[attr-defined]

    def _use(self, state: IndexState) -> None:
        self._state = state
        self._items = state.items
        self._term_ids = {term: n for n, term in enumerate(state.terms)}
        self._recency = state.days
        self._bridge: Bridge = mined_bridge(state.mined)

    def state(self) -> IndexState:
        return self._state

    def __len__(self) -> int:
        return len(self._items)

    def search(self, question: str, limit: int = 5, prefer: Preference | None = None) -> SearchResult:
        groups = [g for g in question_groups(question, self._bridge) if self._counts(g)]
        cut = unicodedata.normalize("NFKC", question[:MAX_QUESTION_CHARS])
        named = {fold(word) for word in _NAMED.findall(cut)}
        n = len(self._items)
        scores, covered, readable = (np.zeros(n, dtype=np.float32) for _ in range(3))
        vouched = np.zeros(n, dtype=bool)
        matches = [self._match(group) for group in groups]
        weights = [self._weight(g, m, named) for g, m in zip(groups, matches, strict=True)]
        total = sum(weights) or 1.0
        unread = sum(w for g, m, w in zip(groups, matches, weights, strict=True) if _unreadable(g, m, named))
        for match, weight in zip(matches, weights, strict=True):
            scores += match.scores
            covered[match.matched] += weight / total
            if match.rare_heads is not None:
                vouched[match.rare_heads] = True
        if any(m.idf is None and _name(g.head, named) for g, m in zip(groups, matches, strict=True)):
            vouched[:] = False  # the question names something no item has
        readable[vouched] = covered[vouched] * total / max(total - unread, 1e-9)
        coverage = np.maximum(covered, readable)
        if prefer is not None:
            self._boost(scores, coverage, prefer)
        terms = tuple(term for group in groups for phrase in group.phrases for term in phrase)
        return SearchResult(question, terms, self._best(scores, coverage, limit))

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        n = self._term_ids.get(term)
        if n is None:
            return None
        start, end = self._state.offsets[n], self._state.offsets[n + 1]
        return self._state.docs[start:end], self._state.values[start:end], self._state.heads[start:end]

    def _phrase(self, phrase: Phrase) -> tuple[np.ndarray, np.ndarray] | None:
        """The items having every term of ``phrase``, and their mean BM25 contribution."""
        if len(phrase) == 1:
            postings = self._postings(phrase[0])
            return postings[:2] if postings is not None else None
        # Dense counts rather than intersections: common bigrams have postings of every item.
        have = np.zeros(len(self._items), dtype=np.int16)
        total = np.zeros(len(self._items), dtype=np.float32)
        for term in phrase:
            postings = self._postings(term)
            if postings is None:
                return None
            at, contribution, _ = postings
            have[at] += 1
            total[at] += contribution
        docs = np.flatnonzero(have == len(phrase))
        return (docs, total[docs] / len(phrase)) if len(docs) else None

    def _match(self, group: Group) -> _Matched:
        n = len(self._items)
        scores, matched = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=bool)
        rare = []
        for phrase in group.phrases:
            found = self._phrase(phrase)
            if found is None:
                continue
            docs, values = found
            scores[docs] = np.maximum(scores[docs], values)
            matched[docs] = True
            if len(phrase) == 1 and self._rare(len(docs)) and _LATIN_TERM.fullmatch(phrase[0]):
                rare.append(self._head_docs(phrase[0]))
        frequency = int(np.count_nonzero(matched))
        # A group weighs as rare as the items matching any of its forms: a concept with one rare
        # form ("unveil") weighs as much as its common ones ("launch", 發布) together.
        idf = self._idf(frequency) if frequency else None
        return _Matched(scores, matched, idf, np.concatenate(rare) if rare else None)

    def _rare(self, frequency: int) -> bool:
        return self._idf(frequency) >= RARE_SHARE * self._state.unseen_idf

    def _head_docs(self, term: str) -> np.ndarray:
        postings = self._postings(term)
        assert postings is not None
        at, _, heads = postings
        return at[heads]

    def _idf(self, frequency: int) -> float:
        n = len(self._items)
        return math.log(1 + (n - frequency + 0.5) / (frequency + 0.5))

    def _boost(self, scores: np.ndarray, covered: np.ndarray, prefer: Preference) -> None:
        """Raise the score and the coverage of preferred items, but only of items that matched a
        term: a boost makes a weak match of a preferred item count, never an item that matched
        nothing."""
        matched = np.flatnonzero(covered > 0)
        boosts = np.array([max(1.0, float(prefer(self._items[d]))) for d in matched], dtype=np.float32)
        scores[matched] *= boosts
        covered[matched] = np.minimum(covered[matched] * boosts, 1.0)

    def _known(self, group: Group) -> bool:
        return any(all(term in self._term_ids for term in phrase) for phrase in group.phrases)

    def _counts(self, group: Group) -> bool:
        """Whether a group weighs in the question: a generic news word no item has ("tool",
        "small") says nothing about a story, nor does a joined name whose first word no item has
        ("wants 16" -> wants-16)."""
        if self._known(group):
            return True
        if group.joined:
            return group.head.split("-")[0] in self._term_ids
        return not _generic(group.head)

    def _weight(self, group: Group, match: _Matched, named: set[str]) -> float:
        """A group's share of the question: its IDF, or for a group no item has, a guess."""
        if match.idf is not None:
            return match.idf
        if group.concept or not _common(group.head, named):
            return self._state.unseen_idf
        return self._state.unseen_idf * _COMMON_WORD_SHARE

    def _best(self, scores: np.ndarray, covered: np.ndarray, limit: int) -> tuple[Hit, ...]:
        passing = np.flatnonzero(covered >= MIN_COVERAGE - 1e-6)
        if not len(passing):
            return ()
        rounded = np.round(scores[passing], 3)
        # lexsort: the last key sorts first; higher score, then newer report, then report order.
        order = passing[np.lexsort((passing, -self._recency[passing], -rounded))][:limit]
        top = float(scores[order[0]])
        return tuple(
            Hit(self._items[d], float(scores[d]), min(float(covered[d]), 1.0))
            for d in order
            if scores[d] >= top * 0.35
        )


def _common(term: str, named: set[str]) -> bool:
    """An unknown lowercase word (likely common English the reports say in Chinese) or Chinese
    bigram (likely spanning two words): a guess weighs less than an unknown name."""
    return term.isalpha() and term not in named and (not term.isascii() or len(term) > 1)


def _name(term: str, named: set[str]) -> bool:
    """A term the question writes as a name ("Tokyo"), or letters with digits ("claude-5", "r2")."""
    return term in named or (any(c.isdigit() for c in term) and any(c.isalpha() for c in term))


def _unreadable(group: Group, match: _Matched, named: set[str]) -> bool:
    """An English word that no item has in any form: left out where a rare name vouches."""
    return match.idf is None and not group.concept and group.head.isascii() and _common(group.head, named)
