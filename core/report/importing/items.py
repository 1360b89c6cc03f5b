"""The items of a report's six item sections, read from their ``###`` blocks.

Part of the report importer (:mod:`core.report.importing.reader`), whose docstring says how
the old reports' items are read.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from core.models import Brief, FollowUp, Importance, Item, SourceLink
from core.report.editing.cluster import topic_key
from core.report.importing.inline import (
    BULLET,
    DASHES,
    EMPTY,
    ITEM_LINE,
    LABELS,
    LINK,
    RULE,
    bold_label,
    format_pattern,
    inline,
    joined,
    prose_text,
    source_link,
    split_blocks,
    strip_break,
)
from core.text import fold, has_cjk, match_key

_FIELDS = ("summary", "details", "use_cases", "entities", "importance", "sources", "follow_up")
_FIELD_BY_LABEL = {fold(getattr(labels, name)): name for labels in LABELS for name in _FIELDS}
_CLOSING_HASHES = re.compile(r"(?:^|(?<=\s))(?<!\\)#+\s*$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_ENTITY_SEPARATOR = re.compile(r"\s*(?:、|，|,(?!\d))\s*")


_MORE_HEADINGS = [format_pattern(lb.more_stories, count=r"\d+") for lb in LABELS]
_BRIEF = re.compile(rf"^\s*[-*+]\s+{LINK.pattern}(?:\s*[：:]\s*(?P<line>.*))?$")


def parse_items(section: str, lines: list[str]) -> list[Item]:
    return parse_section(section, lines)[0]


def parse_section(section: str, lines: list[str]) -> tuple[list[Item], list[Brief]]:
    """The section's items and, under its 更多報導 heading (our renderer's), its briefs."""
    items: list[Item] = []
    briefs: list[Brief] = []
    for title, block in split_blocks(lines, ITEM_LINE):
        if title is None:
            continue
        if any(p.fullmatch(inline(title)) for p in _MORE_HEADINGS):
            briefs += _briefs(block)
        else:
            items.append(_item(section, title, block))
    return items, briefs


def _briefs(lines: list[str]) -> list[Brief]:
    briefs = []
    for line in lines:
        found = _BRIEF.match(strip_break(line))
        if found:
            text = inline(found.group("line") or "")
            briefs.append(Brief(inline(found.group("text")), text, found.group("target")))
    return briefs


def _item(section: str, heading: str, lines: list[str]) -> Item:
    fields = _fields(lines)
    prose, bullets = _prose_and_bullets(fields.pop(None, []))
    importance, reason = _importance(joined(fields.get("importance", [])))
    sources = _sources(joined(fields.get("sources", [])))
    urls = tuple(dict.fromkeys(s.url for s in sources if s.valid))
    title = inline(_CLOSING_HASHES.sub("", heading))
    return Item(
        section=section,
        title=title,
        summary=prose_text([*prose, "", *fields.get("summary", [])]),
        details=_flattened([*bullets, *fields.get("details", [])]),
        use_cases=_flattened(fields.get("use_cases", [])),
        entities=_entities(joined(fields.get("entities", []))),
        importance=importance,
        importance_reason=reason,
        sources=sources,
        follow_up=_follow_up(joined(fields.get("follow_up", []))),
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
        if RULE.match(line):
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
    label = bold_label(line)
    name = _FIELD_BY_LABEL.get(label[0]) if label else None
    return (name, label[1]) if name and label else None


def _prose_and_bullets(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split text before the first label: paragraphs (a summary) and bullets (details)."""
    prose: list[str] = []
    bullets: list[str] = []
    for line in lines:
        in_list = bool(bullets) and line.strip() and (line[:1] in " \t" or BULLET.match(line))
        (bullets if BULLET.match(line) or in_list else prose).append(line)
    return prose, bullets


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
        bullet = BULLET.match(line)
        text = inline(bullet.group("text") if bullet else line)
        if not text or fold(text) in EMPTY:
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
    if fold(inline(text)) in EMPTY:
        return ()
    return tuple(e for e in map(inline, _ENTITY_SEPARATOR.split(text)) if e)


def _importance_pattern() -> re.Pattern[str]:
    """Every importance name of both languages, any dash accepted, longest first."""
    names = {lb.importance_name(i) for lb in LABELS for i in Importance} | {i.value for i in Importance}
    dash = f"[{re.escape(DASHES)}]"
    forms = ["".join(dash if c in DASHES else re.escape(c) for c in n) for n in names]
    alternatives = "|".join(sorted(forms, key=len, reverse=True))
    return re.compile(rf"^(?P<name>{alternatives})(?=$|[\s:：(（,，;；{re.escape(DASHES)}])", re.IGNORECASE)


_IMPORTANCE = _importance_pattern()


def _importance(text: str) -> tuple[Importance, str]:
    """The importance and its reason; an unknown label is 中 with the raw text as the reason."""
    text = inline(text)
    found = _IMPORTANCE.match(text)
    if not found:
        return Importance.MEDIUM, text
    reason = text[found.end() :].lstrip(f" \t:：{DASHES}").strip()
    return _importance_named(found.group("name")), reason


def _importance_named(name: str) -> Importance:
    """The importance a label of either language names (the pattern matched a known one)."""
    for labels in LABELS:
        with suppress(ValueError):
            return labels.parse_importance(name)
    return Importance.MEDIUM


def _sources(text: str) -> tuple[SourceLink, ...]:
    """``[name](url) | [name](url)``; targets that are not URLs stay, flagged invalid."""
    links = []
    for part in _UNESCAPED_PIPE.split(text):
        part = part.strip()
        found = LINK.fullmatch(part)
        if found:
            links.append(source_link(inline(found.group("text")), found.group("target")))
        elif part and fold(inline(part)) not in EMPTY:
            links.append(SourceLink(inline(part), "", valid=False))
    return tuple(links)


_FOLLOW_UPS = [format_pattern(lb.follow_up_text, date=r"\d{4}/\d{1,2}/\d{1,2}", title=".*") for lb in LABELS]


def _follow_up(text: str) -> FollowUp | None:
    for pattern in _FOLLOW_UPS:
        found = pattern.fullmatch(text.strip())
        if found:
            day = datetime.strptime(found.group("date"), "%Y/%m/%d").date()
            return FollowUp(day, inline(found.group("title")))
    return None
