"""Group articles about one story into topics, fast and deterministically.

Each article becomes a sparse vector of salient words: title words weigh more than the opening of
the summary, words rare in the batch (IDF) more than common ones, and names (words with digits
such as "gpt-5.2", CamelCase, ALLCAPS, capitalized mid-sentence, Latin words inside Chinese text)
more than plain words; boilerplate ("new", "model", "AI") weighs little. Articles are then
visited once, best source first, and each joins the most similar topic above a threshold or starts
a new one ("leader" clustering). Similarity is the mean cosine to the topic's members (average
link), never to a single look-alike, so chains of pairwise resemblance cannot grow one giant
cluster; topics are also capped in size. A news article must share more than one name with a
topic (two stories about OpenAI are not one story), unless both titles name the same versioned
model; papers group by theme, with a looser threshold, and one rare shared term can be the theme.

A topic's lead (its first article, whose headline the report prints) is the member that best
speaks for it: the one that says most of what the other members say, scaled down when it says
little at all. Source weight and time only break ties, so a feed of short, vague items ("Anthropic
Claude agent AI model") cannot put its words over other outlets' story by weight or by being first.

Candidate topics come from an inverted index over each article's heaviest shared words, skipping
words that already point to many topics, so the cost grows with the number of articles, not with
its square: 30,000 articles take a few seconds.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.models import Article, SourceKind, Topic
from core.report.editing import lexicon
from core.text import fold, has_cjk, match_key

#: Similarity a news article needs to join a topic (same event) ...
NEWS_THRESHOLD = 0.28
#: ... and a paper needs to join a topic of papers (same theme: looser).
PAPER_THRESHOLD = 0.15
#: No topic grows beyond this many articles.
MAX_TOPIC_SIZE = 12
#: Words of the summary that count; the opening says what the story is.
SUMMARY_WORDS = 60
SUMMARY_CJK_CHARS = 150

_TITLE_WEIGHT = 3.0
_ENTITY_BOOST = 2.0
_GENERIC_DAMP = 0.15
_INDEX_KEYS = 8  # rarest words per article used to find candidate topics
_CANDIDATES = 4  # candidate topics scored in full per article
_MAX_WORDS = 32  # words kept per article
_MAX_POSTING = 20  # topics one index word may point to
_MIN_SUPPORT = 0.06  # similarity owed to words other than the strongest shared one
_TERMS = 8
#: Distinct content words at which an article is specific enough to speak for a story; one with
#: fewer ("Anthropic Claude agent AI model" has three) is trusted in proportion.
_SPECIFIC_WORDS = 12

_WORD = r"[A-Za-z0-9.\-'’]*"
_CAPITALIZED = re.compile(r"[A-Z]" + _WORD)
# A capitalized word after a word or a comma, so not the first word of a sentence.
_MID_SENTENCE = re.compile(r"(?<=[A-Za-z0-9,;] )[A-Z]" + _WORD)
# A capitalized word before an ALLCAPS, CamelCase or numbered one opens a name even at the start
# of a sentence: "Mistral AI raises ...", "Google DeepMind said ...".
_BEFORE_NAME = re.compile(r"\b[A-Z][a-z]+(?= (?:[A-Z]{2,}|[A-Z][a-z]+[A-Z]\w*|[A-Za-z]*\d[\w.]*)\b)")
_INNER_CAPITAL = re.compile(r"[A-Z]")  # searched from the second letter: OpenAI, NVIDIA
_LATIN_WORD = re.compile(r"[A-Za-z]" + _WORD)
#: Chinese names of major players -> the English word articles in English use.
_CHINESE_NAMES = {alias: lexicon.words(name)[0] for alias, name in lexicon.MAJOR_CHINESE.items()}
_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"[\d.,\-']+")


@dataclass(slots=True)
class _Doc:
    article: Article
    vec: dict[str, float]  # shared words only, heaviest first; normalized over all words
    norm: float  # of all its weighted words: vec times norm gives the raw weights back
    latin_norm: float  # norm of the Latin-script part of vec
    cjk: bool  # written in Chinese (title has CJK)
    entities: frozenset[str]
    title_words: frozenset[str]  # its shared words that stand in the title
    content: int  # distinct salient words that are not boilerplate, shared or not


@dataclass(slots=True)
class _Group:
    members: list[_Doc]
    vec: dict[str, float]  # sum of member vectors
    latin_mass: float  # sum of the members' Latin-part norms
    scripts: set[bool]
    papers: bool  # every member is a paper
    title_words: set[str] = field(default_factory=set)
    indexed: set[str] = field(default_factory=set)


def cluster(articles: Sequence[Article]) -> list[Topic]:
    """Topics of ``articles``: one per story (news) or theme (papers), deterministic in any order."""
    ordered = sorted(articles, key=_order)
    features = [_features(a) for a in ordered]
    vocabulary = _Vocabulary.of(features)
    groups = _assign(_docs(ordered, features, vocabulary))
    topics = [_topic(g) for g in groups]
    return sorted(topics, key=lambda t: (-len(t.source_names), -len(t.articles), _order(t.lead), t.key))


def topic_key(urls: Iterable[str]) -> str:
    """A short stable key for a set of article URLs (order and duplicates do not matter)."""
    joined = "\n".join(sorted(set(urls)))
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:12]


def _order(article: Article) -> tuple[float, datetime, str, str]:
    """Best source first, then earliest; the URL and title make the order total."""
    return (-article.source_weight, article.published, article.url, article.title)


# --- Features ------------------------------------------------------------------------------


def _features(article: Article) -> tuple[Counter[str], frozenset[str]]:
    """Term frequencies (title words count ``_TITLE_WEIGHT`` times) and the entity-like words."""
    summary = _opening(article.summary)
    counts = Counter(filter(_salient, lexicon.words(summary)))
    for word in lexicon.words(article.title):
        if _salient(word):
            counts[word] += _TITLE_WEIGHT
    names = _entity_words(article.title, summary)
    if has_cjk(article.title) or has_cjk(summary):
        # "阿里巴巴" is "alibaba": major players' Chinese names become the English words, so a
        # Chinese article can meet the English coverage of the same story.
        translated = _translated(article.title, summary)
        counts.update(translated)
        names |= translated.keys()
    return counts, names


def _translated(title: str, summary: str) -> dict[str, float]:
    """English words for the major players a Chinese text names, weighted like its own words."""
    found: dict[str, float] = {}
    for alias, word in _CHINESE_NAMES.items():
        weight = (_TITLE_WEIGHT if alias in title else 0.0) + (1.0 if alias in summary else 0.0)
        if weight:
            found[word] = max(found.get(word, 0.0), weight)
    return found


def _opening(summary: str) -> str:
    """The first ~60 words (or 150 Chinese characters): the rest rarely names the story."""
    if has_cjk(summary):
        return summary[:SUMMARY_CJK_CHARS]
    return " ".join(summary.split()[:SUMMARY_WORDS])


@functools.lru_cache(maxsize=200_000)
def _salient(word: str) -> bool:
    """Worth a feature: not a stopword, not a bare number, no Chinese function character."""
    if lexicon.is_cjk(word):
        return word not in lexicon.CJK_STOP_BIGRAMS and not any(c in lexicon.CJK_FUNCTION_CHARS for c in word)
    # Bare numbers and years say little on their own; "gpt-5.2" keeps its letters and stays.
    return word not in lexicon.STOPWORDS and len(word) > 1 and not _NUMBER.fullmatch(word)


@functools.lru_cache(maxsize=200_000)
def _kind(word: str) -> tuple[bool, bool]:
    """(written in CJK, contains a digit): both cached, as the same words recur all day."""
    return lexicon.is_cjk(word), _DIGIT.search(word) is not None


@functools.lru_cache(maxsize=200_000)
def _name_words(raw: str) -> tuple[str, ...]:
    """The matching words of a name as written ("OpenAI's" -> "openai")."""
    if fold(raw) in lexicon.NOT_ENTITIES:
        return ()
    return tuple(w for w in lexicon.words(raw) if w not in lexicon.STOPWORDS)


def _entity_words(title: str, summary: str) -> frozenset[str]:
    """Words written like names: CamelCase, ALLCAPS, or capitalized in mid-sentence.

    (Words with digits count as names anyway, see ``_base_boost``.) Chinese text does not
    capitalize common words, so any Latin word in it is a name; in a Headline Style Title
    capitals mean nothing, so only CamelCase and ALLCAPS count there.
    """
    found: set[str] = set()
    for text, headline in ((title, lexicon.headline_style(title)), (summary, False)):
        if has_cjk(text):
            for raw in _LATIN_WORD.findall(text):
                found.update(_name_words(raw))
            continue
        names = [w for w in _CAPITALIZED.findall(text) if _INNER_CAPITAL.search(w, 1)]
        if not headline:
            names += _MID_SENTENCE.findall(text)
            names += [w for w in _BEFORE_NAME.findall(text) if w.lower() not in lexicon.NOT_ENTITIES]
        for raw in names:
            found.update(_name_words(raw))
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """What the batch says about each word: how many articles have it, and its weights."""

    df: Counter[str]
    weight: dict[str, float]  # IDF, times the boost for digits or the damping for boilerplate
    name_weight: dict[str, float]  # IDF, times the boost for names

    @classmethod
    def of(cls, features: list[tuple[Counter[str], frozenset[str]]]) -> _Vocabulary:
        df = Counter(word for counts, _ in features for word in counts)
        idf = {word: math.log(1.0 + len(features) / count) for word, count in df.items()}
        weight = {word: value * _base_boost(word) for word, value in idf.items()}
        return cls(df, weight, {word: value * _ENTITY_BOOST for word, value in idf.items()})


def _base_boost(word: str) -> float:
    """Weight factor known from the word alone: names with digits up, boilerplate down."""
    if _DIGIT.search(word):
        return _ENTITY_BOOST  # "gpt-5.2", "h100": names wherever they stand
    return _GENERIC_DAMP if word in lexicon.GENERIC else 1.0


def _doc(article: Article, counts: Counter[str], names: frozenset[str], vocabulary: _Vocabulary) -> _Doc:
    """The article's weighted words, normalized over all of them, then only the shared ones kept.

    A word no other article has can never match, so it only counts towards the norm; the vector
    keeps the heaviest shared words, heaviest first (the order the index reads them in).
    """
    df, plain, named = vocabulary.df, vocabulary.weight, vocabulary.name_weight
    weights = {w: tf * (named[w] if w in names else plain[w]) for w, tf in counts.items()}
    norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
    cjk = has_cjk(article.title) or has_cjk(article.summary)
    latin = math.sqrt(sum(v * v for w, v in weights.items() if not lexicon.is_cjk(w))) if cjk else norm
    shared = sorted(((-v, w) for w, v in weights.items() if df[w] > 1))[:_MAX_WORDS]
    vec = {word: -weight / norm for weight, word in shared}
    in_title = frozenset(w for w in vec if counts[w] >= _TITLE_WEIGHT)
    cjk_title, content = has_cjk(article.title), _content(counts)
    return _Doc(article, vec, norm, latin / norm, cjk_title, names, in_title, content)


def _content(counts: Counter[str]) -> int:
    """How much an article says: its distinct salient words that are not boilerplate."""
    return sum(1 for w in counts if w not in lexicon.GENERIC)


def _docs(
    ordered: list[Article], features: list[tuple[Counter[str], frozenset[str]]], vocabulary: _Vocabulary
) -> list[_Doc]:
    """Vectors of all articles; each article's raw counts are let go once used (memory)."""
    features.reverse()
    return [_doc(article, *features.pop(), vocabulary) for article in ordered]


# --- Leader assignment ---------------------------------------------------------------------


def _assign(docs: list[_Doc]) -> list[_Group]:
    """One pass in the given order: each article joins its best topic or leads a new one."""
    groups: list[_Group] = []
    postings: dict[str, list[int]] = {}
    by_title: dict[str, int] = {}
    for doc in docs:
        keys = list(itertools.islice(_short_postings(doc.vec, postings), _INDEX_KEYS))
        gid = _best_group(doc, keys, groups, postings, by_title)
        if gid is None:
            gid = len(groups)
            groups.append(_Group([], {}, 0.0, set(), doc.article.source_kind is SourceKind.PAPER))
        _join(groups[gid], doc)
        by_title.setdefault(_title_key(doc.article), gid)
        for word in keys:
            if word not in groups[gid].indexed:
                groups[gid].indexed.add(word)
                postings.setdefault(word, []).append(gid)
    return groups


def _short_postings(words: Iterable[str], postings: dict[str, list[int]]) -> Iterator[str]:
    """Words whose postings are short enough to read; a word in many topics tells none apart."""
    return (w for w in words if len(postings.get(w, ())) <= _MAX_POSTING)


def _title_key(article: Article) -> str:
    return article.title_key or match_key(article.title)


def _best_group(
    doc: _Doc, keys: list[str], groups: list[_Group], postings: dict[str, list[int]], by_title: dict[str, int]
) -> int | None:
    """The most similar topic with room, above the threshold; a topic with the same title wins."""
    same_title = by_title.get(_title_key(doc.article))
    if same_title is not None and len(groups[same_title].members) < MAX_TOPIC_SIZE:
        return same_title
    hits: Counter[int] = Counter()
    for word in keys:
        hits.update(postings.get(word, ()))
    # Topics sharing the most index words first; ties keep the (deterministic) order of discovery.
    ranked = [gid for gid, _ in hits.most_common(_CANDIDATES)]
    best, best_sim = None, 0.0
    for gid in ranked:
        group = groups[gid]
        sim = _similarity(doc, group)
        if len(group.members) < MAX_TOPIC_SIZE and sim >= _threshold(doc, group) and sim > best_sim:
            best, best_sim = gid, sim
    return best


def _threshold(doc: _Doc, group: _Group) -> float:
    both_papers = group.papers and doc.article.source_kind is SourceKind.PAPER
    return PAPER_THRESHOLD if both_papers else NEWS_THRESHOLD


def _similarity(doc: _Doc, group: _Group) -> float:
    """Mean cosine to the topic's members; across scripts, over the shared Latin words only.

    The mean (average link), unlike the cosine to the centroid, does not flatter a topic whose
    members share a single name: such a centroid points at that name and would attract every
    other story about it.
    """
    products = [(w, v * group.vec[w]) for w, v in doc.vec.items() if w in group.vec]
    # One shared word can decide when it stands in both titles and is a theme of papers
    # ("plasticity") or a versioned model name ("GPT-5.2"); else news must share more than a name.
    decisive = doc.title_words & group.title_words
    if not (group.papers and doc.article.source_kind is SourceKind.PAPER):
        decisive = frozenset(w for w in decisive if w in doc.entities and _kind(w)[1])
    full = _evidence(products, 1.0 / len(group.members), decisive)
    if doc.cjk in group.scripts or not doc.latin_norm or not group.latin_mass:
        return full
    # A Chinese article about "OpenAI GPT-6" can only share its Latin names with an English topic.
    latin = [(w, p) for w, p in products if not _kind(w)[0]]
    if not any(w in doc.entities or _kind(w)[1] for w, _ in latin):
        return full
    return max(full, _evidence(latin, 1.0 / (doc.latin_norm * group.latin_mass), decisive))


def _evidence(products: list[tuple[str, float]], scale: float, decisive: frozenset[str]) -> float:
    """The scaled dot product over shared words; 0 if one word carries nearly all of it.

    Two different stories often share one name ("OpenAI", "IBM"); one story told twice also
    shares other words, so the evidence without its strongest word must still count.
    """
    if not products:
        return 0.0
    total = sum(p for _, p in products)
    top_word, top = max(products, key=lambda wp: (wp[1], wp[0]))
    if top_word in decisive or (total - top) * scale >= _MIN_SUPPORT:
        return total * scale
    return 0.0


def _join(group: _Group, doc: _Doc) -> None:
    """Add the article to the topic: its vector to the summed profile, its facts to the flags."""
    if not group.members:
        group.vec = doc.vec  # shared until a second member comes: most topics never get one
    else:
        if len(group.members) == 1:
            group.vec = dict(group.vec)
        for word, value in doc.vec.items():
            group.vec[word] = group.vec.get(word, 0.0) + value
    group.latin_mass += doc.latin_norm
    group.members.append(doc)
    group.scripts.add(doc.cjk)
    group.title_words |= doc.title_words
    group.papers = group.papers and doc.article.source_kind is SourceKind.PAPER


# --- Output --------------------------------------------------------------------------------


def _topic(group: _Group) -> Topic:
    """The topic value: the lead first, the rest by source and time, key from their URLs."""
    lead = _lead(group.members)
    rest = sorted((d.article for d in group.members if d is not lead), key=_order)
    articles = (lead.article, *rest)
    return Topic(key=topic_key(a.url for a in articles), articles=articles, terms=_terms(group))


def _lead(members: list[_Doc]) -> _Doc:
    """The member that best speaks for the topic (see the module docstring); ties by ``_order``."""
    if len(members) == 1:
        return members[0]
    holders = Counter(word for doc in members for word in doc.vec)
    return min(members, key=lambda doc: (-_speaks_for(doc, holders, len(members)), _order(doc.article)))


def _speaks_for(doc: _Doc, holders: Counter[str], size: int) -> float:
    """Coverage times specificity: each of its words by raw weight and by the share of the other
    members that have it too; not normalized by its length, as a short item is dense in shared
    words without saying more."""
    coverage = sum(value * (holders[word] - 1) for word, value in doc.vec.items()) * doc.norm / (size - 1)
    return coverage * min(1.0, doc.content / _SPECIFIC_WORDS)


def _terms(group: _Group) -> tuple[str, ...]:
    """The profile's heaviest content words; boilerplate words only when nothing else is left."""
    if len(group.members) == 1:
        ranked = list(group.vec)  # an article's vector is already heaviest first
    else:
        ranked = [w for _, w in sorted((-v, w) for w, v in group.vec.items())]
    content = [w for w in ranked if w not in lexicon.GENERIC]
    return tuple((content + [w for w in ranked if w in lexicon.GENERIC])[:_TERMS])


def merge_duplicates(topics: Sequence[Topic]) -> list[Topic]:
    """Topics that are plainly one story (same headline, or the same top terms) made one.

    ``cluster`` caps topic size and works in one pass, so a big story can come out in parts;
    the editor calls this so that the report still tells it once.
    """
    merged: list[Topic] = []
    by_title: dict[str, int] = {}
    by_terms: dict[frozenset[str], int] = {}
    for topic in topics:
        title, terms = match_key(topic.lead.title), frozenset(topic.terms[:4])
        index = by_title.get(title, by_terms.get(terms) if len(terms) == 4 else None)
        if index is None:
            by_title[title] = len(merged)
            if len(terms) == 4:
                by_terms.setdefault(terms, len(merged))
            merged.append(topic)
        else:
            merged[index] = _union(merged[index], topic)
    return merged


def _content_words(article: Article) -> int:
    return _content(_features(article)[0])


def _union(first: Topic, second: Topic) -> Topic:
    """One topic of both, led by the more specific of their leads (the first's on a tie)."""
    lead = second.lead if _content_words(second.lead) > _content_words(first.lead) else first.lead
    both = dict.fromkeys((*first.articles, *second.articles))
    articles = (lead, *sorted((a for a in both if a is not lead), key=_order))
    terms = tuple(dict.fromkeys((*first.terms, *second.terms)))[: max(len(first.terms), 8)]
    return Topic(key=topic_key(a.url for a in articles), articles=articles, terms=terms)
