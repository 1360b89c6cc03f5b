"""English and Chinese names of one thing, mined from the stored items when the index is built.

The reports write a name once in both languages and then in one ("輝達（NVIDIA）", "Avocado（牛油
果）", "小型模組化反應器（SMR）"), or write a company in Chinese in the title and in Latin letters in
the entity list ("甲骨文營收放緩…" with 關鍵實體 "Oracle"). Two miners, both pure functions of the
items, so a saved index carries what it mined (``bot.index_cache``):

* ``parenthesized``: a Chinese name followed by a Latin one (with a capital or a digit) in
  brackets, or the other way round.
  The Chinese side is cut after the last function character before the bracket ("用於早期慢性腎病
  （CKD）" gives 早期慢性腎病), and at most ``MAX_CHINESE`` characters are kept.
* ``titled``: a Latin entity that the item's title does not write, paired with the Chinese
  stretch of the title that such items share on at least ``MIN_SUPPORT`` report days (one story
  told twice on one day is one piece of evidence), and that nearly only they have
  (``MIN_PRECISION`` of the days whose titles have it), so a common word ("營收") is no name.

Pairs are returned folded by the caller's ``fold`` (the index's), each once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from core.models import Item
from core.store.report_items import ReportedItem

MAX_CHINESE = 10
MAX_LATIN_WORDS = 5
MIN_SUPPORT = 2
MIN_PRECISION = 0.8
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_REST = r"[A-Za-z0-9.&'+\-]*"
_LATIN_NAME = rf"[A-Za-z]{_REST}(?: [A-Za-z0-9]{_REST}){{0,{MAX_LATIN_WORDS - 1}}}"
_ZH_THEN_LATIN = re.compile(rf"([{_HAN}]{{2,}})\s*[（(]\s*({_LATIN_NAME})\s*[)）]")
_LATIN_THEN_ZH = re.compile(
    rf"(?<![A-Za-z0-9.\-])({_LATIN_NAME})\s*[（(]\s*([{_HAN}]{{2,{MAX_CHINESE}}})\s*[)）]"
)
# Characters that end a phrase before a name: 的, 與, 以, 於, 為, ... ("用於早期慢性腎病" -> 早期慢性腎病).
_FUNCTION = set("的與与和及以於于在為为是將将由從从對对把被給给向讓让使用或並并等了稱称指即之")
_LETTER = re.compile("[A-Za-z]")
_HAN_RUN = re.compile(rf"[{_HAN}]+")
_NOT_A_NAME = re.compile(r"^(?:\d[\d.,]*|vs|and|or|the|a|an|etc)$", re.IGNORECASE)

Pair = tuple[str, str]


def mine(items: Sequence[ReportedItem], fold: Callable[[str], str]) -> tuple[Pair, ...]:
    """Every (Latin, Chinese) pair both miners find in ``items``, folded, sorted, each once."""
    pairs = {*parenthesized(found.item for found in items), *titled(items)}
    folded = {(fold(latin), fold(chinese)) for latin, chinese in pairs}
    return tuple(sorted(p for p in folded if p[0] and len(p[1]) >= 2))


def parenthesized(items: Iterable[Item]) -> set[Pair]:
    """Pairs written as "中文（English）" or "English（中文）" in an item's texts."""
    pairs: set[Pair] = set()
    for item in items:
        for text in (item.title, item.summary, *item.details, *item.use_cases):
            if "（" not in text and "(" not in text:
                continue
            for chinese, latin in _ZH_THEN_LATIN.findall(text):
                _keep(pairs, latin, _last_phrase(chinese))
            for latin, chinese in _LATIN_THEN_ZH.findall(text):
                _keep(pairs, latin, chinese)
    return pairs


def _keep(pairs: set[Pair], latin: str, chinese: str) -> None:
    latin = latin.strip(" .-")
    # A name: it has a capital or a digit ("CKD", "Avocado", "GPT-5"); "reference（外部著地）"
    # glosses a word, which the lexicon's general vocabulary, not a mined pair, should bridge.
    if len(chinese) < 2 or not re.search("[A-Z0-9]", latin) or " vs" in latin:
        return
    if not _NOT_A_NAME.match(latin):
        pairs.add((latin, chinese))


def _last_phrase(run: str) -> str:
    """The end of a Chinese run after its last function character, at most MAX_CHINESE long."""
    cut = max((n for n, char in enumerate(run[:-1]) if char in _FUNCTION), default=-1)
    return run[cut + 1 :][-MAX_CHINESE:]


def titled(items: Sequence[ReportedItem]) -> set[Pair]:
    """Latin entities paired with the Chinese stretch of the title their items share."""
    with_entity: dict[str, dict[str, set[object]]] = defaultdict(lambda: defaultdict(set))
    anywhere: dict[str, set[object]] = defaultdict(set)
    for found in items:
        grams = _title_grams(found.item.title)
        for gram in grams:
            anywhere[gram].add(found.date)
        for entity in _unwritten(found.item):
            for gram in grams:
                with_entity[entity][gram].add(found.date)
    pairs = set()
    for entity, grams in with_entity.items():
        support = {g: len(days) for g, days in grams.items()}
        best = [g for g, n in support.items() if n >= MIN_SUPPORT and n >= MIN_PRECISION * len(anywhere[g])]
        if best:
            pairs.add((entity, max(best, key=lambda g: (support[g], len(g)))))
    return pairs


def _title_grams(title: str) -> set[str]:
    """The 2 to 4 character stretches of a title's Chinese runs."""
    return {
        run[i : i + n]
        for run in _HAN_RUN.findall(title)
        for n in range(2, 5)
        for i in range(len(run) - n + 1)
    }


def _unwritten(item: Item) -> list[str]:
    """Latin entities (no Chinese in them) that the item's title does not write."""
    title = item.title.casefold()
    return [e for e in item.entities if e.isascii() and _LETTER.search(e) and e.casefold() not in title]
