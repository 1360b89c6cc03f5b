"""Render a ``Report`` as a Hugo Markdown post, in exactly the format of ``sample-reports/``.

Structure: YAML front matter (cover, title, date, draft, tags, description, summary), the six
item sections (``## heading``, ``### title`` per item, bold field labels, ``---`` after each
item), the editor's insight, further reading, and the footer with counts and times.
Fixed words come from :mod:`core.report.rendering.labels` (zh-TW or en), which the importer reads too.

Feed text is untrusted. Every piece of text goes through :func:`escape_inline` (HTML ``<``
becomes ``&lt;``, Markdown punctuation is backslash-escaped, Hugo ``{{`` shortcodes broken
up) and, where it starts a line, :func:`_block_safe` (no accidental heading, list or quote).
Only absolute http(s) URLs become links, percent-encoded so spaces and parentheses cannot
end the link early; anything else is printed as plain text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.models import ITEM_SECTIONS, Brief, Insight, Item, Reading, Report, SourceLink
from core.report.rendering.labels import Labels, labels_for
from core.report.writing.items import clean_text

HARD_BREAK = "  \n"  # two trailing spaces: a line break inside one paragraph, as in the samples
RULE = "---"

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]~])")
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# Hugo runs shortcodes ("{{< x >}}", "{{% x %}}") before Markdown: no two braces may touch.
_DOUBLE_BRACE = re.compile(r"(?<=[{}])([{}])")
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_OUR_ENTITIES = re.compile(r"&(lt|amp);")
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])")
_URL_SAFE = "!#$%&'*+,/:;=?@[]~-._"
_YAML_PLAIN = re.compile(r"^[^\W\d][\w .+\-\u2011/]*(?<! )$")
_YAML_RESERVED = frozenset({"yes", "no", "y", "n", "true", "false", "on", "off", "null", "~"})


def render_markdown(report: Report) -> str:
    """The whole post; ends with the closing rule and a newline."""
    labels = labels_for(report.language)
    blocks = [
        _front_matter(report),
        RULE,
        *_item_sections(report, labels),
        *_insight(report.insight, labels),
        RULE,
        *_reading(report.reading, labels),
        RULE,
        _footer(report, labels),
        RULE,
    ]
    return "\n\n".join(blocks) + "\n"


# --- escaping ---------------------------------------------------------------------------------


def escape_inline(text: str) -> str:
    """Feed text safe inside a Markdown paragraph: one line, no HTML, no markup, no shortcodes."""
    text = _ENTITY_START.sub("&amp;", clean_text(text))
    text = text.replace("<", "&lt;")
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    return _DOUBLE_BRACE.sub(r"\\\1", text)


def unescape_inline(text: str) -> str:
    """The inverse of :func:`escape_inline`, for the importer: backslash escapes and ``&lt;``/``&amp;``."""
    text = _BACKSLASH_ESCAPE.sub(r"\1", text)
    return _OUR_ENTITIES.sub(lambda m: "<" if m.group(1) == "lt" else "&", text)


def _block_safe(text: str) -> str:
    """Escaped text that starts a line without becoming a heading, list, quote, rule or table."""
    if text[:1] in "#>-+=|":
        return "\\" + text
    return _ORDERED_START.sub(r"\1\\\2", text)


def _text(text: str) -> str:
    return _block_safe(escape_inline(text))


def _heading_text(text: str) -> str:
    """Heading text: ``#`` anywhere escaped, so no closing sequence or nested marker survives."""
    return _block_safe(escape_inline(text).replace("#", "\\#")) or "…"


def link_target(url: str) -> str | None:
    """A percent-encoded http(s) URL for a link, or None when ``url`` must not become a link."""
    url = url.strip()
    if not url or any(unicodedata.category(c)[0] == "C" for c in url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc.strip():
        return None
    return quote(url, safe=_URL_SAFE)


def _link(label: str, url: str) -> str:
    """``[label](url)``, or the escaped label alone when the URL is not http(s)."""
    text = escape_inline(label).replace("|", "\\|") or escape_inline(urlsplit(url).netloc) or "link"
    target = link_target(url)
    return f"[{text}]({target})" if target else text


def _code_span(word: str) -> str:
    """A keyword in backticks; backticks and shortcode braces inside it cannot survive."""
    word = re.sub(r"(?<=[{}])(?=[{}])", " ", clean_text(word).replace("`", "'"))
    return f"`{word}`" if word else ""


# --- front matter -----------------------------------------------------------------------------


def _yaml_string(text: str) -> str:
    """A double-quoted YAML scalar: one line, backslashes and quotes escaped."""
    return '"' + clean_text(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _yaml_tag(tag: str) -> str:
    """A tag plain when YAML would read it back as the same string, quoted otherwise."""
    tag = clean_text(tag)
    plain = _YAML_PLAIN.match(tag) and tag.casefold() not in _YAML_RESERVED
    return tag if plain else _yaml_string(tag)


def _local_time(report: Report) -> datetime:
    """``generated_at`` in the report's time zone (a naive time is taken as already local)."""
    try:
        zone = ZoneInfo(report.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return report.generated_at
    if report.generated_at.tzinfo is None:
        return report.generated_at.replace(tzinfo=zone)
    return report.generated_at.astimezone(zone)


def _front_matter(report: Report) -> str:
    image = report.cover_image or f"/images/{report.date.isoformat()}-ai-intel.png"
    tags = [f"  - {_yaml_tag(t)}" for t in report.tags if clean_text(t)]
    lines = [
        RULE,
        "cover:",
        f"  image: {_yaml_string(image)}",
        '  alt: "AI Daily"',
        "  relative: true",
        f"title: {_yaml_string(report.title)}",
        f"date: {_local_time(report).isoformat(timespec='seconds')}",
        "draft: false",
        "tags:" if tags else "tags: []",
        *tags,
        f"description: {_yaml_string(report.description)}",
        f"summary: {_yaml_string(report.summary)}",
        RULE,
    ]
    return "\n".join(lines)


# --- items ------------------------------------------------------------------------------------


def _item_sections(report: Report, labels: Labels) -> list[str]:
    """The six item sections in report order; a section without items says so."""
    by_key = {section.key: section for section in report.sections}
    blocks = []
    for spec in ITEM_SECTIONS:
        blocks.append(f"## {labels.sections[spec.key]}")
        items = by_key[spec.key].items if spec.key in by_key else ()
        for item in items:
            blocks += [render_item(item, labels), RULE]
        more = by_key[spec.key].more if spec.key in by_key else ()
        if more:
            blocks += [render_briefs(more, labels), RULE]
        if not items and not more:
            blocks += [labels.empty_section, RULE]
    return blocks


def render_briefs(briefs: Sequence[Brief], labels: Labels) -> str:
    """The section's stories past its cap: a heading, then one linked line each."""
    lines = [
        f"- {_link(b.title, b.url)}{labels.colon}{_text(b.line)}" if b.line else f"- {_link(b.title, b.url)}"
        for b in briefs
    ]
    return f"### {labels.more_stories.format(count=len(briefs))}\n\n" + "\n".join(lines)


def render_item(item: Item, labels: Labels) -> str:
    """One ``### title`` block with its summary, bullets and the metadata lines."""
    blocks = [
        f"### {_heading_text(item.title)}",
        f"**{labels.summary}**{HARD_BREAK}{_text(item.summary) or labels.empty_part}",
    ]
    # No label without content: a list whose every entry is blank is left out with its label.
    if any(clean_text(t) for t in item.details):
        blocks.append(_bullets(labels.details, item.details))
    if any(clean_text(t) for t in item.use_cases):
        blocks.append(_bullets(labels.use_cases, item.use_cases))
    blocks.append(HARD_BREAK.join(_meta_lines(item, labels)))
    return "\n\n".join(blocks)


def _bullets(label: str, texts: Iterable[str]) -> str:
    lines = [f"- {_text(t)}" for t in texts if clean_text(t)]
    return f"**{label}**{HARD_BREAK}" + HARD_BREAK.join(lines)


def _meta_lines(item: Item, labels: Labels) -> list[str]:
    """關鍵實體, 重要性, 來源 and, for a continuing story, 後續報導."""
    entities = labels.list_separator.join(escape_inline(e) for e in item.entities if clean_text(e))
    importance = labels.importance_name(item.importance)
    if clean_text(item.importance_reason):
        importance += f" — {escape_inline(item.importance_reason)}"
    # An item that names no organisation, product, model or person has no 關鍵實體 line at all.
    lines = [f"**{labels.entities}**{labels.colon}{entities}"] if entities else []
    lines += [
        f"**{labels.importance}**{labels.colon}{importance}",
        f"**{labels.sources}**{labels.colon.rstrip()} {_sources(item.sources, labels)}",
    ]
    if item.follow_up:
        stamp = f"{item.follow_up.date:%Y/%m/%d}"
        note = labels.follow_up_text.format(date=stamp, title=escape_inline(item.follow_up.title))
        lines.append(f"**{labels.follow_up}**{labels.colon}{note}")
    return lines


def _sources(sources: Sequence[SourceLink], labels: Labels) -> str:
    links = [_link(s.name, s.url) for s in sources]
    return " | ".join(links) if links else labels.empty_part


# --- insight, reading, footer -----------------------------------------------------------------


def _paragraphs(texts: Sequence[str], labels: Labels) -> str:
    rendered = [_text(t) for t in texts if clean_text(t)]
    return "\n\n".join(rendered) if rendered else labels.empty_part


def _insight(insight: Insight, labels: Labels) -> list[str]:
    watch = [f"{n}. {_text(t)}" for n, t in enumerate((t for t in insight.watchlist if clean_text(t)), 1)]
    return [
        f"## {labels.insight_heading}",
        f"### {labels.trends}",
        _paragraphs(insight.trends, labels),
        f"### {labels.context}",
        _paragraphs(insight.context, labels),
        f"### {labels.outlook}",
        _paragraphs(insight.outlook, labels),
        f"**{labels.watchlist}**{labels.colon.rstrip()}",
        HARD_BREAK.join(watch) or labels.empty_part,
    ]


def _reading(reading: Reading, labels: Labels) -> list[str]:
    articles = [
        f"* {_link(r.title, r.url)}" + (f" — {escape_inline(r.note)}" if clean_text(r.note) else "")
        for r in reading.articles
    ]
    background = [
        f"* {_text(term)}{labels.colon}{escape_inline(text)}"
        for term, text in reading.background
        if clean_text(term)
    ]
    keywords = " ".join(span for span in map(_code_span, reading.keywords) if span)
    return [
        f"## {labels.reading_heading}",
        f"### {labels.reading_articles}",
        HARD_BREAK.join(articles) or labels.empty_part,
        f"### {labels.reading_background}",
        HARD_BREAK.join(background) or labels.empty_part,
        f"### {labels.reading_keywords}",
        keywords or labels.empty_part,
    ]


def _footer(report: Report, labels: Labels) -> str:
    local = _local_time(report)
    hours = round((report.window_end - report.window_start).total_seconds() / 3600)
    stamp = f"{local:%Y/%m/%d %H:%M:%S} {local.tzname() or ''}".rstrip()
    counts = labels.footer_counts.format(articles=report.articles_count, topics=report.topics_count)
    times = labels.footer_times.format(hours=hours, time=stamp)
    return f"*{counts}*{HARD_BREAK}*{times}*"
