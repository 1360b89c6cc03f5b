"""Read a report in the ``sample-reports/`` Markdown format back into a ``Report``.

This is the inverse of :mod:`core.report.markdown`, and it also reads the reports the older
system wrote, defects included. It is pure: text in, ``Report`` out, or a ``ReportFormatError``
with one line saying what is wrong with the file. Fixed words (section headings, field labels,
importance names, footer lines) come from :mod:`core.report.labels`, both languages at once.

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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.models import (
    INSIGHT_SECTION,
    ITEM_SECTIONS,
    READING_SECTION,
    FollowUp,
    Importance,
    Insight,
    Item,
    Reading,
    ReadingLink,
    Report,
    Section,
    SourceLink,
)
from core.report.cluster import topic_key
from core.report.items import clean_text
from core.report.labels import EN, ZH_TW, Labels
from core.report.markdown import link_target, unescape_inline
from core.text import fold, has_cjk, match_key

#: The service's default report time zone (DESIGN.md), for times that carry no usable zone.
DEFAULT_TIMEZONE = "Asia/Taipei"
_LABELS: tuple[Labels, ...] = (ZH_TW, EN)
_FIELDS = ("summary", "details", "use_cases", "entities", "importance", "sources", "follow_up")
_FIELD_BY_LABEL = {fold(getattr(labels, name)): name for labels in _LABELS for name in _FIELDS}
_INSIGHT_PARTS = {
    fold(getattr(lb, n)): n for lb in _LABELS for n in ("trends", "context", "outlook", "watchlist")
}
_READING_PARTS = {
    fold(getattr(lb, f"reading_{n}")): n for lb in _LABELS for n in ("articles", "background", "keywords")
}
_EMPTY = {fold(lb.empty_part) for lb in _LABELS} | {fold(lb.empty_section) for lb in _LABELS}

_SECTION_LINE = re.compile(r"^##(?!#)\s*(.*?)\s*$")
_ITEM_LINE = re.compile(r"^###(?!#)\s*(.*?)\s*$")
_RULE = re.compile(r"^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d{1,9}[.)、])[ \t]+(?P<text>.*)$")
# A field label: "**核心摘要**", "**關鍵實體**：a、b", "**核心摘要（續）**", "#### 技術細節".
_LABEL_LINE = re.compile(r"^(?:\*\*(?P<bold>[^*]+?)\*\*|#{4,6}\s+(?P<heading>.+?))\s*(?P<rest>.*)$")
_LABEL_SUFFIX = re.compile(r"\s*[:：]?\s*(?:[(（][^)）]*[)）])?\s*[:：]?$")
_ENUMERATOR = re.compile(r"^(?:\d{1,2}[.)、]|[一二三四五六七八九十]+、)\s*")
_CLOSING_HASHES = re.compile(r"(?:^|(?<=\s))(?<!\\)#+\s*$")
_BOLD = re.compile(r"(?<!\\)\*\*")
_CODE_TICK = re.compile(r"(?<!\\)`")
_LINK = re.compile(r"\[(?P<text>(?:\\.|[^\]\\])*)\]\((?P<target>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_ENTITY_SEPARATOR = re.compile(r"\s*(?:、|，|,(?!\d))\s*")
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_ARXIV_TARGET = re.compile(r"(?:arxiv:\s*)?(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)
_BACKGROUND_SPLIT = re.compile(r"：|:\s")
_NOTE_SEPARATOR = re.compile(rf"\s[{_DASHES}]\s")
_CODE_SPAN = re.compile(r"`([^`]*)`")
_CJK_ENUMERATION = re.compile(r"[\s、，,]+")


class ReportFormatError(ValueError):
    """The text is not a report in the sample-reports format; ``reason`` is one line."""

    def __init__(self, reason: str, source_name: str = "") -> None:
        self.reason = reason
        self.source_name = source_name
        super().__init__(f"{source_name}: {reason}" if source_name else reason)


def parse_report(text: str, *, source_name: str = "") -> Report:
    """The ``Report`` written in ``text``; ``source_name`` (a file name) only labels errors."""
    try:
        meta, body = _split_front_matter(_normalized(text))
        return _report(meta, body)
    except ReportFormatError as exc:
        raise ReportFormatError(exc.reason, source_name) from None


# --- inline text --------------------------------------------------------------------------------


def _strip_break(line: str) -> str:
    """A line without its hard break: trailing spaces, or one trailing (unescaped) backslash."""
    line = line.rstrip()
    trailing = len(line) - len(line.rstrip("\\"))
    return line[:-1] if trailing % 2 else line


def _inline(text: str) -> str:
    """Plain text of one line of Markdown: bold and code markers off, escapes undone."""
    text = _CODE_TICK.sub("", _BOLD.sub("", _strip_break(text)))
    return clean_text(unescape_inline(text))


def _joined(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines if line.strip())


# --- the file as a whole ----------------------------------------------------------------------


def _normalized(text: str) -> list[str]:
    """The lines of ``text``, after the checks that tell a report from some other file."""
    if "\x00" in text:
        raise ReportFormatError("binary data (NUL bytes), not a Markdown report")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ReportFormatError("empty file")
    return text.split("\n")


def _split_front_matter(lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The YAML front matter as a dict, and the lines after it."""
    start = next((n for n, line in enumerate(lines) if line.strip()), 0)
    if lines[start].strip() != "---":
        raise ReportFormatError("no front matter: a report starts with a '---' line and YAML keys")
    for end in range(start + 1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            return _front_matter(lines[start + 1 : end]), lines[end + 1 :]
    raise ReportFormatError("front matter has no closing '---' line")


@dataclass
class _Body:
    """The body of a report, cut into its parts."""

    sections: dict[str, list[Item]] = field(default_factory=dict)
    insight: list[str] = field(default_factory=list)
    reading: list[str] = field(default_factory=list)
    english_votes: int = 0
    chinese_votes: int = 0


def _report(meta: dict[str, Any], lines: list[str]) -> Report:
    counts, hours, footer_time, lines = _footer(lines)
    body = _body(lines)
    if not body.sections and not body.insight and not body.reading:
        raise ReportFormatError("no report sections: expected '## 今日焦點（Top Headlines）' and the others")
    generated_at, zone = _generated_at(meta.get("date"), footer_time)
    language = "en" if body.english_votes > body.chinese_votes else "zh-TW"
    return Report(
        date=generated_at.date(),
        title=_meta_text(meta, "title"),
        generated_at=generated_at,
        timezone=zone,
        window_start=generated_at - timedelta(hours=hours),
        window_end=generated_at,
        articles_count=counts[0],
        topics_count=counts[1],
        sections=tuple(
            Section(spec.key, spec.heading if language == "zh-TW" else spec.heading_en, tuple(items))
            for spec in ITEM_SECTIONS
            for items in [body.sections.get(spec.key, [])]
        ),
        insight=_insight(body.insight),
        reading=_reading(body.reading),
        description=_meta_text(meta, "description"),
        summary=_meta_text(meta, "summary"),
        tags=tuple(t for t in map(clean_text, _as_list(meta.get("tags"))) if t),
        language=language,
        cover_image=_meta_text(meta.get("cover") if isinstance(meta.get("cover"), dict) else {}, "image"),
    )


def _body(lines: list[str]) -> _Body:
    """Group the lines under each ``##`` heading; item sections become items right away."""
    body = _Body()
    for heading, block in _split(lines, _SECTION_LINE):
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
            body.sections.setdefault(key, []).extend(_items(key, block))
    return body


def _split(lines: Iterable[str], heading: re.Pattern[str]) -> Iterator[tuple[str | None, list[str]]]:
    """(heading text, lines under it) for each heading line, the lines before any as (None, …)."""
    title: str | None = None
    block: list[str] = []
    for line in lines:
        found = heading.match(line)
        if found:
            yield title, block
            title, block = found.group(1), []
        else:
            block.append(line)
    yield title, block


def _heading_keys(text: str) -> set[str]:
    """The forms a heading is matched by: whole, the part before parentheses, the part inside."""
    folded = _ENUMERATOR.sub("", fold(_inline(text)))
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


# --- items ------------------------------------------------------------------------------------


def _items(section: str, lines: list[str]) -> list[Item]:
    return [_item(section, title, block) for title, block in _split(lines, _ITEM_LINE) if title is not None]


def _item(section: str, heading: str, lines: list[str]) -> Item:
    fields = _fields(lines)
    prose, bullets = _prose_and_bullets(fields.pop(None, []))
    importance, reason = _importance(_joined(fields.get("importance", [])))
    sources = _sources(_joined(fields.get("sources", [])))
    urls = tuple(dict.fromkeys(s.url for s in sources if s.valid))
    title = _inline(_CLOSING_HASHES.sub("", heading))
    return Item(
        section=section,
        title=title,
        summary=_prose([*prose, "", *fields.get("summary", [])]),
        details=_flattened([*bullets, *fields.get("details", [])]),
        use_cases=_flattened(fields.get("use_cases", [])),
        entities=_entities(_joined(fields.get("entities", []))),
        importance=importance,
        importance_reason=reason,
        sources=sources,
        follow_up=_follow_up(_joined(fields.get("follow_up", []))),
        writer="import",
        # As the pipeline keys a topic by its article URLs; an item without any by its title.
        topic_key=topic_key(urls or [f"title:{match_key(title)}"]),
        article_urls=urls,
    )


def _fields(lines: list[str]) -> dict[str | None, list[str]]:
    """Lines by field; a label seen again (``核心摘要（續）``) continues that field after a break."""
    fields: dict[str | None, list[str]] = {}
    current: str | None = None
    for line in lines:
        if _RULE.match(line):
            continue
        label = _field_label(line)
        if label is None:
            fields.setdefault(current, []).append(line)
            continue
        current, rest = label
        previous = fields.setdefault(current, [])
        if previous:
            previous.append("")
        if rest:
            previous.append(rest)
    return fields


def _field_label(line: str) -> tuple[str, str] | None:
    """(field name, text after the label) when ``line`` starts with a known field label."""
    label = _bold_label(line)
    name = _FIELD_BY_LABEL.get(label[0]) if label else None
    return (name, label[1]) if name and label else None


def _bold_label(line: str) -> tuple[str, str] | None:
    """(folded label, text after it) of a line opening with ``**label**`` or ``#### label``."""
    found = _LABEL_LINE.match(line.strip())
    if not found:
        return None
    label = _LABEL_SUFFIX.sub("", found.group("bold") or found.group("heading"))
    return fold(label), found.group("rest").lstrip(":： \t")


def _prose_and_bullets(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split text before the first label: paragraphs (a summary) and bullets (details)."""
    prose: list[str] = []
    bullets: list[str] = []
    for line in lines:
        in_list = bool(bullets) and line.strip() and (line[:1] in " \t" or _BULLET.match(line))
        (bullets if _BULLET.match(line) or in_list else prose).append(line)
    return prose, bullets


def _prose(lines: list[str]) -> str:
    """Paragraph text, one line per source line; list lines keep a plain marker ("- ", "1. ")."""
    out = []
    for line in lines:
        bullet = _BULLET.match(line)
        text = _inline(bullet.group("text")) if bullet else _inline(line)
        if text and fold(text) not in _EMPTY:
            marker = bullet.group("marker") if bullet else ""
            out.append(f"{'-' if marker in ('*', '+') else marker} {text}".lstrip())
    return "\n".join(out)


@dataclass
class _Node:
    text: str
    indent: int
    children: list[_Node] = field(default_factory=list)

    def flat(self) -> str:
        """This bullet with its sub-bullets folded in: "parent：child；child"."""
        if not self.children:
            return self.text
        parts = [child.flat().rstrip("；;，, ") for child in self.children]
        body = "".join(_glue(p, "；") for p in parts[:-1]) + parts[-1]
        return (_glue(self.text, "：") if self.text else "") + body


def _glue(text: str, separator: str) -> str:
    """``text`` ready for more after it: its own punctuation if it ends with some, else ``separator``."""
    if text.endswith(("：", "。", "！", "？", "；")):
        return text
    if text.endswith((":", ".", "!", "?", ";")):
        return text + " "
    return text + (separator if has_cjk(text) else {"：": ": ", "；": "; "}[separator])


def _flattened(lines: list[str]) -> tuple[str, ...]:
    """One text per top-level bullet; a line that is no bullet continues the previous one."""
    roots: list[_Node] = []
    stack: list[_Node] = []
    for line in lines:
        bullet = _BULLET.match(line)
        text = _inline(bullet.group("text") if bullet else line)
        if not text or fold(text) in _EMPTY:
            continue
        if not bullet and stack:
            stack[-1].text = f"{stack[-1].text} {text}"
            continue
        node = _Node(text, len(bullet.group("indent").expandtabs(4)) if bullet else 0)
        while stack and stack[-1].indent >= node.indent:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return tuple(node.flat() for node in roots)


def _entities(text: str) -> tuple[str, ...]:
    if fold(_inline(text)) in _EMPTY:
        return ()
    return tuple(e for e in map(_inline, _ENTITY_SEPARATOR.split(text)) if e)


def _importance_pattern() -> re.Pattern[str]:
    """Every importance name of both languages, any dash accepted, longest first."""
    names = {lb.importance_name(i) for lb in _LABELS for i in Importance} | {i.value for i in Importance}
    dash = f"[{re.escape(_DASHES)}]"
    forms = ["".join(dash if c in _DASHES else re.escape(c) for c in n) for n in names]
    alternatives = "|".join(sorted(forms, key=len, reverse=True))
    return re.compile(rf"^(?P<name>{alternatives})(?=$|[\s:：(（,，;；{re.escape(_DASHES)}])", re.IGNORECASE)


_IMPORTANCE = _importance_pattern()


def _importance(text: str) -> tuple[Importance, str]:
    """The importance and its reason; an unknown label is 中 with the raw text as the reason."""
    text = _inline(text)
    found = _IMPORTANCE.match(text)
    if not found:
        return Importance.MEDIUM, text
    reason = text[found.end() :].lstrip(f" \t:：{_DASHES}").strip()
    return _importance_named(found.group("name")), reason


def _importance_named(name: str) -> Importance:
    """The importance a label of either language names (the pattern matched a known one)."""
    for labels in _LABELS:
        with suppress(ValueError):
            return labels.parse_importance(name)
    return Importance.MEDIUM


def _sources(text: str) -> tuple[SourceLink, ...]:
    """``[name](url) | [name](url)``; targets that are not URLs stay, flagged invalid."""
    links = []
    for part in _UNESCAPED_PIPE.split(text):
        part = part.strip()
        found = _LINK.fullmatch(part)
        if found:
            links.append(_source_link(_inline(found.group("text")), found.group("target")))
        elif part and fold(_inline(part)) not in _EMPTY:
            links.append(SourceLink(_inline(part), "", valid=False))
    return tuple(links)


def _source_link(name: str, target: str) -> SourceLink:
    if link_target(target) is not None:
        return SourceLink(name, target)
    arxiv = _ARXIV_TARGET.fullmatch(target.strip())
    if arxiv:
        # An arXiv id names exactly one paper: its abstract page is the link, as the pipeline
        # stores arXiv articles (no version suffix).
        return SourceLink(name, f"https://arxiv.org/abs/{arxiv.group(1)}")
    return SourceLink(name, target, valid=False)


def _format_pattern(template: str, **groups: str) -> re.Pattern[str]:
    """A regex for a label format string, each ``{name}`` replaced by ``groups[name]``."""
    pieces = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(f"(?P<{p}>{groups[p]})" if n % 2 else re.escape(p) for n, p in enumerate(pieces))
    )


_FOLLOW_UPS = [
    _format_pattern(lb.follow_up_text, date=r"\d{4}/\d{1,2}/\d{1,2}", title=".*") for lb in _LABELS
]


def _follow_up(text: str) -> FollowUp | None:
    for pattern in _FOLLOW_UPS:
        found = pattern.fullmatch(text.strip())
        if found:
            day = datetime.strptime(found.group("date"), "%Y/%m/%d").date()
            return FollowUp(day, _inline(found.group("title")))
    return None


# --- editor's insight and further reading ------------------------------------------------------


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
    heading = _ITEM_LINE.match(line)
    if heading:
        return fold(_LABEL_SUFFIX.sub("", heading.group(1))), ""
    return _bold_label(line)


def _paragraphs(lines: list[str]) -> tuple[str, ...]:
    """Blank lines and rules separate paragraphs; the lines of one paragraph keep their breaks."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if not line.strip() or _RULE.match(line):
            paragraphs.append([])
        else:
            paragraphs[-1].append(line)
    texts = (_prose(p) for p in paragraphs)
    return tuple(t for t in texts if t)


def _entries(lines: list[str]) -> tuple[str, ...]:
    """A numbered or bulleted list; a line without a marker continues the previous entry."""
    entries: list[str] = []
    for line in lines:
        bullet = _BULLET.match(line)
        text = _inline(bullet.group("text") if bullet else line)
        if not text or fold(text) in _EMPTY or _RULE.match(line):
            continue
        if bullet or not entries:
            entries.append(text)
        else:
            entries[-1] += "\n" + text
    return tuple(entries)


def _insight(lines: list[str]) -> Insight:
    parts = _parts(lines, _INSIGHT_PARTS, "trends")
    return Insight(
        trends=_paragraphs(parts.get("trends", [])),
        context=_paragraphs(parts.get("context", [])),
        outlook=_paragraphs(parts.get("outlook", [])),
        watchlist=_entries(parts.get("watchlist", [])),
    )


def _reading(lines: list[str]) -> Reading:
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
        bullet = _BULLET.match(line)
        text = _strip_break(bullet.group("text") if bullet else line).strip()
        if text and not _RULE.match(line) and fold(_inline(text)) not in _EMPTY:
            entries.append(text)
    return entries


def _reading_link(text: str) -> ReadingLink:
    """``[title](url) — note``; without a link the title is the text before the dash."""
    found = _LINK.match(text)
    if found:
        link = _source_link("", found.group("target"))
        url = link.url if link.valid else ""
        return ReadingLink(
            _inline(found.group("text")), url, _inline(text[found.end() :].lstrip(" " + _DASHES))
        )
    title, note = _cut(text, _NOTE_SEPARATOR)
    return ReadingLink(_inline(title), "", _inline(note))


def _background(text: str) -> tuple[str, str]:
    """``term：explanation`` (the first full-width colon, or a colon and a space)."""
    term, explanation = _cut(text, _BACKGROUND_SPLIT)
    return _inline(term), _inline(explanation)


def _cut(text: str, separator: re.Pattern[str]) -> tuple[str, str]:
    """``text`` before and after the first ``separator``; all of it before when there is none."""
    found = separator.search(text)
    return (text[: found.start()], text[found.end() :]) if found else (text, "")


def _keywords(text: str) -> tuple[str, ...]:
    """Backticked words; without backticks, words separated by spaces or commas."""
    spans = _CODE_SPAN.findall(text)
    words = spans if spans else _CJK_ENUMERATION.split(_inline(text))
    return tuple(w for w in (clean_text(w) for w in words) if w and fold(w) not in _EMPTY)


# --- footer and dates ---------------------------------------------------------------------------

_COUNTS = [_format_pattern(lb.footer_counts, articles=r"[\d,]+", topics=r"[\d,]+") for lb in _LABELS]
_TIMES = [_format_pattern(lb.footer_times, hours=r"\d+", time=r"[^*]+") for lb in _LABELS]


def _footer(lines: list[str]) -> tuple[tuple[int, int], int, str | None, list[str]]:
    """(articles, topics), window hours, generation time text, and the lines without the footer."""
    counts, hours, stamp, kept = (0, 0), 24, None, []
    for line in lines:
        text = line.strip().strip("*").strip()
        found_counts = _search(_COUNTS, text)
        found_times = _search(_TIMES, text)
        if found_counts:
            counts = (_int(found_counts.group("articles")), _int(found_counts.group("topics")))
        if found_times:
            hours, stamp = int(found_times.group("hours")), found_times.group("time").strip()
        if not (found_counts or found_times):
            kept.append(line)
    return counts, hours, stamp, kept


def _search(patterns: list[re.Pattern[str]], text: str) -> re.Match[str] | None:
    return next((m for m in (p.search(text) for p in patterns) if m), None)


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def _generated_at(meta_date: Any, footer_time: str | None) -> tuple[datetime, str]:
    """The generation time, aware, in the time zone the report was written in, and that zone's name."""
    moment = _iso_datetime(meta_date)
    abbreviation = ""
    if moment is None and footer_time:
        moment, abbreviation = _footer_datetime(footer_time)
    if moment is None:
        raise ReportFormatError("no report date: the front matter has no 'date' and the footer no time")
    zone = _zone_name(moment, abbreviation)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(ZoneInfo(zone)), zone


def _iso_datetime(value: Any) -> datetime | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ReportFormatError(f"front matter date {text!r} is not an ISO date") from None


def _footer_datetime(text: str) -> tuple[datetime | None, str]:
    """``2025/12/12 06:43:41 CST``: a naive local time and the zone abbreviation after it."""
    words = text.split()
    stamp, abbreviation = " ".join(words[:2]), " ".join(words[2:])
    for pattern in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return datetime.strptime(stamp, pattern), abbreviation
        except ValueError:
            continue
    return None, abbreviation


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone_name(moment: datetime, abbreviation: str) -> str:
    """A zone name whose offset at ``moment`` is the one written, preferring the service default."""
    candidates = [n for n in (abbreviation, DEFAULT_TIMEZONE, "UTC") if _zone(n)]
    if moment.tzinfo is None:
        return candidates[0]
    offset = moment.utcoffset()
    for name in candidates:
        if moment.astimezone(ZoneInfo(name)).utcoffset() == offset:
            return name
    hours, rest = divmod(int(offset.total_seconds()), 3600) if offset is not None else (0, 1)
    # POSIX sign: Etc/GMT-8 is eight hours *ahead* of UTC.
    return f"Etc/GMT{-hours:+d}" if not rest and hours else "UTC"


# --- front matter -------------------------------------------------------------------------------


def _front_matter(lines: list[str]) -> dict[str, Any]:
    """The YAML subset Hugo reports use: scalars, one level of mapping (cover) and lists (tags)."""
    data: dict[str, Any] = {}
    parent: str | None = None
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        nested = line[:1] in " \t" or stripped.startswith("- ") or stripped == "-"
        if nested and parent is not None:
            _nested(data, parent, stripped)
            continue
        key, _, value = stripped.partition(":")
        parent = key.strip() if not value.strip() else None
        data[key.strip()] = _scalar(value) if value.strip() else None
    return data


def _nested(data: dict[str, Any], parent: str, line: str) -> None:
    if line.startswith("-"):
        if not isinstance(data.get(parent), list):
            data[parent] = []
        data[parent].append(_scalar(line[1:]))
        return
    if not isinstance(data.get(parent), dict):
        data[parent] = {}
    key, _, value = line.partition(":")
    data[parent][key.strip()] = _scalar(value)


def _scalar(value: str) -> Any:
    """A YAML scalar or flow list as text: quotes and escapes removed, comments dropped."""
    value = value.strip()
    if value.startswith('"'):
        try:
            return json.loads(value)
        except ValueError:
            return value.strip('"')
    if value.startswith("'"):
        return value[1:-1].replace("''", "'") if value.endswith("'") else value[1:]
    if value.startswith("[") and value.endswith("]"):
        return [_scalar(v) for v in value[1:-1].split(",") if v.strip()]
    return re.sub(r"\s+#.*$", "", value)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _meta_text(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    return clean_text(str(value)) if value is not None and not isinstance(value, dict | list) else ""
