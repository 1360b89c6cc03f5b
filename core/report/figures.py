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
    r"(?P<a>\d{1,3}(?:\.\d+)?%)\s+(?:on|in)\s+"
    r"(?P<b>[A-Z][\w-]*(?:\.[\w-]+)*(?:[- ]?(?:bench|Bench|Eval|QA))?)"
    r"|(?P<c>(?:[A-Z][\w-]*(?:bench|Bench|Eval|QA)|MMLU|GPQA|AIME|ARC-AGI)[\w-]*)\D{0,12}?(?P<d>\d{1,3}(?:\.\d+)?%?)"
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
        score = _score(text)
        if score:
            return f"{score[0]} {score[1]}"
    return ""


def _score(text: str) -> tuple[str, str] | None:
    """(what is measured, the score) of the first benchmark score in ``text``."""
    found = _SCORE.search(text)
    if not found:
        return None
    return (found["b"], found["a"]) if found["a"] else (found["c"], found["d"])


# Facts a lead can state in Chinese, each read from one English phrase of the source. The
# qualifier the source puts before a figure ("more than", "about") is kept: 逾, 約.
_QUALIFIER = r"(?P<q>more than|over|about|around|nearly|almost|up to)?\s*"
_QUALIFIERS = {"more than": "逾", "over": "逾", "about": "約", "around": "約", "nearly": "近", "almost": "近"}
_QUALIFIERS["up to"] = "最高"
_COUNT = r"(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<u>trillion|billion|million|thousand|[BMKT](?![A-Za-z0-9]))?"
_PARAMETERS = re.compile(
    rf"(?:from\s+(?P<lo>\d+(?:\.\d+)?)\s*(?P<lu>billion|million|[BM])?\s+to\s+)?{_COUNT}[- ]"
    r"(?P<active>active[- ])?param",
    re.I,
)
_CONTEXT = re.compile(rf"{_COUNT}[- ]token context", re.I)
_TOKEN_PRICE = re.compile(r"\$(?P<p>\d+(?:\.\d+)?) per million (?:(?P<io>input|output) )?tokens", re.I)
_DOWNLOADS = re.compile(rf"downloaded\s+{_QUALIFIER}{_COUNT}\s+times", re.I)
_USERS = re.compile(rf"{_QUALIFIER}{_COUNT}\s+(?P<w>weekly|monthly|daily)?\s*(?:active\s+)?users\b", re.I)
_SPEEDUP = re.compile(r"(?P<x>\d+(?:\.\d+)?)\s?[x×]\s+(?:speedup|faster)", re.I)
_AMOUNT = r"(?:US)?\$\s?\d[\d,]*(?:\.\d+)?\s?(?:trillion|billion|million|tn|bn|[mbt](?![a-z]))?"
# "valued at $2B", "valuing it at $2B", "at a $2 billion valuation"
_VALUATION = re.compile(
    rf"valu(?:ing|ed|ation)\D{{0,24}}?(?P<m>{_AMOUNT})|(?P<m2>{_AMOUNT})\s+valuation", re.I
)
_PER = {"weekly": "週", "monthly": "月", "daily": "日"}
_IO = {"input": "輸入 ", "output": "輸出 "}


def chinese_facts(text: str, limit: int = 2) -> list[str]:
    """Up to ``limit`` facts ``text`` states, said in Chinese: "SWE-bench 得分 82.4%",
    "參數規模 8 億至 3,970 億", "每百萬輸入 token 10 美元". Nothing is inferred: each fact is one
    phrase of the source with its figure in Chinese units; a text that states none gives []."""
    facts: list[str] = []
    for read in _FACT_READERS:
        fact = read(text)
        if fact and fact not in facts:
            facts.append(fact)
    return facts[:limit]


def _count(match: re.Match[str], number: str = "n", unit: str = "u") -> float:
    value = float(match[number].replace(",", ""))
    return value * _UNITS.get((match[unit] or "").lower(), 1.0)


def _qualified(match: re.Match[str]) -> str:
    return _QUALIFIERS.get((match["q"] or "").lower(), "")


def _units(value: float) -> str:
    return chinese_number(value).strip()


def _score_fact(text: str) -> str:
    score = _score(text)
    if not score:
        return ""
    what, value = score
    return f"{what} 得分 {value}" if value.endswith("%") or "." in value else ""


def _parameter_fact(text: str) -> str:
    found = _PARAMETERS.search(text)
    if not found or not found["u"]:
        return ""  # "7 parameters" is no model size
    size = _units(_count(found))
    if found["lo"]:
        low = _units(_count(found, "lo", "lu" if found["lu"] else "u"))
        size = f"{low}至 {size}" if low.endswith(("億", "萬", "兆")) else f"{low} 至 {size}"
    return f"{'啟用參數' if found['active'] else '參數規模'} {size}"


def _context_fact(text: str) -> str:
    found = _CONTEXT.search(text)
    return f"上下文長度 {_units(_count(found))} token" if found else ""


def _price_fact(text: str) -> str:
    found = _TOKEN_PRICE.search(text)
    if not found:
        return ""
    return f"每百萬{_IO.get((found['io'] or '').lower(), ' ')}token {_trimmed(float(found['p']))} 美元"


def _valuation_fact(text: str) -> str:
    found = _VALUATION.search(text)
    money = _money(found["m"] or found["m2"]) if found else None
    return f"估值 {chinese_number(money[0])}{money[1]}" if money and money[0] >= _DEAL else ""


def _speedup_fact(text: str) -> str:
    found = _SPEEDUP.search(text)
    return f"速度提升 {found['x']} 倍" if found else ""


def _reach_fact(text: str) -> str:
    """How many downloads or users: "下載量逾 7 億次", "週活躍用戶逾 8 億"."""
    found = _DOWNLOADS.search(text)
    if found and found["u"]:
        return f"下載量{_qualified(found)} {_units(_count(found))}次"
    found = _USERS.search(text)
    if found and found["u"]:
        users = f"{_PER[found['w'].lower()]}活躍用戶數" if found["w"] else "用戶數"
        return f"{users}{_qualified(found)} {_units(_count(found))}"
    return ""


# In the order a reader weighs them: how good, how big, how much, how widely used, how fast.
_FACT_READERS = (
    _score_fact,
    _parameter_fact,
    _context_fact,
    _price_fact,
    _valuation_fact,
    _reach_fact,
    _speedup_fact,
)
