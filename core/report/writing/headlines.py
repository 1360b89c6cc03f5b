"""Chinese headlines and lead sentences for stories told only in English, with no model.

The extractive writer picks sentences; it cannot translate. A zh-TW reader still gets a
Chinese headline and lead: composed from the story's event (``core.report.editing.events``:
kind, subject, object) with one template per kind, subject first, amounts in Chinese units
(US$85M → 8,500 萬美元). The English extract follows, marked as the source's words, so nothing
English stands in for our own Chinese summary. A story with a Chinese article uses that
article's own headline and sentences instead (see ``summarize``), and a story whose event we
cannot read keeps its English headline rather than get a made-up one.
"""

from __future__ import annotations

import re

from core.models import EditedTopic, Event
from core.report.editing.events import is_model
from core.text import has_cjk

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
    match = _MONEY.search(text)
    if not match:
        return ""
    value = float(match["num"].replace(",", "")) * _UNITS.get((match["unit"] or "").lower(), 1.0)
    currency = _CURRENCY[match["cur"].strip().lower()]
    return f"{chinese_number(value)}{currency}"


def chinese_number(value: float) -> str:
    """A number in 兆 / 億 / 萬 as Taiwan writes them: 85e6 → "8,500 萬", 1.2e9 → "12 億"."""
    for size, unit in ((1e12, "兆"), (1e8, "億"), (1e4, "萬")):
        if value >= size:
            return f"{_trimmed(value / size)} {unit}"
    return f"{_trimmed(value)} "


def _trimmed(number: float) -> str:
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def _templates(event: Event, text: str) -> str:
    """The headline for the event, or "" when its kind has no template or names are missing."""
    s, o = event.subject, event.object
    thing = "模型" if is_model(event, text) else "產品"
    amount = money_in_chinese(text)
    by_kind = {
        "release": f"{s} 發布 {o}" if o else f"{s} 發布新{thing}",
        "open_source": f"{s} 開源 {o}" if o else f"{s} 開源新{thing}",
        "funding": f"{s} 完成 {amount}融資" if amount else f"{s} 完成新一輪融資",
        "acquisition": (f"{s} 收購 {o}" + (f"，金額 {amount}" if amount else "")) if o else "",
        "partnership": f"{s} 與 {o} 合作" if o else f"{s} 簽署{' ' + amount if amount else ''}合作協議",
        "earnings": f"{s} 公布財報" + (f"：{amount}" if amount else ""),
        "deployment": f"{s} 導入 {o}" if o else f"{s} 導入 AI 應用",
        "rollout": _rollout(event, text),
    }
    return by_kind.get(event.kind, "") if s and event.sure else ""


def _rollout(event: Event, text: str) -> str:
    if not event.object:
        return f"{event.subject} 擴大上線"
    if re.search(r"\bbrings?\b", text, re.I):  # "Samsung brings X to Galaxy A": a feature for it
        return f"{event.subject} 為 {event.object} 推出新功能"
    return f"{event.subject} 登陸 {event.object}"


def chinese_headline(edited: EditedTopic, title: str, summary: str) -> tuple[str, str]:
    """(title, summary) for a zh report: a composed Chinese headline and lead before the extract.

    Unchanged when the title is already Chinese or the event cannot be read.
    """
    if has_cjk(title):
        return title, summary
    text = " ".join([title, summary])
    headline = _templates(edited.event, text)
    if not headline:
        return title, summary
    # The extract may join sentences of several outlets: marked as quoted, not credited to one.
    quote = f"原文摘錄：{summary}" if summary else ""
    return headline, f"{headline}。{quote}".strip()
