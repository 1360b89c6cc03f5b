"""Stored report Markdown -> safe HTML for the archive pages.

A stored report is the Hugo post ``core.report.rendering.markdown`` wrote (or a file ``aidaily import``
read): YAML front matter, then CommonMark. ``render_report`` splits the front matter off with the
importer's own reader (title, date, description), and renders the body with markdown-it-py
(CommonMark plus tables and strikethrough, raw HTML off, images off: reports have none, and a
hostile ``![x](...)`` stays text).

Two layers keep stored text from reaching the page as markup, because imported files are not
ours and a bug in one layer must not be enough:

1. Links: only absolute http(s) URLs (the rule ``core.report.rendering.markdown.link_target`` applies when
   writing) and ``mailto:`` stay links. Any other target (``[來源1](1)`` or
   ``[arXiv:2405.17838](arXiv:2405.17838)`` in old imports, a relative path) loses its link and
   its label stays as plain text, instead of a link that leads nowhere.
2. nh3 (ammonia) cleans the HTML afterwards: a short list of tags and attributes, URL schemes
   http, https and mailto, and ``rel="noopener nofollow"`` on every link.

Each ``###`` heading (an item's title, or a part of the insight and reading sections) gets the
id ``web.anchors.item_anchor`` computes from its text, which search results link to; a later
heading of the same text gets a numbered one, so ids stay unique on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from core.report.importing.inline import ReportFormatError
from core.report.importing.meta import split_front_matter
from core.report.rendering.markdown import link_target
from web.anchors import item_anchor

_TAGS = {
    *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code"),
    *("ul", "ol", "li", "a", "strong", "em", "del", "s"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
_ATTRIBUTES = {"a": {"href", "title"}, "h3": {"id"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True, slots=True)
class RenderedReport:
    """A report page's parts: front matter values and the body as sanitized HTML."""

    title: str
    published: datetime | None
    description: str
    body_html: str


def safe_href(url: str) -> str | None:
    """The URL a link may point to (absolute http(s), or mailto), or None."""
    if url.lower().startswith("mailto:") and "@" in url and not any(c in url for c in "<>\"' \n"):
        return url
    return link_target(url)


#: Rendered reports kept in memory. markdown-it-py is pure Python: a 60-item report (70 KiB) takes
#: 0.1-0.3 s to render on the 2-core development machine, while readers mostly open the same
#: recent days. 64 entries hold about 10 MB (the Markdown key and its HTML).
RENDER_CACHE_SIZE = 64


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def render_report(markdown: str) -> RenderedReport:
    """The page parts of a stored report; Markdown without front matter is all body.

    Cached by the Markdown itself, so a report rebuilt with new text is rendered anew."""
    lines = markdown.splitlines()
    try:
        meta, body = split_front_matter(lines)
    except ReportFormatError:
        meta, body = {}, lines
    return RenderedReport(
        title=_text(meta.get("title")),
        published=_datetime(meta.get("date")),
        description=_text(meta.get("description")),
        body_html=markdown_to_html("\n".join(body)),
    )


def markdown_to_html(text: str) -> str:
    """CommonMark -> HTML that is safe to put into a page as is."""
    return _CLEANER.clean(_MARKDOWN.render(text))


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


def _unlink_non_urls(state: StateCore) -> None:
    """A core rule: drop link tokens whose target is not a URL; their label stays as text."""
    for token in state.tokens:
        if token.type == "inline" and token.children:
            token.children = _without_dead_links(token.children)


def _without_dead_links(children: list[Token]) -> list[Token]:
    kept: list[Token] = []
    dropping: list[bool] = []  # per open link: whether it was dropped (links do not nest, but be safe)
    for child in children:
        if child.type == "link_open":
            href = safe_href(str(child.attrGet("href") or ""))
            dropping.append(href is None)
            if href is None:
                continue
            child.attrSet("href", href)
        elif child.type == "link_close" and dropping and dropping.pop():
            continue
        kept.append(child)
    return kept


def _anchor_headings(state: StateCore) -> None:
    """A core rule: an id on every ``###`` heading, from its text as the reader sees it."""
    seen: dict[str, int] = {}
    for heading, inline in zip(state.tokens, state.tokens[1:], strict=False):
        if heading.type == "heading_open" and heading.tag == "h3":
            anchor = item_anchor(_plain(inline.children or []))
            seen[anchor] = seen.get(anchor, 0) + 1
            heading.attrSet("id", anchor if seen[anchor] == 1 else f"{anchor}-{seen[anchor]}")


def _plain(children: list[Token]) -> str:
    return "".join(child.content for child in children if child.type in ("text", "code_inline"))


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Must never raise: nh3 reports a raising filter through sys.unraisablehook.
    if tag == "a" and attribute == "href":
        return safe_href(value)
    return value


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).disable("image")
    md.core.ruler.push("unlink_non_urls", _unlink_non_urls)
    md.core.ruler.push("anchor_headings", _anchor_headings)
    return md


_MARKDOWN = _markdown()
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes=_SCHEMES,
    link_rel="noopener nofollow",
    filter_style_properties={"text-align"},  # what markdown-it writes for aligned table columns
)
