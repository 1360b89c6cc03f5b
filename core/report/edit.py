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

Word lists live in :mod:`core.report.lexicon`; entity extraction (:func:`extract_entities`) is
public so the writers and the bot can reuse it.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.models import ITEM_SECTION_KEYS, EditedTopic, FollowUp, Importance, SourceKind, StoredItem, Topic
from core.report import lexicon
from core.report.cluster import merge_duplicates
from core.text import fold, has_cjk, match_key

#: Lexicon score a non-paper topic needs to count as AI news (see :func:`relevance`).
RELEVANCE_THRESHOLD = 4.0
#: Lowest score for each importance label, highest label first; below the last one: 低.
IMPORTANCE_THRESHOLDS: tuple[tuple[float, Importance], ...] = (
    (7.5, Importance.CRITICAL), (5.0, Importance.HIGH),
    (3.2, Importance.MEDIUM_HIGH), (1.5, Importance.MEDIUM),
)  # fmt: skip
HEADLINE_IMPORTANCE = frozenset({Importance.CRITICAL, Importance.HIGH})

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
class _Reading:
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


def _read(topic: Topic) -> _Reading:
    """Read every title and summary of the topic once."""
    articles = topic.articles
    return _Reading(topic, tuple(_bag(a.title) for a in articles), tuple(_bag(a.summary) for a in articles))


# --- Relevance -----------------------------------------------------------------------------


def relevance(topic: Topic) -> float:
    """How clearly the topic is about AI: the best of its articles (papers score a fixed 8)."""
    return _relevance(_read(topic))


def _relevance(reading: _Reading) -> float:
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


# --- Section -------------------------------------------------------------------------------


def _section(reading: _Reading) -> str:
    """The natural section: where the cue words weigh most (titles count double)."""
    if reading.papers_only:
        # A paper is research, unless its title says it releases a dataset, benchmark or tool.
        cues = lexicon.PAPER_TOOL_CUES
        return "tools" if any(t.score(cues, {}) for t in reading.titles) else "research"
    scores = {key: 0.0 for key in ITEM_SECTION_KEYS[1:]}
    for key in scores:
        en, zh = lexicon.SECTION_CUES_EN[key], lexicon.SECTION_CUES_ZH[key]
        scores[key] = sum(2.0 * t.score(en, zh) + b.score(en, zh) for t, b in reading.pairs)
    if max(scores.values()) < len(reading.topic.articles):
        return "trends"  # AI news without industry, market, tool or research cues: commentary
    return max(scores, key=lambda k: (scores[k], -ITEM_SECTION_KEYS.index(k)))


# --- Importance ----------------------------------------------------------------------------


def _majors(reading: _Reading) -> tuple[str, ...]:
    """Major AI players named in the topic, in the curated list's order."""
    found: set[str] = set()
    for bag in (*reading.titles, *reading.bodies):
        found.update(lexicon.MAJOR_WORDS[g] for g in lexicon.MAJOR_WORDS.keys() & bag.grams.keys())
        if has_cjk(bag.folded):
            found.update(name for alias, name in lexicon.MAJOR_CHINESE.items() if alias in bag.folded)
    return tuple(name for name in lexicon.MAJOR_ENTITIES if name in found)


def _score(reading: _Reading, majors: Sequence[str], relevance_score: float) -> float:
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


def _reason(topic: Topic, majors: Sequence[str], language: str) -> str:
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
    return words["join"].join(parts)


# --- Entities ------------------------------------------------------------------------------

_LATIN = r"[A-Za-z0-9][A-Za-z0-9.&'’\-\u2010\u2011]*"
_SPAN = re.compile(rf"{_LATIN}(?: {_LATIN})*")
_QUOTED = re.compile(r"[「『《“]([^」』》”]{2,16})[」』》”]")
_VERSION = re.compile(r"\d+(?:\.\d+)*[A-Za-z]?")
_AMOUNT = re.compile(r"\$?\d[\d.,]*(?:[kmbt]n?|bn|tn|%)?", re.IGNORECASE)
_COMPOUND = re.compile(r"-[a-z]{3,}$")  # an adjective compound ends in a lowercase word
_OPENER = re.compile(r"^[A-Z][a-z]+(?:ing|ed|ly)$")  # a headline's first verb or adverb
_MAX_SPAN = 4
_FEW = 3  # fewer names than this and key concepts fill in
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{2,4}s?(?![A-Za-z])")


def extract_entities(texts: Sequence[str], limit: int = 8) -> tuple[str, ...]:
    """Named things in ``texts`` (products, companies, people, models), most prominent first.

    Pass titles before summaries: an earlier text weighs more. Names keep their display form
    ("GPT‑5.2") and are deduplicated by :func:`core.text.match_key`. When fewer than three
    names turn up, key concepts ("大模型", "API") fill in.
    """
    scores, display = _tally(texts)
    order = {key: i for i, key in enumerate(display)}
    ranked = [display[k] for k in sorted(scores, key=lambda k: (-scores[k], order[k]))]
    if len(ranked) < _FEW:
        ranked += [term for term in _concepts(texts) if match_key(term) not in scores][: _FEW - len(ranked)]
    return tuple(ranked[:limit])


def _tally(texts: Sequence[str]) -> tuple[dict[str, float], dict[str, str]]:
    """Prominence per name key (each mention weighs 1 + 1/(text index + 1)) and display forms."""
    scores: dict[str, float] = {}
    display: dict[str, str] = {}
    pending: list[tuple[str, str, float]] = []
    for index, text in enumerate(texts):
        for name, sure in _names(text):
            key, weight = match_key(name), 1.0 + 1.0 / (index + 1)
            if key and sure:
                scores[key] = scores.get(key, 0.0) + weight
                display.setdefault(key, name)
            elif key:
                pending.append((key, name, weight))
    # A lone capitalized word opening a sentence is a name if written so elsewhere too, or if it
    # opens two sentences ("Drax plans ..." / "Drax said ...").
    openings = Counter(key for key, _, _ in pending)
    for key, name, weight in pending:
        if key in scores or openings[key] > 1:
            scores[key] = scores.get(key, 0.0) + weight
            display.setdefault(key, name)
    return scores, display


def _concepts(texts: Sequence[str]) -> list[str]:
    """Where a text names no one ("大模型價格戰再起"), its key concepts stand in: Chinese lexicon
    terms (longest first, none inside another) and acronyms such as "API" or "LLM"."""
    joined = "\n".join(texts)
    chinese = sorted(
        (t for t in lexicon.RELEVANCE_ZH if t in joined), key=lambda t: (-len(t), joined.find(t))
    )
    found: list[str] = []
    for term in chinese:
        if not any(term in longer for longer in found):
            found.append(term)
    acronyms = (w for w in _ACRONYM.findall(joined) if w.lower() in lexicon.WEAK_NAMES)
    return list(dict.fromkeys([*found, *acronyms]))


def _names(text: str) -> list[tuple[str, bool]]:
    """Candidate names in one text, each with whether it is surely a name.

    Capitalized runs of Latin words (in Chinese text every Latin word is a name), and terms in
    Chinese quotation marks.
    """
    # Quoted Chinese terms ("「慧思開物」"); quoted Latin names are found as spans below.
    found = [(m.start(), m.group(1).strip(), True) for m in _QUOTED.finditer(text) if has_cjk(m.group(1))]
    chinese = has_cjk(text)
    headline = lexicon.headline_style(text)
    for match in _SPAN.finditer(text):
        before = text[max(0, match.start() - 4) : match.start()].rstrip()
        initial = not chinese and (not before or before[-1] in ".!?:;。！？：；")
        runs = _runs(match.group().split(" "), initial=initial, headline=headline)
        found.extend((match.start(), name, sure) for name, sure in runs)
    return [(name, sure) for _, name, sure in sorted(found, key=lambda f: f[0])]


def _runs(words: list[str], *, initial: bool, headline: bool) -> list[tuple[str, bool]]:
    """Runs of name-like words in a span of Latin words, cleaned of edge punctuation."""
    runs: list[tuple[list[str], bool]] = []
    current: list[str] = []
    starts_sentence = initial
    for raw in words:
        word = raw.rstrip(".,'’-")
        word = word[:-2] if word.endswith(("'s", "’s")) else word
        opener = starts_sentence and _OPENER.search(word) is not None  # "Introducing GPT-5.2"
        if word and not opener and _name_like(word, bool(current), headline):
            if not current:
                runs.append((current, not starts_sentence or lexicon.strong_name(word)))
            current.append(word)
        else:
            current = []
        if raw != word:
            current = []  # "OpenAI's model", "GPT-6. The": punctuation ends a name
        starts_sentence = raw.endswith((".", "!", "?"))
    # A run of two or more words is a name even at the start of a sentence ("Sam Altman said").
    return [(" ".join(run), sure or len(run) > 1) for run, sure in runs if len(run) <= _MAX_SPAN]


def _name_like(word: str, continuing: bool, headline: bool) -> bool:
    if continuing and _VERSION.fullmatch(word):
        return True  # "Opus 4.5", "Gemini 3"
    if word[0].islower() and not lexicon.strong_name(word):
        return False  # most words: decided without looking further
    if word.lower() in lexicon.NOT_ENTITIES or _AMOUNT.fullmatch(word) or _COMPOUND.search(word):
        return False  # "$50M", "5.5B", "AI-powered", "Gemini-based" name nothing
    return lexicon.strong_name(word) or (word[0].isupper() and not headline)


def _entities(topic: Topic) -> tuple[str, ...]:
    return extract_entities([a.title for a in topic.articles] + [a.summary for a in topic.articles])


# --- Repeats across days -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Past:
    """One earlier report item, read once: its URLs, name keys and title words."""

    item: StoredItem
    urls: frozenset[str]
    names: frozenset[str]
    words: frozenset[str]


class _History:
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
        candidates = sorted({n for key in (*urls, *names, *words) for n in self.index.get(key, ())})
        best: tuple[float, _Past] | None = None
        for past in (self.past[n] for n in candidates):
            if urls <= past.urls:
                return True, None
            seen = len(urls & past.urls)
            strength = 2.0 + seen if seen else _likeness(names, words, past)
            if strength >= 1.0 and (
                best is None or (strength, past.item.date) > (best[0], best[1].item.date)
            ):
                best = (strength, past)
        return False, FollowUp(best[1].item.date, best[1].item.title, best[1].item.id) if best else None


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


# --- The editor ----------------------------------------------------------------------------


def edit(
    topics: Sequence[Topic],
    *,
    earlier: Sequence[StoredItem] = (),
    language: str = "zh-TW",
    max_per_section: int = 12,
    max_headlines: int = 6,
) -> list[EditedTopic]:
    """The topics that make the report, each in exactly one section, in report order.

    Sections follow ``ITEM_SECTION_KEYS``; inside one, by importance, then score, then topic key.
    Each section keeps at most ``max_per_section`` topics, Top Headlines at most ``max_headlines``.
    """
    kept: list[EditedTopic] = []
    history = _History(earlier)
    # Sorted by key first, so that the same topics in any order make the same report.
    for topic in merge_duplicates(sorted(topics, key=lambda t: t.key)):
        edited = _edit_one(topic, history, language)
        if edited is not None:
            kept.append(edited)
    kept = _with_headlines(kept, min(max_headlines, max_per_section))
    return _ordered(kept, max_per_section)


def _edit_one(topic: Topic, history: _History, language: str) -> EditedTopic | None:
    """The topic with its section, importance and evidence, or None if not AI or seen before."""
    reading = _read(topic)
    relevance_score = _relevance(reading)
    if relevance_score < RELEVANCE_THRESHOLD:
        return None
    entities = _entities(topic)
    reported, follow_up = history.verdict(topic, entities)
    if reported:
        return None
    if follow_up is not None:
        topic = _news_first(topic, history.reported)
    majors = _majors(reading)
    score = round(_score(reading, majors, relevance_score), 4)
    return EditedTopic(
        topic=topic,
        section=_section(reading),
        importance=importance_of(score),
        score=score,
        reason=_reason(topic, majors, language),
        entities=entities,
        follow_up=follow_up,
    )


def _news_first(topic: Topic, reported: frozenset[str]) -> Topic:
    """A follow-up leads with what is new: articles not reported before come first."""
    fresh = [a for a in topic.articles if a.url not in reported]
    seen = [a for a in topic.articles if a.url in reported]
    return dataclasses.replace(topic, articles=(*fresh, *seen))


def _with_headlines(kept: list[EditedTopic], limit: int) -> list[EditedTopic]:
    """The day's strongest stories move to Top Headlines (and so leave their own section)."""
    eligible = [e for e in kept if e.importance in HEADLINE_IMPORTANCE]
    chosen = {e.topic.key for e in sorted(eligible, key=_rank)[:limit]}
    return [dataclasses.replace(e, section="top_headlines") if e.topic.key in chosen else e for e in kept]


def _rank(edited: EditedTopic) -> tuple[int, float, str]:
    return (edited.importance.rank, -edited.score, edited.topic.key)


def _ordered(kept: list[EditedTopic], limit: int) -> list[EditedTopic]:
    out: list[EditedTopic] = []
    for key in ITEM_SECTION_KEYS:
        out.extend(sorted((e for e in kept if e.section == key), key=_rank)[:limit])
    return out
