"""Search over every stored report item: a small BM25 index of our own, held in memory.

Why in process rather than SQLite FTS5 or PostgreSQL full text: the matching rules (core.text
folding of case, width, dashes and quotes; Simplified and Traditional Chinese folded to one
script with OpenCC; CJK bigrams; versioned names such as GPT-5.2 written "gpt 5.2") are applied
once, in Python, to the index and to the question alike, so SQLite and PostgreSQL give the same
answers and the schema needs no search tables. Postings are numpy arrays of precomputed BM25
contributions: a year of reports (365 x 60 items) loads and builds in about 6 seconds, takes
under 100 MB, and answers with a p95 of a few milliseconds (bench/ask.py). A long-running bot
builds it once and again when a new report is stored; ``aidaily ask`` builds it per call.

The index knows when it has nothing: a hit must cover at least ``MIN_COVERAGE`` of the
question's weight (the IDF of its terms; a term no item contains weighs in full when it looks
like a name, less when it is a lowercase word or a Chinese bigram, which the reports may say
otherwise), so a question about a topic no report covers returns ``found=False`` rather than
the nearest unrelated item. A few English news words and Chinese company names carry their
other-language form as an alternative. Ties go to the newer report.
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any, Protocol

import numpy as np

from core.store.report_items import ReportedItem
from core.text import fold, tokens

# Field weights: a term in the title or the entities says more than one in the details.
_TITLE, _ENTITIES, _SUMMARY, _BODY, _SOURCES = 3.0, 2.5, 1.0, 0.5, 0.5
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


class SearchIndex(Protocol):
    """The seam the answerer and the bots search through."""

    def search(self, question: str, limit: int = 5) -> SearchResult: ...


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
    text = _PUNCTUATION.sub(" ", _ZH_PATTERN.sub(" ", text))
    aliases = {}
    for name, english in _ALIASES.items():
        if name in text:
            text = text.replace(name, f" {english} ")
            aliases[english] = (english, *tokens(name))
    words = [w for w in tokens(text) if w not in _EN_BOILERPLATE]
    groups = {term: aliases.get(term, (term,)) for term in _expand([*words, *_joined(words)])}
    for word in words:
        if word in _SYNONYMS:
            groups[word] = (word, *tokens(normalize(_SYNONYMS[word])))
    return list(groups.values())


def _fields(found: ReportedItem) -> list[tuple[float, str]]:
    item = found.item
    return [
        (_TITLE, item.title),
        (_ENTITIES, " ; ".join(item.entities)),
        (_SUMMARY, item.summary),
        (_BODY, " ".join((*item.details, *item.use_cases))),
        (_SOURCES, " ".join(s.name for s in item.sources)),
    ]


class ItemIndex:
    """BM25 (with weighted fields) over folded terms of every stored item.

    Postings are numpy arrays (item numbers and their precomputed BM25 contribution), so a
    question costs a few vector additions over the items however common its terms are.
    """

    def __init__(self, items: Sequence[ReportedItem]) -> None:
        self._items = list(items)
        docs: dict[str, array[int]] = defaultdict(lambda: array("i"))
        tfs: dict[str, array[float]] = defaultdict(lambda: array("f"))
        lengths = np.zeros(len(self._items), dtype=np.float32)
        for doc, found in enumerate(self._items):
            weighted = self._weigh(found)
            lengths[doc] = sum(weighted.values())
            for term, count in weighted.items():
                docs[term].append(doc)
                tfs[term].append(count)
        self._idf: dict[str, float] = {}
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._build(docs, tfs, lengths)
        # Recency breaks ties: the newer report's item first.
        self._recency = np.array([found.date.toordinal() for found in self._items], dtype=np.int64)

    @classmethod
    def from_store(cls, store: Any) -> ItemIndex:
        """An index of every item a ``Store`` holds."""
        return cls(store.reported_items())

    def __len__(self) -> int:
        return len(self._items)

    @staticmethod
    def _weigh(found: ReportedItem) -> dict[str, float]:
        tf: dict[str, float] = defaultdict(float)
        for weight, text in _fields(found):
            for term in text_terms(text):
                tf[term] += weight
        return tf

    def _build(self, docs: dict[str, array[int]], tfs: dict[str, array[float]], lengths: np.ndarray) -> None:
        n = len(lengths)
        norms = 1 - _B + _B * lengths / (float(lengths.mean()) if n else 1.0)
        for term, where in docs.items():
            at = np.frombuffer(where, dtype=np.int32)
            tf = np.frombuffer(tfs[term], dtype=np.float32)
            idf = math.log(1 + (n - len(at) + 0.5) / (len(at) + 0.5))
            self._idf[term] = idf
            self._postings[term] = (at, (idf * tf * (_K1 + 1) / (tf + _K1 * norms[at])).astype(np.float32))
        self._unseen_idf = math.log(1 + (n + 0.5) / 0.5)

    def search(self, question: str, limit: int = 5) -> SearchResult:
        groups = question_groups(question)
        cut = question[:MAX_QUESTION_CHARS]
        named = {fold(word) for word in _NAMED.findall(unicodedata.normalize("NFKC", cut))}
        weights = [self._weight(group, named) for group in groups]
        total = sum(weights)
        scores = np.zeros(len(self._items), dtype=np.float32)
        covered = np.zeros(len(self._items), dtype=np.float32)
        for group, weight in zip(groups, weights, strict=True):
            matched = np.zeros(len(self._items), dtype=bool)
            for term in group:
                if term in self._postings:
                    at, values = self._postings[term]
                    scores[at] += values  # an item appears once in a term's postings
                    matched[at] = True
            covered[matched] += weight / total
        terms = tuple(term for group in groups for term in group)
        return SearchResult(question, terms, self._best(scores, covered, limit))

    def _weight(self, group: tuple[str, ...], named: set[str]) -> float:
        """A term's share of the question: its IDF, or for a term no item has, a guess."""
        known = [self._idf[term] for term in group if term in self._idf]
        if known:
            return max(known)
        # An unknown lowercase word is likely common English the reports say in Chinese, and an
        # unknown Chinese bigram likely spans two words; an unknown name weighs in full.
        term = group[0]
        common = term.isalpha() and term not in named and (not term.isascii() or len(term) > 1)
        return self._unseen_idf * (_COMMON_WORD_SHARE if common else 1.0)

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
