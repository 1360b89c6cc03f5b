"""Read a report in the ``sample-reports/`` Markdown format back into a ``Report``.

This is the inverse of :mod:`core.report.rendering.markdown`, and it also reads the reports the older
system wrote, defects included. It is pure: text in, ``Report`` out, or a ``ReportFormatError``
with one line saying what is wrong with the file. Fixed words (section headings, field labels,
importance names, footer lines) come from :mod:`core.report.rendering.labels`, both languages at once.

What the old reports contain and how it is read:

- Every ``###`` heading inside one of the six item sections is exactly one item. A heading
  followed by bullets and no field labels (``### 其他技術更新（精選）`` with ``- **Name**：text``)
  is one item whose bullets are its details; prose before the first label is its summary.
- A repeated ``**核心摘要（續）**`` is appended to the summary. Nested bullets are folded into
  their parent ("parent：child；child"), so each top-level bullet is one detail.
- Source links whose target is not an http(s) URL (``[來源1](1)``, ``[TechCrunch](TechCrunch)``)
  are kept with ``SourceLink.valid=False``; an arXiv id target (``arXiv:2405.17838``, ``2406.03283``)
  becomes ``https://arxiv.org/abs/<id>``, marked valid. Plain text in the sources line (our
  renderer's way of printing a non-URL, or "同「今日焦點」所列") is kept as an invalid link with no URL.
- Text is kept as written (repeats such as "見前述" too): we import, we do not edit. Only the
  Markdown is removed: bold markers, code backticks, and the escapes of ``escape_inline``.

The parts are read in modules of their own: :mod:`core.report.importing.meta` (front matter,
footer, dates), :mod:`core.report.importing.items` (items), :mod:`core.report.importing.insight`
(insight and reading); :mod:`core.report.importing.inline` holds what they share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core.models import INSIGHT_SECTION, ITEM_SECTIONS, READING_SECTION, Brief, Item, Report, Section
from core.report.importing.inline import ReportFormatError, inline, split_blocks
from core.report.importing.insight import parse_insight, parse_reading
from core.report.importing.items import parse_section
from core.report.importing.meta import (
    DEFAULT_TIMEZONE,
    as_list,
    generation_time,
    meta_text,
    read_footer,
    split_front_matter,
)
from core.report.rendering.labels import EN
from core.report.writing.items import clean_text
from core.text import fold, has_cjk

__all__ = ["DEFAULT_TIMEZONE", "ReportFormatError", "parse_report"]


_SECTION_LINE = re.compile(r"^##(?!#)\s*(.*?)\s*$")
_ENUMERATOR = re.compile(r"^(?:\d{1,2}[.)、]|[一二三四五六七八九十]+、)\s*")


def parse_report(text: str, *, source_name: str = "") -> Report:
    """The ``Report`` written in ``text``; ``source_name`` (a file name) only labels errors."""
    try:
        meta, body = split_front_matter(_normalized(text))
        return _report(meta, body)
    except ReportFormatError as exc:
        raise ReportFormatError(exc.reason, source_name) from None


def _normalized(text: str) -> list[str]:
    """The lines of ``text``, after the checks that tell a report from some other file."""
    if "\x00" in text:
        raise ReportFormatError("binary data (NUL bytes), not a Markdown report")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ReportFormatError("empty file")
    return text.split("\n")


@dataclass
class _Body:
    """The body of a report, cut into its parts."""

    sections: dict[str, list[Item]] = field(default_factory=dict)
    briefs: dict[str, list[Brief]] = field(default_factory=dict)
    insight: list[str] = field(default_factory=list)
    reading: list[str] = field(default_factory=list)
    english_votes: int = 0
    chinese_votes: int = 0


def _report(meta: dict[str, Any], lines: list[str]) -> Report:
    counts, hours, footer_time, lines = read_footer(lines)
    body = _body(lines)
    if not body.sections and not body.insight and not body.reading:
        raise ReportFormatError("no report sections: expected '## 今日焦點（Top Headlines）' and the others")
    generated_at, zone = generation_time(meta.get("date"), footer_time)
    language = "en" if body.english_votes > body.chinese_votes else "zh-TW"
    return Report(
        date=generated_at.date(),
        title=meta_text(meta, "title"),
        generated_at=generated_at,
        timezone=zone,
        window_start=generated_at - timedelta(hours=hours),
        window_end=generated_at,
        articles_count=counts[0],
        topics_count=counts[1],
        sections=_sections(body, language),
        insight=parse_insight(body.insight),
        reading=parse_reading(body.reading),
        description=meta_text(meta, "description"),
        summary=meta_text(meta, "summary"),
        tags=tuple(t for t in map(clean_text, as_list(meta.get("tags"))) if t),
        language=language,
        cover_image=meta_text(meta.get("cover") if isinstance(meta.get("cover"), dict) else {}, "image"),
    )


def _sections(body: _Body, language: str) -> tuple[Section, ...]:
    """The six item sections in report order, empty ones included, headed in ``language``."""
    return tuple(
        Section(
            spec.key,
            spec.heading if language == "zh-TW" else spec.heading_en,
            tuple(body.sections.get(spec.key, [])),
            tuple(body.briefs.get(spec.key, [])),
        )
        for spec in ITEM_SECTIONS
    )


def _body(lines: list[str]) -> _Body:
    """Group the lines under each ``##`` heading; item sections become items right away."""
    body = _Body()
    for heading, block in split_blocks(lines, _SECTION_LINE):
        key, english = _section_key(heading)
        if key is None:
            continue  # lines before the first section (rules) and unknown sections carry no items
        body.english_votes += english
        body.chinese_votes += not english
        if key == INSIGHT_SECTION.key:
            body.insight += block
        elif key == READING_SECTION.key:
            body.reading += block
        else:
            items, briefs = parse_section(key, block)
            body.sections.setdefault(key, []).extend(items)
            body.briefs.setdefault(key, []).extend(briefs)
    return body


def _heading_keys(text: str) -> set[str]:
    """The forms a heading is matched by: whole, the part before parentheses, the part inside."""
    folded = _ENUMERATOR.sub("", fold(inline(text)))
    keys = {folded}
    split = re.fullmatch(r"(.*?)\s*\((.*)\)", folded)
    if split:
        keys |= {split.group(1).strip(), split.group(2).strip()}
    return keys - {""}


_SECTION_KEYS = {
    spec.key: _heading_keys(spec.heading) | _heading_keys(spec.heading_en) for spec in ITEM_SECTIONS
} | {
    INSIGHT_SECTION.key: _heading_keys(INSIGHT_SECTION.heading) | _heading_keys(EN.insight_heading),
    READING_SECTION.key: _heading_keys(READING_SECTION.heading) | _heading_keys(EN.reading_heading),
}


def _section_key(heading: str | None) -> tuple[str | None, bool]:
    """The section key a ``##`` heading names (or None), and whether it was written in English."""
    if heading is None:
        return None, False
    keys = _heading_keys(heading)
    for key, known in _SECTION_KEYS.items():
        if keys & known:
            return key, not has_cjk(heading)
    return None, False
