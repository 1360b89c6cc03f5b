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

**Limits.** Telegram counts a message's length in UTF-16 code units of the text *after* entity
parsing (tags removed, ``&lt;`` read as one ``<``): at most 4096. Two further limits are not in
the Bot API documentation but are real (tdlib/telegram-bot-api issues #165 and #820): formatting
past the 100th entity of a message is silently dropped (a lost link!), and a message whose
entities are too large as a whole is refused with ``Entities_too_long``; :class:`Limits` keeps
under both with margin (at most 100 tags, at most 8192 characters of HTML source).

**Splitting.** :func:`pack` puts whole items into a message while they fit. An item longer than
one message is split by :func:`split_html` at the best boundary that fills most of the message:
a paragraph, else a line, else a sentence, else a word (between CJK characters too), else a
character cluster; never inside a tag, an entity or a link. A split inside ``<b>`` closes the tag
at the end of the message and re-opens it at the start of the next, so every message is valid
HTML on its own. (The shared :mod:`delivery.text` splitter works on plain text; Telegram HTML also
needs tags closed and re-opened at a cut and entities counted, hence this one.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from core.models import INSIGHT_SECTION, READING_SECTION, Insight, Item, Reading, Report, Section
from core.report.items import clean_text
from core.report.labels import Labels
from core.report.markdown import link_target
from delivery.text import utf16_len

PARSE_MODE = "HTML"
ELLIPSIS = "…"
BULLET = "•"
SEPARATOR = "\n\n"  # between two items of one message

#: Extra words of the chat messages, beside the shared report labels (core.report.labels).
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
_LINK_LABEL_UNITS = 120  # a link is never split, so its label must stay short


@dataclass(frozen=True, slots=True)
class Limits:
    """What one message may hold. Tests pass smaller values to exercise splitting."""

    text: int = 4096  # UTF-16 code units after entity parsing (MessageLimit.MAX_TEXT_LENGTH)
    entities: int = 100  # formatting past the 100th entity is dropped by Telegram
    source: int = 8192  # characters of HTML; well under the ~9500 where Entities_too_long starts


LIMITS = Limits()


# --- escaping and measuring -------------------------------------------------------------------


def escape(text: str) -> str:
    """Feed text safe in Telegram HTML: one line, ``&``, ``<`` and ``>`` as entities."""
    return html.escape(clean_text(text), quote=False)


def link(label: str, url: str) -> str:
    """``<a href>`` for an http(s) URL; the escaped label alone for anything else."""
    text = truncate(clean_text(label), _LINK_LABEL_UNITS) or "link"
    target = link_target(url)
    if target is None:
        return escape(text)
    return f'<a href="{html.escape(target, quote=True)}">{escape(text)}</a>'


def bold(text_html: str) -> str:
    return f"<b>{text_html}</b>" if text_html else ""


_TAG = re.compile(r"<[^>]*>")
_OPENING_TAG = re.compile(r"<[^/>][^>]*>")


def visible_text(message_html: str) -> str:
    """The text Telegram shows for ``message_html`` (our own HTML: tags removed, unescaped)."""
    return html.unescape(_TAG.sub("", message_html))


@dataclass(frozen=True, slots=True)
class Size:
    units: int
    entities: int
    source: int

    def fits(self, limits: Limits) -> bool:
        return self.units <= limits.text and self.entities <= limits.entities and self.source <= limits.source


def measure(message_html: str) -> Size:
    return Size(
        utf16_len(visible_text(message_html)),
        len(_OPENING_TAG.findall(message_html)),
        len(message_html),
    )


def fits(message_html: str, limits: Limits = LIMITS) -> bool:
    return measure(message_html).fits(limits)


def truncate(text: str, units: int) -> str:
    """Plain ``text`` cut to at most ``units`` UTF-16 units, with an ellipsis when cut."""
    if utf16_len(text) <= units:
        return text
    out, used = [], utf16_len(ELLIPSIS)
    for cluster in _CLUSTER.findall(text):
        used += utf16_len(cluster)
        if used > units:
            break
        out.append(cluster)
    return "".join(out).rstrip() + ELLIPSIS


# --- rendering --------------------------------------------------------------------------------


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


def threads(report: Report, labels: Labels) -> list[Thread]:
    """The non-empty sections in report order: the six item sections, insight, reading."""
    found = [_item_thread(s, labels) for s in report.sections if s.items]
    found += [_insight_thread(report.insight, labels), _reading_thread(report.reading, labels)]
    return [thread for thread in found if thread.blocks]


def _item_thread(section: Section, labels: Labels) -> Thread:
    blocks = tuple(render_item(n, item, labels) for n, item in enumerate(section.items, 1))
    heading = labels.sections.get(section.key, section.heading)
    return Thread(section.key, heading, tuple(i.title for i in section.items), blocks)


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
    lines = [
        f"{escape(labels.entities)}{labels.colon}{entities or escape(labels.empty_part)}",
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


# --- packing ----------------------------------------------------------------------------------


def pack(blocks: Sequence[str], limits: Limits = LIMITS) -> list[str]:
    """Whole blocks per message while they fit; a block too long for any message is split,
    starting in the current message when a good part of it is still free."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}{SEPARATOR}{block}" if current else block
        if fits(joined, limits):
            current = joined
            continue
        if fits(block, limits):
            messages.append(current)
            current = block
            continue
        lead = f"{current}{SEPARATOR}" if current and _roomy(current, limits) else ""
        if current and not lead:
            messages.append(current)
        *done, current = split_html(block, limits, lead=lead)
        messages += done
    return [*messages, current] if current else messages


def _roomy(current: str, limits: Limits) -> bool:
    """Whether a quarter of the message is still free: then a long block may start in it."""
    return measure(current).units <= limits.text * 3 // 4


# --- splitting one over-long fragment ---------------------------------------------------------

# Priorities of a cut right after a piece: higher is a better place to split.
_NONE, _CHAR, _WORD, _SENTENCE, _LINE, _PARAGRAPH = -1, 0, 1, 2, 3, 4
_MIN_FILL = 0.6  # a better boundary wins only if the message is at least this full

_CJK = "\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f"
_NO_LINE_START = "、。，．：；？！）」』】〕〉》〗〙〛｝］…‥ー"
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’」』）)]*\s*$")
_WORD_RUNS = re.compile(rf"[{_CJK}][{_NO_LINE_START}]*|[^{_CJK}]+")
# One user-perceived character, roughly: a code point with its combining marks, variation
# selectors, skin tones and zero-width-joined followers (so an emoji family is never cut).
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
_CLUSTER = re.compile(rf"(?:\u200d|.)[{_MARKS}]*(?:\u200d.[{_MARKS}]*)*", re.S)
_LINK_ATOM = re.compile(r"<a\s[^>]*>[^<]*</a>")
_TOKEN = re.compile(r"<a\s[^>]*>[^<]*</a>|<[^>]*>|[^<]+")


@dataclass(frozen=True, slots=True)
class _Piece:
    html: str
    units: int  # visible UTF-16 units
    tag: str = ""  # "open", "close" or "" (text or a whole link)
    cut: int = _NONE  # priority of a cut right after this piece


def split_html(fragment: str, limits: Limits = LIMITS, *, lead: str = "") -> list[str]:
    """``lead + fragment`` as messages that each fit ``limits``; the first starts with ``lead``."""
    pieces = list(_pieces(fragment))
    messages: list[str] = []
    start, stack, prefix = 0, [], lead
    while start < len(pieces):
        end = _cut(pieces, start, stack, prefix, limits)
        if end == start:  # nothing fits after the lead: give the fragment a message of its own
            if not prefix or prefix == "".join(stack):
                raise ValueError("a piece of the message is longer than the limit")
            messages.append(lead.removesuffix(SEPARATOR))
            prefix = lead = ""
            continue
        body, stack = _chunk(pieces, start, end, stack)
        if visible_text(prefix + body).strip():  # only closing tags left: Telegram refuses empty text
            messages.append(prefix + body)
        start = _skip_spaces(pieces, end)
        prefix = "".join(stack)  # re-open what the cut closed
    return messages


def _chunk(pieces: list[_Piece], start: int, end: int, stack: list[str]) -> tuple[str, list[str]]:
    """The HTML of ``pieces[start:end]`` with open tags closed, and the tags still open."""
    stack = list(stack)
    for piece in pieces[start:end]:
        if piece.tag == "open":
            stack.append(piece.html)
        elif piece.tag == "close":
            stack.pop()
    body = "".join(p.html for p in pieces[start:end]) + _closers(stack)
    return body, stack


def _closers(stack: Sequence[str]) -> str:
    return "".join(f"</{_tag_name(tag)}>" for tag in reversed(stack))


def _tag_name(tag: str) -> str:
    return re.match(r"</?\s*([A-Za-z0-9-]+)", tag).group(1).lower()  # type: ignore[union-attr]


def _skip_spaces(pieces: list[_Piece], index: int) -> int:
    """Whitespace right after a cut would only open the next message with a blank."""
    while index < len(pieces) and not pieces[index].tag and not visible_text(pieces[index].html).strip():
        index += 1
    return index


def _cut(pieces: list[_Piece], start: int, stack: list[str], prefix: str, limits: Limits) -> int:
    """Where the message starting at ``pieces[start]`` should end: the best-placed fitting cut."""
    best: dict[int, tuple[int, int]] = {}  # priority -> (end index, units) of the last fitting cut
    for end, size in _growing(pieces, start, stack, prefix):
        if not size.fits(limits):
            break
        priority = _PARAGRAPH if end == len(pieces) else pieces[end - 1].cut
        for level in range(_CHAR, priority + 1):
            best[level] = (end, size.units)
    for level in (_PARAGRAPH, _LINE, _SENTENCE, _WORD):
        if level in best and best[level][1] >= limits.text * _MIN_FILL:
            return best[level][0]
    for level in (_CHAR, _WORD, _SENTENCE, _LINE, _PARAGRAPH):
        if level in best:
            return best[level][0]
    return start


def _growing(pieces: list[_Piece], start: int, stack: list[str], prefix: str) -> Iterator[tuple[int, Size]]:
    """Each end index after ``start`` with the size of the message cut there (closers included)."""
    stack = list(stack)
    base = measure(prefix)
    units, entities, source = base.units, base.entities, base.source
    for end in range(start + 1, len(pieces) + 1):
        piece = pieces[end - 1]
        if piece.tag == "open":
            stack.append(piece.html)
        elif piece.tag == "close":
            stack.pop()
        units += piece.units
        entities += len(_OPENING_TAG.findall(piece.html))
        source += len(piece.html)
        yield end, Size(units, entities, source + len(_closers(stack)))


def _pieces(fragment: str) -> Iterator[_Piece]:
    """Tags, whole links, and text in the smallest runs a message may end after."""
    for token in _TOKEN.findall(fragment):
        if _LINK_ATOM.fullmatch(token):
            yield _Piece(token, utf16_len(visible_text(token)))
        elif token.startswith("</"):
            yield _Piece(token, 0, "close")
        elif token.startswith("<"):
            yield _Piece(token, 0, "open")
        else:
            yield from _text_pieces(html.unescape(token))


def _text_pieces(text: str) -> Iterator[_Piece]:
    """Words with their trailing whitespace; CJK characters one by one; clusters of a long word."""
    for word, space in _words(text):
        runs = _WORD_RUNS.findall(word) if word else [""]
        for index, run in enumerate(runs):
            last = index == len(runs) - 1
            clusters = _CLUSTER.findall(run) if utf16_len(run) > 64 else [run]
            for position, cluster in enumerate(clusters):
                tail = space if last and position == len(clusters) - 1 else ""
                cut = _space_cut(tail) if tail else (_CHAR if position < len(clusters) - 1 else _WORD)
                if last and position == len(clusters) - 1 and not tail:
                    cut = _NONE  # the word goes on in the next tag or link
                text_run = cluster + tail
                cut = _SENTENCE if cut == _WORD and _SENTENCE_END.search(text_run) else cut
                yield _Piece(html.escape(text_run, quote=False), utf16_len(text_run), cut=cut)


def _words(text: str) -> Iterator[tuple[str, str]]:
    parts = re.split(r"(\s+)", text)
    for index in range(0, len(parts), 2):
        word = parts[index]
        space = parts[index + 1] if index + 1 < len(parts) else ""
        if word or space:
            yield word, space


def _space_cut(space: str) -> int:
    if "\n\n" in space:
        return _PARAGRAPH
    return _LINE if "\n" in space else _WORD
