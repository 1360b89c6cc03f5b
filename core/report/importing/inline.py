"""What every part of the report importer shares: its error, inline Markdown, line patterns.

The importer (:mod:`core.report.importing.reader`) reads a report in parts: front matter and
footer (:mod:`core.report.importing.meta`), item sections (:mod:`core.report.importing.items`), and
the editor's insight and further reading (:mod:`core.report.importing.insight`). Each part reads
lines with the patterns and helpers here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from core.models import SourceLink
from core.report.rendering.labels import EN, ZH_TW, Labels
from core.report.rendering.markdown import link_target, unescape_inline
from core.report.writing.items import clean_text
from core.text import fold

LABELS: tuple[Labels, ...] = (ZH_TW, EN)
EMPTY = {fold(lb.empty_part) for lb in LABELS} | {fold(lb.empty_section) for lb in LABELS}
ITEM_LINE = re.compile(r"^###(?!#)\s*(.*?)\s*$")
RULE = re.compile(r"^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
BULLET = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d{1,9}[.)、])[ \t]+(?P<text>.*)$")
# A field label: "**核心摘要**", "**關鍵實體**：a、b", "**核心摘要（續）**", "#### 技術細節".
_LABEL_LINE = re.compile(r"^(?:\*\*(?P<bold>[^*]+?)\*\*|#{4,6}\s+(?P<heading>.+?))\s*(?P<rest>.*)$")
LABEL_SUFFIX = re.compile(r"\s*[:：]?\s*(?:[(（][^)）]*[)）])?\s*[:：]?$")
_BOLD = re.compile(r"(?<!\\)\*\*")
_CODE_TICK = re.compile(r"(?<!\\)`")
LINK = re.compile(r"\[(?P<text>(?:\\.|[^\]\\])*)\]\((?P<target>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_ARXIV_TARGET = re.compile(r"(?:arxiv:\s*)?(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)


class ReportFormatError(ValueError):
    """The text is not a report in the sample-reports format; ``reason`` is one line."""

    def __init__(self, reason: str, source_name: str = "") -> None:
        self.reason = reason
        self.source_name = source_name
        super().__init__(f"{source_name}: {reason}" if source_name else reason)


def strip_break(line: str) -> str:
    """A line without its hard break: trailing spaces, or one trailing (unescaped) backslash."""
    line = line.rstrip()
    trailing = len(line) - len(line.rstrip("\\"))
    return line[:-1] if trailing % 2 else line


def inline(text: str) -> str:
    """Plain text of one line of Markdown: bold and code markers off, escapes undone."""
    text = _CODE_TICK.sub("", _BOLD.sub("", strip_break(text)))
    return clean_text(unescape_inline(text))


def joined(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines if line.strip())


def split_blocks(lines: Iterable[str], heading: re.Pattern[str]) -> Iterator[tuple[str | None, list[str]]]:
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


def bold_label(line: str) -> tuple[str, str] | None:
    """(folded label, text after it) of a line opening with ``**label**`` or ``#### label``."""
    found = _LABEL_LINE.match(line.strip())
    if not found:
        return None
    label = LABEL_SUFFIX.sub("", found.group("bold") or found.group("heading"))
    return fold(label), found.group("rest").lstrip(":： \t")


def prose_text(lines: list[str]) -> str:
    """Paragraph text, one line per source line; list lines keep a plain marker ("- ", "1. ")."""
    out = []
    for line in lines:
        bullet = BULLET.match(line)
        text = inline(bullet.group("text")) if bullet else inline(line)
        if text and fold(text) not in EMPTY:
            marker = bullet.group("marker") if bullet else ""
            out.append(f"{'-' if marker in ('*', '+') else marker} {text}".lstrip())
    return "\n".join(out)


def source_link(name: str, target: str) -> SourceLink:
    if link_target(target) is not None:
        return SourceLink(name, target)
    arxiv = _ARXIV_TARGET.fullmatch(target.strip())
    if arxiv:
        # An arXiv id names exactly one paper: its abstract page is the link, as the pipeline
        # stores arXiv articles (no version suffix).
        return SourceLink(name, f"https://arxiv.org/abs/{arxiv.group(1)}")
    return SourceLink(name, target, valid=False)


def format_pattern(template: str, **groups: str) -> re.Pattern[str]:
    """A regex for a label format string, each ``{name}`` replaced by ``groups[name]``."""
    pieces = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(f"(?P<{p}>{groups[p]})" if n % 2 else re.escape(p) for n, p in enumerate(pieces))
    )
