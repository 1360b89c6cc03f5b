"""Text folding shared by ingest, clustering and search.

Display text keeps its own punctuation; only *matching keys* are folded, so that
"GPT-5.2", "GPT‑5.2" (U+2011) and "ＧＰＴ－５．２" (full width) all match.
"""

from __future__ import annotations

import re
import unicodedata

# Every dash-like code point folds to ASCII "-".
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d\u30fc"
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u0060\u00b4\uff07"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u300c\u300d\u300e\u300f\uff02"
_FOLD_TABLE = str.maketrans(
    {
        **dict.fromkeys(map(ord, _DASHES), "-"),
        **dict.fromkeys(map(ord, _SINGLE_QUOTES), "'"),
        **dict.fromkeys(map(ord, _DOUBLE_QUOTES), '"'),
        0x3000: " ",  # ideographic space
    }
)
_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A Latin/digit token may carry inner dots or dashes: "gpt-5.2", "u.s.", "3.5-turbo".
_LATIN_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-'][a-z0-9]+)*")


def fold(text: str) -> str:
    """NFKC, then dash/quote folding, case folding and collapsed whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE)
    return _SPACES.sub(" ", text).strip().casefold()


def match_key(text: str) -> str:
    """A key for near-identical text: folded, punctuation and spaces removed."""
    return _NON_WORD.sub("", fold(text)).replace("_", "")


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def tokens(text: str) -> list[str]:
    """Matching tokens: Latin words (with inner dots and dashes kept) and CJK bigrams."""
    folded = fold(text)
    out = _LATIN_TOKEN.findall(folded)
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", folded):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut ``text`` to at most ``limit`` characters at a word or sentence boundary."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    boundary = max(cut.rfind(" "), cut.rfind("，"), cut.rfind("、"), cut.rfind("。"))
    if boundary > limit // 2 and not has_cjk(cut[boundary:]):
        cut = cut[:boundary]
    return cut.rstrip(" ,;:，、") + ellipsis
