"""The editor's insight and the further reading of a report, read from their sections.

Part of the report importer (:mod:`core.report.importing.reader`).
"""

from __future__ import annotations

import re

from core.models import Insight, Reading, ReadingLink
from core.report.importing.inline import (
    BULLET,
    DASHES,
    EMPTY,
    ITEM_LINE,
    LABEL_SUFFIX,
    LABELS,
    LINK,
    RULE,
    bold_label,
    inline,
    prose_text,
    source_link,
    strip_break,
)
from core.report.writing.items import clean_text
from core.text import fold

_INSIGHT_PARTS = {
    fold(getattr(lb, n)): n for lb in LABELS for n in ("trends", "context", "outlook", "watchlist")
}
_READING_PARTS = {
    fold(getattr(lb, f"reading_{n}")): n for lb in LABELS for n in ("articles", "background", "keywords")
}
_BACKGROUND_SPLIT = re.compile(r"：|:\s")
_NOTE_SEPARATOR = re.compile(rf"\s[{DASHES}]\s")
_CODE_SPAN = re.compile(r"`([^`]*)`")
_CJK_ENUMERATION = re.compile(r"[\s、，,]+")


def _parts(lines: list[str], names: dict[str, str], first: str) -> dict[str, list[str]]:
    """Lines by subsection: a ``### name`` heading or a ``**name**：`` line starts one."""
    parts: dict[str, list[str]] = {}
    current = first
    for line in lines:
        label = _subsection_label(line)
        name = names.get(label[0]) if label else None
        if name is None:
            parts.setdefault(current, []).append(line)
            continue
        current = name
        parts.setdefault(current, []).extend([label[1]] if label[1] else [])
    return parts


def _subsection_label(line: str) -> tuple[str, str] | None:
    """(folded label, text after it) of a ``###`` heading or a line opening with a bold label."""
    heading = ITEM_LINE.match(line)
    if heading:
        return fold(LABEL_SUFFIX.sub("", heading.group(1))), ""
    return bold_label(line)


def _paragraphs(lines: list[str]) -> tuple[str, ...]:
    """Blank lines and rules separate paragraphs; the lines of one paragraph keep their breaks."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if not line.strip() or RULE.match(line):
            paragraphs.append([])
        else:
            paragraphs[-1].append(line)
    texts = (prose_text(p) for p in paragraphs)
    return tuple(t for t in texts if t)


def _entries(lines: list[str]) -> tuple[str, ...]:
    """A numbered or bulleted list; a line without a marker continues the previous entry."""
    entries: list[str] = []
    for line in lines:
        bullet = BULLET.match(line)
        text = inline(bullet.group("text") if bullet else line)
        if not text or fold(text) in EMPTY or RULE.match(line):
            continue
        if bullet or not entries:
            entries.append(text)
        else:
            entries[-1] += "\n" + text
    return tuple(entries)


def parse_insight(lines: list[str]) -> Insight:
    parts = _parts(lines, _INSIGHT_PARTS, "trends")
    return Insight(
        trends=_paragraphs(parts.get("trends", [])),
        context=_paragraphs(parts.get("context", [])),
        outlook=_paragraphs(parts.get("outlook", [])),
        watchlist=_entries(parts.get("watchlist", [])),
    )


def parse_reading(lines: list[str]) -> Reading:
    parts = _parts(lines, _READING_PARTS, "articles")
    return Reading(
        articles=tuple(_reading_link(e) for e in _raw_entries(parts.get("articles", []))),
        background=tuple(_background(e) for e in _raw_entries(parts.get("background", []))),
        keywords=_keywords(" ".join(parts.get("keywords", []))),
    )


def _raw_entries(lines: list[str]) -> list[str]:
    """List entries still in Markdown (links and separators are read after)."""
    entries = []
    for line in lines:
        bullet = BULLET.match(line)
        text = strip_break(bullet.group("text") if bullet else line).strip()
        if text and not RULE.match(line) and fold(inline(text)) not in EMPTY:
            entries.append(text)
    return entries


def _reading_link(text: str) -> ReadingLink:
    """``[title](url) — note``; without a link the title is the text before the dash."""
    found = LINK.match(text)
    if found:
        link = source_link("", found.group("target"))
        url = link.url if link.valid else ""
        return ReadingLink(inline(found.group("text")), url, inline(text[found.end() :].lstrip(" " + DASHES)))
    title, note = _cut(text, _NOTE_SEPARATOR)
    return ReadingLink(inline(title), "", inline(note))


def _background(text: str) -> tuple[str, str]:
    """``term：explanation`` (the first full-width colon, or a colon and a space)."""
    term, explanation = _cut(text, _BACKGROUND_SPLIT)
    return inline(term), inline(explanation)


def _cut(text: str, separator: re.Pattern[str]) -> tuple[str, str]:
    """``text`` before and after the first ``separator``; all of it before when there is none."""
    found = separator.search(text)
    return (text[: found.start()], text[found.end() :]) if found else (text, "")


def _keywords(text: str) -> tuple[str, ...]:
    """Backticked words; without backticks, words separated by spaces or commas."""
    spans = _CODE_SPAN.findall(text)
    words = spans if spans else _CJK_ENUMERATION.split(inline(text))
    return tuple(w for w in (clean_text(w) for w in words) if w and fold(w) not in EMPTY)
