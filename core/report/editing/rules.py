"""The editor's rules for one topic: relevance, section, importance and its evidence line.

Pure rules over the topic's own text and evidence (see :mod:`core.report.editing.editor`); word lists
live in :mod:`core.report.editing.lexicon`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.models import ITEM_SECTION_KEYS, Importance, SourceKind, Topic
from core.report.editing import lexicon
from core.report.figures import key_figure
from core.text import fold, has_cjk

#: Lexicon score a non-paper topic needs to count as AI news (see :func:`relevance`).
RELEVANCE_THRESHOLD = 4.0
#: Lowest score for each importance label, highest label first; below the last one: 低.
IMPORTANCE_THRESHOLDS: tuple[tuple[float, Importance], ...] = (
    (7.5, Importance.CRITICAL), (5.0, Importance.HIGH),
    (3.2, Importance.MEDIUM_HIGH), (1.5, Importance.MEDIUM),
)  # fmt: skip
_BODY_WORDS = 60  # a summary longer than this has its lexicon hits diluted
_PAPER_RELEVANCE = 8.0  # what an arXiv paper scores without looking at its words


@dataclass(frozen=True, slots=True)
class _Bag:
    """One text as the lexicon sees it: word n-grams (up to three words) and the folded text."""

    grams: Counter[tuple[str, ...]]
    folded: str
    length: float  # words; a CJK bigram counts half, since Chinese has no spaces

    def score(self, english: dict[tuple[str, ...], float], chinese: dict[str, float]) -> float:
        """Sum of weights of the entries found, each counted at most three times."""
        found = sorted(english.keys() & self.grams.keys())  # sorted: the same sum in any run
        total = sum(english[e] * min(self.grams[e], 3) for e in found)
        if has_cjk(self.folded):
            total += sum(w * min(self.folded.count(t), 3) for t, w in chinese.items() if t in self.folded)
        return total


def _bag(text: str) -> _Bag:
    """Read one text for the lexicon."""
    seq = lexicon.words(text)
    grams: Counter[tuple[str, ...]] = Counter()
    for n in (1, 2, 3):
        grams.update(tuple(seq[i : i + n]) for i in range(len(seq) - n + 1))
    # "gpt-5.2" also counts as "gpt", so the lexicon can name model families without versions.
    grams.update((part,) for word in seq if "-" in word for part in word.split("-") if part.isalpha())
    length = sum(0.5 if lexicon.is_cjk(w) else 1.0 for w in seq)
    return _Bag(grams, fold(text), length)


@dataclass(frozen=True, slots=True)
class TopicText:
    """Everything the editor derives from one topic's text, computed once."""

    topic: Topic
    titles: tuple[_Bag, ...]
    bodies: tuple[_Bag, ...]

    @property
    def papers_only(self) -> bool:
        return all(a.source_kind is SourceKind.PAPER for a in self.topic.articles)

    @property
    def pairs(self) -> Iterable[tuple[_Bag, _Bag]]:
        """(title, summary) of each article."""
        return zip(self.titles, self.bodies, strict=True)


def read_topic(topic: Topic) -> TopicText:
    """Read every title and summary of the topic once."""
    articles = topic.articles
    return TopicText(topic, tuple(_bag(a.title) for a in articles), tuple(_bag(a.summary) for a in articles))


def relevance(topic: Topic) -> float:
    """How clearly the topic is about AI: the best of its articles (papers score a fixed 8)."""
    return text_relevance(read_topic(topic))


def text_relevance(reading: TopicText) -> float:
    """The best article decides: one outlet framing the story as AI news is enough."""
    scores = [_article_relevance(t, b) for t, b in reading.pairs]
    papers = any(a.source_kind is SourceKind.PAPER for a in reading.topic.articles)
    return max([*scores, _PAPER_RELEVANCE if papers else 0.0])


def _article_relevance(title: _Bag, body: _Bag) -> float:
    # A title states what the story is about; a summary's hits are diluted by its length, so
    # one "AI" in a 400-word story about a budget adds little.
    dilution = min(1.0, _BODY_WORDS / max(body.length, 1.0))
    en, zh = lexicon.RELEVANCE_EN, lexicon.RELEVANCE_ZH
    return 2.0 * title.score(en, zh) + dilution * body.score(en, zh)


def section_of(reading: TopicText) -> str:
    """The natural section: where the cue words weigh most (titles count double)."""
    if reading.papers_only:
        # A paper is research, unless its title says it releases a dataset, benchmark or tool.
        cues, cues_zh = lexicon.PAPER_TOOL_CUES, lexicon.PAPER_TOOL_CUES_ZH
        return "tools" if any(t.score(cues, cues_zh) for t in reading.titles) else "research"
    scores = {key: 0.0 for key in ITEM_SECTION_KEYS[1:]}
    for key in scores:
        en, zh = lexicon.SECTION_CUES_EN[key], lexicon.SECTION_CUES_ZH[key]
        scores[key] = sum(2.0 * t.score(en, zh) + b.score(en, zh) for t, b in reading.pairs)
    if max(scores.values()) < len(reading.topic.articles):
        return "trends"  # AI news without industry, market, tool or research cues: commentary
    return max(scores, key=lambda k: (scores[k], -ITEM_SECTION_KEYS.index(k)))


def major_players(reading: TopicText) -> tuple[str, ...]:
    """Major AI players named in the topic, in the curated list's order."""
    found: set[str] = set()
    for bag in (*reading.titles, *reading.bodies):
        found.update(lexicon.MAJOR_WORDS[g] for g in lexicon.MAJOR_WORDS.keys() & bag.grams.keys())
        if has_cjk(bag.folded):
            found.update(name for alias, name in lexicon.MAJOR_CHINESE.items() if alias in bag.folded)
    return tuple(name for name in lexicon.MAJOR_ENTITIES if name in found)


def evidence_score(reading: TopicText, majors: Sequence[str], relevance_score: float) -> float:
    """Evidence, not claims: coverage by outlets, major players, and how much AI is in it."""
    players = (0.0, 1.0, 1.5)[len(majors)] if len(majors) < 3 else 2.0
    substance = 1.0 if reading.papers_only else min(1.5, relevance_score / 8.0)
    return _coverage(reading.topic) + players + substance


def _coverage(topic: Topic) -> float:
    """Outlets by weight (up to 6), a little for repeats, and papers by number (up to 3)."""
    papers = [a for a in topic.articles if a.source_kind is SourceKind.PAPER]
    reports = [a for a in topic.articles if a.source_kind is not SourceKind.PAPER]
    weights: dict[str, float] = {}
    for a in reports:
        weights[a.source] = max(weights.get(a.source, 0.0), a.source_weight)
    # Each outlet counts once, by its weight; more articles from the same outlets count a little.
    outlets = min(6.0, sum(weights.values())) + min(1.0, 0.3 * (len(reports) - len(weights)))
    return outlets + min(3.0, 0.75 * len(papers))


def importance_of(score: float) -> Importance:
    """The label for a score (see ``IMPORTANCE_THRESHOLDS``)."""
    for floor, label in IMPORTANCE_THRESHOLDS:
        if score >= floor:
            return label
    return Importance.LOW


def evidence_line(topic: Topic, majors: Sequence[str], language: str) -> str:
    """One line of evidence in the report language."""
    table = lexicon.REASON_WORDS
    words = table.get(language) or table["zh-TW" if language.startswith("zh") else "en"]
    outlets = list(dict.fromkeys(a.source for a in topic.articles if a.source_kind is not SourceKind.PAPER))
    papers = sum(1 for a in topic.articles if a.source_kind is SourceKind.PAPER)
    parts = []
    if outlets:
        names = words["sep"].join(outlets[:4]) + (words["more"] if len(outlets) > 4 else "")
        parts.append(words["outlets" if len(outlets) > 1 else "outlet"].format(n=len(outlets), names=names))
    if papers:
        parts.append(words["papers" if papers > 1 else "paper"].format(n=papers))
    if majors:
        parts.append(words["involves"].format(names=words["sep"].join(majors[:4])))
    # The concrete fact behind the label, from the headlines first: what a reader weighs it by.
    figure = key_figure(
        [*(a.title for a in topic.articles), *(a.summary[:300] for a in topic.articles)], language
    )
    if figure:
        parts.append(figure)
    return words["join"].join(parts)
