"""Search over every stored report item: a small BM25 index of our own, held in memory.

Why in process rather than SQLite FTS5 or PostgreSQL full text: the matching rules (core.text
folding of case, width, dashes and quotes; Simplified and Traditional Chinese folded to one
script with OpenCC; CJK bigrams; versioned names such as GPT-5.2 written "gpt 5.2") are applied
once, in Python, to the index and to the question alike, so SQLite and PostgreSQL give the same
answers and the schema needs no search tables. Postings are flat numpy arrays of precomputed
BM25 contributions: a year of reports (365 x 60 items) builds in seconds and answers with a p95
of a few milliseconds (bench/ask.py). ``bot.index_cache.IndexCache`` keeps a built index and
saves it to disk, so neither a long-running bot nor ``aidaily ask`` builds it more than needed.

What is indexed: each item's title, entities, summary, details and use cases, and source names,
weighted in that order, and, weighted lowest, the titles and summary openings of the articles
the item was written from (``Store.item_article_texts``; imported reports have none), so a
question in an article's own words finds its item.

The question: boilerplate ("tell me more about", "跟…相關的更多") and English stopwords are
stripped, a possessive "'s" dropped, a plural also matches its singular ("apps" finds "app"),
and a generic news word no item contains ("tool", "small") is ignored. A few English news words
and Chinese company names carry their other-language form as an alternative.

The index knows when it has nothing: a hit must cover at least ``MIN_COVERAGE`` of the
question's weight (the IDF of its terms; a term no item contains weighs in full when it looks
like a name, less when it is a lowercase word or a Chinese bigram, which the reports may say
otherwise), so a question about a topic no report covers returns ``found=False`` rather than
the nearest unrelated item. Ties go to the newer report. ``prefer`` (the bots: items of the
digest a question was asked under) multiplies the score and the coverage of items that matched
at least one term; it never makes an item that matched nothing a hit.
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any, Protocol

import numpy as np

from core.report.editing import lexicon
from core.store.report_items import ReportedItem
from core.text import fold, tokens

# Field weights: a term in the title or the entities says more than one in the details.
_TITLE, _ENTITIES, _SUMMARY, _BODY, _SOURCES = 3.0, 2.5, 1.0, 0.5, 0.5
# The articles behind an item: their wording finds the item, but weighs less than the item's own.
_ARTICLES = 0.3
_K1, _B = 1.2, 0.75
#: A hit must cover at least this share of the question's term weight.
MIN_COVERAGE = 0.55
#: Questions longer than this are cut before matching (a pasted article is not a question).
MAX_QUESTION_CHARS = 500

# Question boilerplate, stripped before matching (English as words; Chinese as phrases, which
# are replaced by a space so that bigrams never span them).
_EN_BOILERPLATE = frozenset(
    str.split(
        """
    a an the of on in at to for and or about more tell me us what whats what's who is are was were
    any anything news new latest update updates give show please can could you i want know more
    detail details info information explain story stories report reports item items happened
    happening with from did do does how why when where which that this there their it its be
    been say said says some something related regarding re ask asked asks
    """
    )
)
_ZH_BOILERPLATE = sorted(
    str.split(
        """
    請問 請 告訴我 告诉我 跟我說說 跟我说说 說說 说说 介紹一下 介绍一下 介紹 介绍 一下 詳細 详细
    更多 多一點 多一点 關於 关于 有關 有关 相關 相关 的 跟 和 與 与 嗎 吗 呢 吧 啊 呀 什麼 什么
    有沒有 有没有 怎麼樣 怎么样 怎麼 怎么 如何 哪些 消息 新聞 新闻 報導 报导 報道 报道 資訊 资讯
    內容 内容 情況 情况 最新 進展 进展 是 在 了 我 想 知道 看看 還有 还有 其他 新功能 功能 有
    """
    ),
    key=len,
    reverse=True,
)
_ZH_PATTERN = re.compile("|".join(map(re.escape, _ZH_BOILERPLATE)))
# A few English news words and the Chinese the reports use for them (Simplified: the index's script).
_SYNONYMS = {
    "valuation": "估值",
    "funding": "融資",
    "raise": "融資",
    "raises": "融資",
    "lawsuit": "訴訟",
    "copyright": "版權",
    "government": "政府",
    "infrastructure": "基礎設施",
    "robot": "機器人",
    "robots": "機器人",
    "humanoid": "人形機器人",
    "earnings": "財報",
    "stock": "股價",
    "regulation": "監管",
    "regulators": "監管",
    "safety": "安全",
    "privacy": "隱私",
    "battery": "電池",
    "fire": "火災",
    "browser": "瀏覽器",
    "benchmark": "基準",
    "dataset": "資料集",
    "chip": "晶片",
    "chips": "晶片",
    "nuclear": "核能",
    "fusion": "融合",
    "coal": "燃煤",
    "climate": "氣候",
    "breach": "外洩",
    "hack": "駭",
    "children": "兒童",
    "kids": "兒童",
    "stickers": "貼紙",
    "playlist": "播放清單",
    "playlists": "播放清單",
    "bond": "債券",
    "bonds": "債券",
    "budget": "預算",
    "age": "年齡",
    "verification": "驗證",
    "reinforcement": "強化學習",
    "distillation": "蒸餾",
    "charging": "充電",
    "hydrogen": "氫氣",
    "wells": "油井",
    "birds": "鳥類",
    "wind": "風電",
    "cloud": "雲",
    "sovereign": "主權",
    "drivers": "駕駛",
    "driving": "駕駛",
    "autonomous": "自動駕駛",
    "video": "影片",
    "voice": "語音",
    "singing": "歌聲",
    "person": "人物",
    "year": "年度",
    "medical": "醫療",
    "bubble": "泡沫",
    "attorney": "檢察長",
    "attorneys": "檢察長",
    "approval": "批准",
    "netherlands": "荷蘭",
    "dutch": "荷蘭",
    "eu": "歐盟",
    "europe": "歐洲",
    "european": "歐洲",
    "china": "中國",
    "chinese": "中國",
    "malaysia": "馬來西亞",
    "mumbai": "孟買",
    "tesla": "特斯拉",
    "oracle": "甲骨文",
    "alibaba": "阿里巴巴",
    "disney": "迪士尼",
    "dingtalk": "釘釘",
    "musk": "馬斯克",
}
# Chinese names of companies and products the reports often write in English (Simplified: the
# index's script); a Chinese name in a question also matches the English one.
_ALIASES = {
    "英伟达": "nvidia",
    "辉达": "nvidia",
    "微软": "microsoft",
    "谷歌": "google",
    "苹果": "apple",
    "亚马逊": "amazon",
    "脸书": "facebook",
    "甲骨文": "oracle",
    "迪士尼": "disney",
    "通义千问": "qwen",
    "千问": "qwen",
    "阿里巴巴": "alibaba",
    "特斯拉": "tesla",
    "马斯克": "musk",
    "字节跳动": "bytedance",
    "百度": "baidu",
    "腾讯": "tencent",
    "华为": "huawei",
    "三星": "samsung",
    "台积电": "tsmc",
    "双子座": "gemini",
}
#: What an unknown common word or Chinese bigram weighs, as a share of an unknown name.
_COMMON_WORD_SHARE = 0.4
_NAMED = re.compile(r"[A-Z][A-Za-z0-9]*|[A-Za-z]*\d[A-Za-z0-9.]*")
_PUNCTUATION = re.compile(r"[?？!！,，。、:：;；()（）\[\]【】「」『』\"']+")
_POSSESSIVE = re.compile(r"(?<=[a-z0-9])'s\b")


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


@cache
def _to_simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """Folded text (core.text.fold) in one Chinese script: Traditional becomes Simplified."""
    folded = fold(text)
    if re.search(r"[\u3400-\u9fff]", folded):
        folded = _to_simplified().convert(folded)
    return folded


def _expand(words: Iterable[str]) -> list[str]:
    """Tokens plus the parts and the joined form of dashed names: gpt-5.2 -> gpt, 5.2, gpt5.2."""
    out: list[str] = []
    for word in words:
        out.append(word)
        if "-" in word:
            out.extend(part for part in word.split("-") if part)
            out.append(word.replace("-", ""))
    return out


def _joined(words: Sequence[str]) -> list[str]:
    """Latin names written apart, joined: "opus 4.5" -> opus-4.5 (a version number follows)."""
    return [
        f"{a}-{b}"
        for a, b in pairwise(words)
        if a.isascii() and b.isascii() and b[0].isdigit() and a[-1].isalpha()
    ]


def text_terms(text: str) -> list[str]:
    """The index terms of a stored text."""
    words = tokens(normalize(text))
    return _expand([*words, *_joined(words)])


def question_groups(question: str) -> list[tuple[str, ...]]:
    """The terms of a question, boilerplate stripped, in order; each with its alternatives
    (the Chinese the reports use for an English word), any of which matches."""
    text = normalize(question[:MAX_QUESTION_CHARS])
    text = _PUNCTUATION.sub(" ", _ZH_PATTERN.sub(" ", _POSSESSIVE.sub("", text)))
    aliases = {}
    for name, english in _ALIASES.items():
        if name in text:
            text = text.replace(name, f" {english} ")
            aliases[english] = (english, *tokens(name))
    words = [w for w in tokens(text) if w not in _EN_BOILERPLATE and w not in lexicon.STOPWORDS]
    groups = {term: aliases.get(term, _inflected(term)) for term in _expand([*words, *_joined(words)])}
    for word in words:
        if word in _SYNONYMS:
            groups[word] = (word, *tokens(normalize(_SYNONYMS[word])))
    return list(groups.values())


def _generic(term: str) -> bool:
    return lexicon.stem(term) in lexicon.GENERIC


def _inflected(term: str) -> tuple[str, ...]:
    """A term and its stem, which also matches: "apps" finds "app", "trucks" "truck"."""
    stem = lexicon.stem(term)
    return (term, stem) if stem != term else (term,)


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


def _weigh(found: ReportedItem, articles: str) -> dict[str, float]:
    """An item's terms with their field-weighted counts."""
    tf: dict[str, float] = defaultdict(float)
    for weight, text in _fields(found, articles):
        for term in text_terms(text):
            tf[term] += weight
    return tf


@dataclass(frozen=True, slots=True, eq=False)
class IndexState:
    """Everything a built index holds, as plain values and flat arrays (what ``bot.index_cache``
    saves and loads). Term ``n``'s postings are ``docs[offsets[n]:offsets[n + 1]]`` (item numbers)
    with ``values`` at the same places (their precomputed BM25 contributions)."""

    items: Sequence[ReportedItem]  # a tuple, or items decoded when first read (bot.index_cache)
    days: np.ndarray  # int64, each item's report date as an ordinal: recency breaks ties
    terms: tuple[str, ...]
    offsets: np.ndarray  # int64, len(terms) + 1
    docs: np.ndarray  # int32
    values: np.ndarray  # float32
    idf: np.ndarray  # float64, one per term
    unseen_idf: float


def build_state(items: Sequence[ReportedItem], articles: Mapping[int, str] | None = None) -> IndexState:
    """Weigh every item's fields (and its articles' text, by item id) into BM25 postings."""
    articles = articles or {}
    docs: dict[str, array[int]] = defaultdict(lambda: array("i"))
    tfs: dict[str, array[float]] = defaultdict(lambda: array("f"))
    lengths = np.zeros(len(items), dtype=np.float32)
    for doc, found in enumerate(items):
        weighted = _weigh(found, articles.get(found.id, ""))
        lengths[doc] = sum(weighted.values())
        for term, count in weighted.items():
            docs[term].append(doc)
            tfs[term].append(count)
    terms = tuple(docs)
    frequency = np.array([len(docs[t]) for t in terms], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(frequency))).astype(np.int64)
    at = np.concatenate([np.frombuffer(docs[t], dtype=np.int32) for t in terms] or [np.zeros(0, np.int32)])
    tf = np.concatenate([np.frombuffer(tfs[t], dtype=np.float32) for t in terms] or [np.zeros(0, np.float32)])
    n = len(items)
    idf = np.log(1 + (n - frequency + 0.5) / (frequency + 0.5))
    norms = 1 - _B + _B * lengths / (float(lengths.mean()) if n else 1.0)
    values = (np.repeat(idf, frequency) * tf * (_K1 + 1) / (tf + _K1 * norms[at])).astype(np.float32)
    days = np.array([found.date.toordinal() for found in items], dtype=np.int64)
    unseen_idf = math.log(1 + (n + 0.5) / 0.5)
    return IndexState(tuple(items), days, terms, offsets, at, values, idf, unseen_idf)


class ItemIndex:
    """BM25 (with weighted fields) over folded terms of every stored item and its articles.

    Postings are flat numpy arrays (item numbers and their precomputed BM25 contribution), so a
    question costs a few vector additions over the items however common its terms are.
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
    def from_store(cls, store: Any) -> ItemIndex:
        """An index of every item a ``Store`` holds, with the text of the articles behind them."""
        return cls(store.reported_items(), store.item_article_texts())

    def _use(self, state: IndexState) -> None:
        self._state = state
        self._items = state.items
        self._term_ids = {term: n for n, term in enumerate(state.terms)}
        self._recency = state.days

    def state(self) -> IndexState:
        return self._state

    def __len__(self) -> int:
        return len(self._items)

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        n = self._term_ids.get(term)
        if n is None:
            return None
        start, end = self._state.offsets[n], self._state.offsets[n + 1]
        return self._state.docs[start:end], self._state.values[start:end]

    def search(self, question: str, limit: int = 5, prefer: Preference | None = None) -> SearchResult:
        # A generic news word ("tool", "small") that no item has says nothing about a story.
        groups = [g for g in question_groups(question) if self._known(g) or not _generic(g[0])]
        cut = question[:MAX_QUESTION_CHARS]
        named = {fold(word) for word in _NAMED.findall(unicodedata.normalize("NFKC", cut))}
        weights = [self._weight(group, named) for group in groups]
        total = sum(weights)
        scores = np.zeros(len(self._items), dtype=np.float32)
        covered = np.zeros(len(self._items), dtype=np.float32)
        for group, weight in zip(groups, weights, strict=True):
            matched = np.zeros(len(self._items), dtype=bool)
            for term in group:
                postings = self._postings(term)
                if postings is not None:
                    at, values = postings
                    scores[at] += values  # an item appears once in a term's postings
                    matched[at] = True
            covered[matched] += weight / total
        if prefer is not None:
            self._boost(scores, covered, prefer)
        terms = tuple(term for group in groups for term in group)
        return SearchResult(question, terms, self._best(scores, covered, limit))

    def _boost(self, scores: np.ndarray, covered: np.ndarray, prefer: Preference) -> None:
        """Raise the score and the coverage of preferred items, but only of items that matched a
        term: a boost makes a weak match of a preferred item count, never an item that matched
        nothing."""
        matched = np.flatnonzero(covered > 0)
        boosts = np.array([max(1.0, float(prefer(self._items[d]))) for d in matched], dtype=np.float32)
        scores[matched] *= boosts
        covered[matched] = np.minimum(covered[matched] * boosts, 1.0)

    def _known(self, group: tuple[str, ...]) -> bool:
        return any(term in self._term_ids for term in group)

    def _weight(self, group: tuple[str, ...], named: set[str]) -> float:
        """A term's share of the question: its IDF, or for a term no item has, a guess."""
        known = [float(self._state.idf[self._term_ids[t]]) for t in group if t in self._term_ids]
        if known:
            return max(known)
        # An unknown lowercase word is likely common English the reports say in Chinese, and an
        # unknown Chinese bigram likely spans two words; an unknown name weighs in full.
        term = group[0]
        common = term.isalpha() and term not in named and (not term.isascii() or len(term) > 1)
        return self._state.unseen_idf * (_COMMON_WORD_SHARE if common else 1.0)

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
