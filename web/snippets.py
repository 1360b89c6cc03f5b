"""A search result's snippet: a window of an item's text around what matched, matches marked.

The index matches folded terms (``core.text.fold``: case, width, dashes; Chinese in Simplified
characters), while a reader sees the stored text. So the text is folded one character at a
time, remembering which stored character each folded one came from, and the terms are found in
the folded text and marked in the stored one: "GPT-5.2" is marked where the question said
"gpt 5.2", and 開放 where the index holds 开放.

A snippet is a tuple of ``(text, matched)`` segments; a page escapes each one and wraps the
matched ones in ``<mark>``, so stored text never becomes markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from core.report.writing.faithful import simplified
from core.text import fold

#: Characters of text a snippet shows, an ellipsis at either cut aside.
WIDTH = 180
#: Of the window, how much comes before the first match.
LEAD = WIDTH // 4

Segments = tuple[tuple[str, bool], ...]


def best_snippet(texts: Sequence[str], terms: Iterable[str], width: int = WIDTH) -> Segments:
    """The snippet of the first of ``texts`` that contains a term, else of the first text."""
    wanted = _wanted(terms)
    for text in texts:
        spans = _spans(text, wanted)
        if spans:
            return _window(text, spans, width)
    return _window(texts[0], [], width) if texts else ()


def plain(segments: Segments) -> str:
    return "".join(text for text, _ in segments)


def _wanted(terms: Iterable[str]) -> list[str]:
    """The terms to look for, longest first (so "gpt-5.2" is marked whole, not as "gpt")."""
    return sorted({term for term in terms if term.strip()}, key=len, reverse=True)


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` folded as the index folds it, and for each folded character its place in ``text``."""
    if text.isascii():  # most English text: folding is lower case, one character for one
        return text.lower(), list(range(len(text)))
    keys: list[str] = []
    owners: list[int] = []
    for at, char in enumerate(text):
        key = _key(char)
        keys.append(key)
        owners.extend([at] * len(key))
    return "".join(keys), owners


@lru_cache(maxsize=1 << 16)
def _key(char: str) -> str:
    """One character folded, and in Simplified script. Converted alone, not in its phrase as the
    index converts it: a character whose Simplified form depends on the phrase may go unmarked,
    which costs a highlight, never a result."""
    return simplified(fold(char)) or (" " if char.isspace() else "")


def _spans(text: str, wanted: list[str]) -> list[tuple[int, int]]:
    """Where in ``text`` the terms stand, as merged ``(start, end)`` places of stored characters."""
    folded, owners = _folded(text)
    taken = [False] * len(folded)
    found: list[tuple[int, int]] = []
    for term in wanted:
        start = folded.find(term)
        while start != -1:
            end = _word_end(folded, start + len(term), term)
            if _at_word_start(folded, start, term) and not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                found.append((owners[start], owners[end - 1] + 1))
            start = folded.find(term, start + 1)
    return _merged(found, text)


def _at_word_start(folded: str, start: int, term: str) -> bool:
    """A Latin term matches at the start of a word ("app" in "apps", never in "whatsapp")."""
    return not (term[0].isascii() and term[0].isalnum() and start and folded[start - 1].isalnum())


def _word_end(folded: str, end: int, term: str) -> int:
    """A Latin match is marked to the end of its word: the whole of "apps" for "app"."""
    if term[-1].isascii() and term[-1].isalnum():
        while end < len(folded) and folded[end].isascii() and folded[end].isalnum():
            end += 1
    return end


def _merged(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Overlapping spans as one, and spans only a space apart too ("Opus 4.5" marked whole)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or text[merged[-1][1] : start].isspace()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, spans: list[tuple[int, int]], width: int) -> Segments:
    """At most ``width`` characters of ``text`` from a little before the first match."""
    start = 0
    if len(text) > width and spans:
        start = max(0, min(spans[0][0] - LEAD, len(text) - width))
    end = min(len(text), start + width)
    segments: list[tuple[str, bool]] = [("…", False)] if start else []
    at = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        segments += [(text[at:span_start], False), (text[span_start:span_end], True)]
        at = span_end
    segments.append((text[at:end], False))
    if end < len(text):
        segments.append(("…", False))
    return tuple((part, matched) for part, matched in segments if part)
