"""Telegram HTML blocks packed into messages, and a block too long for one split.

**Splitting.** :func:`pack` puts whole items into a message while they fit. An item longer than
one message is split by :func:`split_html` at the best boundary that fills most of the message:
a paragraph, else a line, else a sentence, else a word (between CJK characters too), else a
character cluster; never inside a tag, an entity or a link. A split inside ``<b>`` closes the tag
at the end of the message and re-opens it at the start of the next, so every message is valid
HTML on its own. (The shared :mod:`core.platforms.text` splitter works on plain text; Telegram HTML also
needs tags closed and re-opened at a cut and entities counted, hence this one.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from core.platforms.telegram_html import (
    CLUSTER,
    LIMITS,
    Limits,
    Size,
    entity_count,
    fits,
    measure,
    visible_text,
)
from core.platforms.text import utf16_len

SEPARATOR = "\n\n"  # between two items of one message


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


# Priorities of a cut right after a piece: higher is a better place to split.
_NONE, _CHAR, _WORD, _SENTENCE, _LINE, _PARAGRAPH = -1, 0, 1, 2, 3, 4
_MIN_FILL = 0.6  # a better boundary wins only if the message is at least this full
_CJK = "\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f"
_NO_LINE_START = "、。，．：；？！）」』】〕〉》〗〙〛｝］…‥ー"
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’」』）)]*\s*$")
_WORD_RUNS = re.compile(rf"[{_CJK}][{_NO_LINE_START}]*|[^{_CJK}]+")
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
        entities += entity_count(piece.html)
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
        for chunk, end in _breakable_runs(word):
            tail = space if end == "word" else ""
            text_run = chunk + tail
            cut = _cut_after(end, tail, text_run)
            yield _Piece(html.escape(text_run, quote=False), utf16_len(text_run), cut=cut)


def _breakable_runs(word: str) -> Iterator[tuple[str, str]]:
    """The runs of ``word`` a message may end after (CJK characters one by one, the clusters of a
    very long run), each with what it ends: a "cluster", a "run" or the "word"."""
    runs = _WORD_RUNS.findall(word) if word else [""]
    for index, run in enumerate(runs):
        clusters = CLUSTER.findall(run) if utf16_len(run) > 64 else [run]
        for position, cluster in enumerate(clusters):
            if position < len(clusters) - 1:
                yield cluster, "cluster"
            else:
                yield cluster, "run" if index < len(runs) - 1 else "word"


def _cut_after(end: str, tail: str, text_run: str) -> int:
    """The priority of a cut after a text run that ends ``end``, followed by whitespace ``tail``."""
    if end == "cluster":
        return _CHAR
    if end == "word" and not tail:
        return _NONE  # the word goes on in the next tag or link
    cut = _space_cut(tail) if tail else _WORD
    return _SENTENCE if cut == _WORD and _SENTENCE_END.search(text_run) else cut


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
