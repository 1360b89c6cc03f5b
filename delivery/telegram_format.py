"""A ``Report`` as Telegram messages in HTML parse mode: pure functions, no I/O.

What a chat receives (see :mod:`delivery.telegram` for how it is sent):

- a header: the title, the date, how many items in how many sections, how many articles were
  read, and a link to the web archive (``{public_url}/reports/{date}/``) when there is one;
- per non-empty section (the six item sections, then the editor's insight and further reading) a
  parent message: the heading and the numbered item titles (the part names for insight and
  reading);
- the items themselves, numbered as in the parent, packed into as few replies as the limits allow.

**Escaping.** Every piece of report text goes through :func:`escape` (``&``, ``<``, ``>``), so
feed text can never open a tag; ``*``, ``_`` and backticks mean nothing in HTML mode and stay as
they are. Only absolute http(s) URLs become ``<a href>`` links (quotes escaped); anything else is
printed as plain text. The only tags written are ``<b>``, ``<a href>`` and (for keywords) ``<code>``.

**Votes.** :func:`vote_keyboard` gives a reply its inline keyboard: a row of 👍 and 👎 for each
item that starts in it, labelled with the item's number, whose callback data names the item
(:mod:`core.platforms.votes`); the Telegram bot records the presses.

Escaping, links and the limits a message must keep are in :mod:`core.platforms.telegram_html`; packing
blocks into messages and splitting an over-long one, in :mod:`core.platforms.telegram_split`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.models import (
    INSIGHT_SECTION,
    READING_SECTION,
    Brief,
    Insight,
    Item,
    ItemRef,
    Reading,
    Report,
    Section,
    VoteValue,
)
from core.platforms.telegram_html import (
    ELLIPSIS,
    LIMITS,
    Limits,
    Size,
    bold,
    escape,
    fits,
    link,
    measure,
    truncate,
    visible_text,
)
from core.platforms.telegram_split import SEPARATOR, pack, split_html
from core.platforms.votes import EMOJI, ITEM_KEY, button_data
from core.report.rendering.labels import Labels
from core.report.writing.items import clean_text

__all__ = [
    "BULLET",
    "ELLIPSIS",
    "LIMITS",
    "PARSE_MODE",
    "SEPARATOR",
    "WORDS",
    "Limits",
    "Size",
    "Thread",
    "archive_url",
    "bold",
    "escape",
    "fits",
    "link",
    "measure",
    "pack",
    "render_header",
    "render_index",
    "render_item",
    "render_parts",
    "split_html",
    "threads",
    "truncate",
    "visible_text",
    "vote_keyboard",
    "words",
]


PARSE_MODE = "HTML"
BULLET = "•"
#: Extra words of the chat messages, beside the shared report labels (core.report.rendering.labels).
WORDS: dict[str, dict[str, str]] = {
    "zh-TW": {
        "counts": "{items} 則新聞，{sections} 個分類",
        "archive": "網頁版全文",
        "more": "…另有 {count} 則",
    },
    "en": {
        "counts": "{items} items in {sections} sections",
        "archive": "Read it on the web",
        "more": "… and {count} more",
    },
}
_HEADER_TITLE_UNITS = 256  # a header cannot be split: its free texts are bounded instead
_HEADER_SUMMARY_UNITS = 1024
_INDEX_TITLE_UNITS = 120  # one line of a section's title list


def words(labels: Labels) -> dict[str, str]:
    return WORDS.get(labels.language, WORDS["en"])


def archive_url(public_url: str | None, report: Report) -> str | None:
    """The report's page in the web archive, or None without a public URL."""
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/reports/{report.date.isoformat()}/"


def render_header(
    report: Report, sections: Sequence[Section], labels: Labels, public_url: str | None = None
) -> str:
    """The day's first message; bounded by construction, so it always fits one message."""
    items = sum(len(s.items) for s in sections)
    lines = [
        bold(escape(truncate(clean_text(report.title), _HEADER_TITLE_UNITS))),
        f"{report.date.isoformat()} · " + words(labels)["counts"].format(items=items, sections=len(sections)),
        escape(labels.footer_counts.format(articles=report.articles_count, topics=report.topics_count)),
    ]
    summary = truncate(clean_text(report.summary), _HEADER_SUMMARY_UNITS)
    if summary:
        lines += ["", escape(summary)]
    url = archive_url(public_url, report)
    if url:
        lines += ["", link(words(labels)["archive"], url)]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Thread:
    """One section as Telegram shows it: a parent listing ``titles``, the ``blocks`` as replies."""

    key: str
    heading: str
    titles: tuple[str, ...]  # plain text, one line each in the parent
    blocks: tuple[str, ...]  # HTML: an item, an insight part, a reading list
    numbered: bool = True  # items are numbered, as their replies are
    keys: tuple[str, ...] = ()  # the items' topic keys, in order (what their votes name)


def threads(report: Report, labels: Labels) -> list[Thread]:
    """The non-empty sections in report order: the six item sections, insight, reading."""
    found = [_item_thread(s, labels) for s in report.sections if s.items or s.more]
    found += [_insight_thread(report.insight, labels), _reading_thread(report.reading, labels)]
    return [thread for thread in found if thread.blocks]


def _item_thread(section: Section, labels: Labels) -> Thread:
    blocks = tuple(render_item(n, item, labels) for n, item in enumerate(section.items, 1))
    blocks += render_briefs(section.more, labels)
    heading = labels.sections.get(section.key, section.heading)
    keys = tuple(i.topic_key for i in section.items)
    return Thread(section.key, heading, tuple(i.title for i in section.items), blocks, keys=keys)


BRIEFS_PER_BLOCK = 10


def render_briefs(briefs: Sequence[Brief], labels: Labels) -> tuple[str, ...]:
    """The section's 更多報導, ten linked lines a block (each link is one of a message's entities)."""
    heading = bold(escape(labels.more_stories.format(count=len(briefs))))
    lines = [
        f"{BULLET} {link(b.title, b.url)}" + (f"{labels.colon}{escape(b.line)}" if clean_text(b.line) else "")
        for b in briefs
    ]
    chunks = [lines[i : i + BRIEFS_PER_BLOCK] for i in range(0, len(lines), BRIEFS_PER_BLOCK)]
    return tuple("\n".join([heading, *chunk] if n == 0 else chunk) for n, chunk in enumerate(chunks))


def _insight_thread(insight: Insight, labels: Labels) -> Thread:
    parts = [
        (labels.trends, insight.trends),
        (labels.context, insight.context),
        (labels.outlook, insight.outlook),
    ]
    found = [(name, SEPARATOR.join(escape(p) for p in texts if clean_text(p))) for name, texts in parts]
    watch = [f"{n}. {escape(t)}" for n, t in enumerate((t for t in insight.watchlist if clean_text(t)), 1)]
    found.append((labels.watchlist, "\n".join(watch)))
    return _named_parts(INSIGHT_SECTION.key, labels.insight_heading, found)


def _reading_thread(reading: Reading, labels: Labels) -> Thread:
    articles = [
        f"{BULLET} {link(r.title, r.url)}" + (f" — {escape(r.note)}" if clean_text(r.note) else "")
        for r in reading.articles
    ]
    background = [
        f"{BULLET} {bold(escape(t))}{labels.colon}{escape(x)}" for t, x in reading.background if clean_text(t)
    ]
    keywords = "  ".join(f"<code>{escape(k)}</code>" for k in reading.keywords if clean_text(k))
    found = [
        (labels.reading_articles, "\n".join(articles)),
        (labels.reading_background, "\n".join(background)),
        (labels.reading_keywords, keywords),
    ]
    return _named_parts(READING_SECTION.key, labels.reading_heading, found)


def _named_parts(key: str, heading: str, parts: Sequence[tuple[str, str]]) -> Thread:
    """A thread of titled parts (insight, reading); the empty ones left out."""
    kept = [(name, body) for name, body in parts if body]
    blocks = tuple(f"{bold(escape(name))}\n{body}" for name, body in kept)
    return Thread(key, heading, tuple(name for name, _ in kept), blocks, numbered=False)


def render_index(thread: Thread, labels: Labels, limits: Limits = LIMITS) -> str:
    """A section's parent message: its heading and its titles, cut with "… and N more"."""
    lines = [bold(escape(thread.heading))]
    count = len(thread.titles)
    for number, title in enumerate(thread.titles, 1):
        marker = f"{number}." if thread.numbered else BULLET
        line = f"{marker} {escape(truncate(clean_text(title), _INDEX_TITLE_UNITS))}"
        # Room is kept for the "… and N more" line, so the list can always end with it.
        tail = [_more(count - number, labels)] if number < count else []
        if not fits("\n".join([*lines, line, *tail]), limits):
            return "\n".join([*lines, _more(count - number + 1, labels)])
        lines.append(line)
    return "\n".join(lines)


def _more(count: int, labels: Labels) -> str:
    return escape(words(labels)["more"].format(count=count))


def render_item(number: int, item: Item, labels: Labels) -> str:
    """One item: bold numbered title, summary, bullets, entities, importance, source links."""
    blocks = [bold(f"{number}. {escape(item.title)}")]
    if clean_text(item.summary):
        blocks.append(escape(item.summary))
    blocks += [
        _bullets(labels.details, item.details, labels),
        _bullets(labels.use_cases, item.use_cases, labels),
    ]
    blocks.append("\n".join(_meta_lines(item, labels)))
    return "\n".join(block for block in blocks if block)


def _bullets(label: str, texts: Sequence[str], labels: Labels) -> str:
    lines = [f"{BULLET} {escape(t)}" for t in texts if clean_text(t)]
    return "\n".join([f"{escape(label)}{labels.colon.rstrip()}", *lines]) if lines else ""


def _meta_lines(item: Item, labels: Labels) -> list[str]:
    # Plain labels, not bold: every tag is an entity, and entities per message are capped.
    entities = labels.list_separator.join(escape(e) for e in item.entities if clean_text(e))
    importance = escape(labels.importance_name(item.importance))
    if clean_text(item.importance_reason):
        importance += f" — {escape(item.importance_reason)}"
    sources = " | ".join(link(s.name, s.url) for s in item.sources) or escape(labels.empty_part)
    # An item that names no one has no entities line (as in the Markdown report).
    lines = [f"{escape(labels.entities)}{labels.colon}{entities}"] if entities else []
    lines += [
        f"{escape(labels.importance)}{labels.colon}{importance}",
        f"{escape(labels.sources)}{labels.colon}{sources}",
    ]
    if item.follow_up:
        stamp = f"{item.follow_up.date:%Y/%m/%d}"
        note = labels.follow_up_text.format(date=stamp, title=clean_text(item.follow_up.title))
        lines.append(f"{escape(labels.follow_up)}{labels.colon}{escape(note)}")
    return lines


def render_parts(thread: Thread, limits: Limits = LIMITS) -> list[str]:
    """The replies of one section: every block, in order, packed into as few messages as fit."""
    return pack(thread.blocks, limits)


# An item's block starts a message, or follows another after SEPARATOR, with its bold number;
# feed text is escaped, so no "<b>" in it can look like one.
_ITEM_START = re.compile(r"(?:^|" + SEPARATOR + r")<b>(\d+)\. ")


def vote_keyboard(day: date, thread: Thread, text: str) -> dict[str, Any] | None:
    """The ``reply_markup`` of the reply ``text`` of ``thread``: 👍 / 👎 for each item starting in
    it (an item split over two messages has its buttons under the first), or None."""
    rows = []
    for number in map(int, _ITEM_START.findall(text)):
        key = thread.keys[number - 1] if 0 < number <= len(thread.keys) else ""
        if ITEM_KEY.fullmatch(key):
            ref = ItemRef(day, key)
            rows.append(
                [{"text": f"{EMOJI[v]} {number}", "callback_data": button_data(ref, v)} for v in VoteValue]
            )
    return {"inline_keyboard": rows} if rows else None
