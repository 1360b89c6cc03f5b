"""Fitting text into platform limits: split an over-long block, pack blocks into few messages.

Shared by every chat adapter. The whole API::

    utf16_len(text) -> int
        Length in UTF-16 code units, how Telegram counts (an emoji outside the BMP counts 2).

    split_text(text, limit, measure=len, atoms=None) -> list[str]
        Cut ``text`` into pieces with ``measure(piece) <= limit``, each cut at the last paragraph
        boundary that fits, else the last line boundary, else the last word boundary, else (one
        word longer than the limit) between characters. ``atoms`` is a regex whose matches are
        never cut (a Slack ``<url|label>`` link, a Telegram ``<a href>…</a>``, an ``&amp;``
        entity); an atom longer than the limit raises ``ValueError``, so renderers bound them.
        Whitespace at a cut is dropped; every other character is kept, in order.

    pack(units, fits) -> list[list[T]]
        Group consecutive units, in order, into as few groups as possible: a unit joins the
        current group while ``fits(group + [unit])``. With order fixed and ``fits`` monotone
        (a sub-run of a fitting run fits), this greedy pass is optimal. A unit that does not
        fit even alone gets a group of its own: split it first.

    pack_texts(texts, limit, measure=len, separator="\\n\\n", atoms=None) -> list[str]
        ``split_text`` each text, then ``pack`` the pieces into messages joined by ``separator``,
        each with ``measure(message) <= limit``. Sixty short items make a few messages, not sixty.

``measure`` is any monotone length: ``len`` for Slack (characters), ``utf16_len`` for Telegram,
or a function that first strips markup (Telegram counts the text after entity parsing).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
Measure = Callable[[str], int]

# Most preferred first. A match is the whitespace run removed at the cut.
_BOUNDARIES = (
    re.compile(r"[ \t]*\n[ \t]*\n\s*"),  # paragraph: a blank line
    re.compile(r"[ \t]*\n\s*"),  # line
    re.compile(r"\s+"),  # word
)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(
    text: str, limit: int, measure: Measure = len, atoms: re.Pattern[str] | None = None
) -> list[str]:
    """Pieces of ``text`` that each fit ``limit``; see the module docstring."""
    if limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        head, rest = _cut(rest, limit, measure, _spans(atoms, rest))
        pieces.append(head)
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def pack(units: Iterable[T], fits: Callable[[list[T]], bool]) -> list[list[T]]:
    """Consecutive units grouped greedily; see the module docstring."""
    groups: list[list[T]] = []
    current: list[T] = []
    for unit in units:
        if current and not fits([*current, unit]):
            groups.append(current)
            current = []
        current.append(unit)
    if current:
        groups.append(current)
    return groups


def pack_texts(
    texts: Iterable[str],
    limit: int,
    measure: Measure = len,
    separator: str = "\n\n",
    atoms: re.Pattern[str] | None = None,
) -> list[str]:
    """Texts joined into as few messages as fit ``limit``; see the module docstring."""
    pieces = [piece for text in texts for piece in split_text(text, limit, measure, atoms)]
    groups = pack(pieces, lambda group: measure(separator.join(group)) <= limit)
    return [separator.join(group) for group in groups]


def _spans(atoms: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in atoms.finditer(text)] if atoms else []


def _inside(position: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether a cut at ``position`` would fall strictly inside one of ``spans``."""
    return any(start < position < end for start, end in spans)


def _cut(text: str, limit: int, measure: Measure, atoms: list[tuple[int, int]]) -> tuple[str, str]:
    """The longest head of ``text`` that fits, cut at the best boundary, and the rest."""
    for boundary in _BOUNDARIES:
        cuts = [m for m in boundary.finditer(text) if m.start() > 0 and not _inside(m.start(), atoms)]
        best = _last_fitting([m.start() for m in cuts], lambda end: measure(text[:end]) <= limit)
        if best is not None:
            match = cuts[best]
            return text[: match.start()], text[match.end() :]
    end = _hard_cut(text, limit, measure, atoms)
    return text[:end], text[end:]


def _last_fitting(positions: Sequence[int], fits: Callable[[int], bool]) -> int | None:
    """Index of the last position for which ``fits`` holds (``fits`` is monotone), or None."""
    low, high = 0, len(positions)  # invariant: fits for all indices < low, not for >= high
    while low < high:
        middle = (low + high) // 2
        if fits(positions[middle]):
            low = middle + 1
        else:
            high = middle
    return low - 1 if low else None


def _hard_cut(text: str, limit: int, measure: Measure, atoms: list[tuple[int, int]]) -> int:
    # One word longer than the limit (a long URL outside a link, a run of CJK without spaces):
    # cut between characters, but never inside an atom, and keep combining marks, variation
    # selectors and zero-width joiners with the character before them.
    index = _last_fitting(range(1, len(text) + 1), lambda end: measure(text[:end]) <= limit)
    end = 0 if index is None else index + 1
    for start, stop in atoms:
        if start < end < stop:
            end = start
    while 0 < end < len(text) and _joins_previous(text[end]):
        end -= 1
    if end == 0:
        raise ValueError(f"an unbreakable span of {measure(text[:1_000])}+ does not fit the limit {limit}")
    return end


def _joins_previous(char: str) -> bool:
    return bool(unicodedata.combining(char)) or char == "\u200d" or "\ufe00" <= char <= "\ufe0f"
