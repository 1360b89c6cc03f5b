"""Sentences for the extractive writer: split (English and Chinese), compare, score and clip.

Pure functions over plain strings. Splitting understands 。！？ as well as ``.!?`` followed by
space, and does not break after common abbreviations ("U.S.", "Inc.", "e.g.") or inside
numbers ("GPT-5.2"). Similarity works on ``core.text.tokens`` (Latin words and CJK bigrams),
so the same fact in two outlets' words is recognised as a repeat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.report.editing.lexicon import stem
from core.report.writing.hygiene import MAX_TEXT, strip_boilerplate, unglue
from core.report.writing.items import clean_text
from core.text import has_cjk, tokens

# A terminator: Chinese marks split anywhere; ASCII marks only before whitespace or the end.
_END = re.compile(r"[。！？]+[”’」』）)]*|[.!?]+[\"'”’)\]]*(?=\s|$)")
_LAST_WORD = re.compile(r"(\S+)$")


def word_set(text: str) -> frozenset[str]:
    """The space-separated words of ``text``: word lists read better as one string."""
    return frozenset(text.split())


_ABBREVIATIONS = word_set(
    "mr mrs ms dr prof inc ltd co corp vs etc al fig no st jr sr gen rep sen gov approx jan feb mar apr "
    "jun jul aug sep sept oct nov dec e.g i.e u.s u.k u.n a.i"
)
_STOPWORDS = word_set(
    "the a an and or of to in on for with by from at as is are was were be been it its this that these "
    "those new has have had will would can could may might not but than then also into over about after "
    "more most other such their they them our we you your he she his her who which what when where how "
    "all any some one two just said says say via out up first"
)
_DIGIT = re.compile(r"\d")
_CAPITALIZED = re.compile(r"(?<=\s)[A-Z][\w\-.]*[A-Z0-9][\w\-.]*|(?<=\s)[A-Z][a-z]+(?=\s[A-Z])")
_TRUNCATED = re.compile(r"(?:…|\.\.\.)\s*$")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order, for English and Chinese alike."""
    text = clean_text(unglue(strip_boilerplate(text[:MAX_TEXT])))
    out: list[str] = []
    start = 0
    for match in _END.finditer(text):
        if match.group()[0] == "." and _is_abbreviation(text, match.start()):
            continue
        if match.group()[0] in ".!?" and _continues_lowercase(text, match.end()):
            continue
        out.append(text[start : match.end()].strip())
        start = match.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def _is_abbreviation(text: str, dot: int) -> bool:
    """The period at ``dot`` ends an abbreviation or an initial rather than a sentence."""
    word = _LAST_WORD.search(text[:dot])
    if word is None:
        return False
    bare = word.group(1).lstrip("(\"'“‘").casefold()
    return bare in _ABBREVIATIONS or (len(bare) == 1 and bare.isalpha())


def _continues_lowercase(text: str, end: int) -> bool:
    """The next word starts in lower case: the sentence probably goes on ("approx. three")."""
    rest = text[end:].lstrip()
    return bool(rest) and rest[0].isascii() and rest[0].islower()


def content_tokens(text: str) -> frozenset[str]:
    """Matching tokens without stop words and one-letter Latin tokens, plurals folded and word
    compounds split ("models" = "model", "training-data" = "training data"), so two outlets'
    wording of one fact meet."""
    out = set()
    for token in tokens(text):
        parts = token.split("-") if "-" in token and not _DIGIT.search(token) else (token,)
        out.update(stem(p) for p in parts if p not in _STOPWORDS and (len(p) > 1 or not p.isascii()))
    return frozenset(out)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two token sets: the larger of Jaccard and 0.8 × containment of the smaller.

    A Chinese sentence and an English one share few tokens even when they state the same fact
    ("共8款模型，參數規模從0.8B到397B" / "eight models from 0.8 billion to 397 billion"): between the
    two scripts, what counts is how many of the Chinese sentence's names and numbers the English
    one has (see :func:`_anchors`).
    """
    if not a or not b:
        return 0.0
    shared = len(a & b)
    plain = max(shared / len(a | b), 0.8 * shared / min(len(a), len(b)))
    chinese_a, chinese_b = _is_chinese(a), _is_chinese(b)
    if chinese_a == chinese_b:
        return plain
    anchors_zh, anchors_en = (_anchors(a), _anchors(b)) if chinese_a else (_anchors(b), _anchors(a))
    common = anchors_zh & anchors_en
    # Two names alone ("Mistral AI") are the story's, not one fact; three, or a number besides, are.
    if len(common) < 2 or (len(common) == 2 and not any(_DIGIT.search(t) for t in common)):
        return plain
    return max(plain, len(common) / len(anchors_zh))


_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        ]
    )
} | {"twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100"}
_NUMBER_TOKEN = re.compile(r"(\d[\d.,]*)[a-z%]*")


def _is_chinese(tokens_: frozenset[str]) -> bool:
    """Most tokens are CJK bigrams: the sentence is written in Chinese."""
    cjk = sum(1 for t in tokens_ if not t.isascii())
    return cjk > len(tokens_) - cjk


def _anchors(tokens_: frozenset[str]) -> frozenset[str]:
    """The Latin tokens of a sentence, numbers without units ("397b" -> "397", "eight" -> "8")."""
    out = set()
    for token in tokens_:
        if not token.isascii():
            continue
        number = _NUMBER_TOKEN.fullmatch(token)
        out.add(number.group(1).rstrip(".,") if number else _NUMBER_WORDS.get(token, token))
    return frozenset(out)


def is_repeat(candidate: frozenset[str], chosen: Iterable[frozenset[str]], threshold: float = 0.5) -> bool:
    """True when ``candidate`` says what one of ``chosen`` already says."""
    return any(similarity(candidate, other) >= threshold for other in chosen)


def specificity(text: str) -> float:
    """How concrete a sentence is: numbers and proper names count, vague ones do not."""
    score = 0.6 if _DIGIT.search(text) else 0.0
    score += min(len(_CAPITALIZED.findall(f" {text}")), 3) * 0.2
    return score


def looks_truncated(text: str) -> bool:
    """Feed summaries cut by the publisher end in an ellipsis; such a sentence is incomplete."""
    return _TRUNCATED.search(text) is not None


def clip(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``limit`` characters, never inside a Latin word."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    if cut[-1:].isascii() and cut[-1:].isalnum() and text[len(cut)].isascii() and text[len(cut)].isalnum():
        space = cut.rfind(" ")
        cut = cut[:space] if space > limit // 3 else cut
    return cut.rstrip(" ,;:，、；：-") + ellipsis


def is_fragment(text: str) -> bool:
    """Too short to carry a fact on its own ("Learn more.", "图片来源：网络")."""
    if has_cjk(text):
        return sum(1 for c in text if c.isalnum()) < 10
    return len(text.split()) < 4
