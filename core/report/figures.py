"""Figures of a story in the words of a report: amounts of money and scores, Chinese units included.

Shared by the editor (the importance reason names a story's amount or score) and the writer
(headlines say "8,500 萬美元" for "$85M"). Only figures the text states are read; none is
computed beyond a change of unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_MONEY = re.compile(
    r"(?P<cur>US\$|\$|€|£|¥|RMB\s?|CNY\s?)\s?(?P<num>\d[\d,]*(?:\.\d+)?)\s?"
    r"(?P<unit>trillion|billion|million|thousand|tn|bn|[kmbt])?(?![a-z])",
    re.I,
)
_UNITS = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9}
_UNITS |= {"trillion": 1e12, "tn": 1e12, "t": 1e12}
_CURRENCY = {
    "us$": "美元",
    "$": "美元",
    "€": "歐元",
    "£": "英鎊",
    "¥": "日圓",
    "rmb": "人民幣",
    "cny": "人民幣",
}


def money_in_chinese(text: str) -> str:
    """The first amount of money in ``text`` in Chinese units ("$1.2B" → "12 億美元"), or ""."""
    found = _money(text)
    return f"{chinese_number(found[0])}{found[1]}" if found else ""


def _money(text: str) -> tuple[float, str, str] | None:
    """(value, Chinese currency name, the amount as written) of the first amount in ``text``."""
    match = _MONEY.search(text)
    if not match:
        return None
    value = float(match["num"].replace(",", "")) * _UNITS.get((match["unit"] or "").lower(), 1.0)
    return value, _CURRENCY[match["cur"].strip().lower()], match.group().strip()


def chinese_number(value: float) -> str:
    """A number in 兆 / 億 / 萬 as Taiwan writes them: 85e6 → "8,500 萬", 1.2e9 → "12 億"."""
    for size, unit in ((1e12, "兆"), (1e8, "億"), (1e4, "萬")):
        if value >= size:
            return f"{_trimmed(value / size)} {unit}"
    return f"{_trimmed(value)} "


def _trimmed(number: float) -> str:
    return f"{number:,.2f}".rstrip("0").rstrip(".")


_DEAL = 1e6
# A score next to what it measures: "71% on SWE-bench", "SWE-bench 71%", "MMLU of 88.2".
_SCORE = re.compile(
    r"(?P<a>\d{1,3}(?:\.\d+)?%)\s+(?:on|in)\s+(?P<b>[A-Z][\w.-]*(?:[- ]?(?:bench|Bench|Eval|QA))?)"
    r"|(?P<c>[A-Z][\w-]*(?:bench|Bench|Eval|QA|MMLU|GPQA|AIME)[\w-]*)\D{0,12}?(?P<d>\d{1,3}(?:\.\d+)?%?)"
)


def key_figure(texts: Iterable[str], language: str) -> str:
    """The first amount of money, else the first benchmark score, that ``texts`` state, as the
    report says it ("金額 8,500 萬美元", "SWE-bench 71%"); "" when they state neither."""
    texts = [t for t in texts if t]
    chinese = language.startswith("zh")
    for text in texts:
        found = _money(text)
        if found:
            value, currency, written = found
            # Below a million it is what something costs (a token price, a phone), not a deal.
            word = ("價格" if chinese else "price") if value < _DEAL else ("金額" if chinese else "amount")
            return f"{word} {chinese_number(value)}{currency}" if chinese else f"{word} {written}"
    for text in texts:
        score = _SCORE.search(text)
        if score:
            what, value = (score["b"], score["a"]) if score["a"] else (score["c"], score["d"])
            return f"{what} {value}"
    return ""
