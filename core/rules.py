"""Keyword rules of a subscription: which items of a report it receives.

A subscription may name *include* and *exclude* terms: plain words and phrases, in Chinese or
English, never regular expressions. With include terms an item must match at least one; an item
that matches any exclude term is left out, whatever it includes. An item is matched on its
title, summary, technical details and entities; a brief past a section's cap (更多報導) on its
title and line. The editor's insight and the reading list are prose about the whole day and
are not filtered.

**Matching.** Term and text are folded alike (``core.text.fold``: NFKC, so full-width letters
are plain ones, then case folding, dash and quote folding, collapsed spaces) and the term is
searched for as a literal substring, field by field. Where a term begins (or ends) with a Latin
letter or a digit, the character before (after) the match must not be one: ``AI`` matches
"AI-powered" and "生成式AI工具" but not "OpenAI" or "said". A CJK edge needs no boundary, since
Chinese has no spaces between words: ``模型`` matches "語言模型". Because nothing is compiled
into a pattern, ``.*``, ``(`` or ``\\d`` in a term mean only those characters.

**Limits.** At most ``MAX_TERMS`` terms per list and ``MAX_TERM_CHARS`` characters per term;
blank terms are dropped, a term without a letter or digit is refused, and a term repeated
(after folding) is kept once. Parsing raises ``ValueError`` with one line that says what to fix.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from core.models import Brief, Item, Report, Rules, Section, Subscription
from core.text import fold

MAX_TERMS = 50
MAX_TERM_CHARS = 80
#: What separates terms typed in one field: commas (any width), 、, semicolons and new lines.
_SEPARATORS = re.compile(r"[,，、;；\n\r]+")
# Quotes a user may put around a phrase; they are not part of the term.
_QUOTES = "\"'“”‘’「」『』"
# Text longer than this in one field cannot hold MAX_TERMS valid terms; it is refused unread.
_MAX_INPUT = MAX_TERMS * (MAX_TERM_CHARS + 4) * 2


def parse_terms(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """Terms typed by a user (one string, or several, each possibly comma-separated) -> the
    normalized terms, in order, each once; ``ValueError`` for too many, too long or empty ones."""
    texts = [values] if isinstance(values, str) else list(values or ())
    if sum(len(text) for text in texts) > _MAX_INPUT:
        raise ValueError(f"too many keyword terms: at most {MAX_TERMS}, of up to {MAX_TERM_CHARS} characters")
    terms: dict[str, str] = {}
    for text in texts:
        for piece in _SEPARATORS.split(text):
            term = normalize_term(piece)
            if term:
                terms.setdefault(fold(term), term)
    if len(terms) > MAX_TERMS:
        raise ValueError(f"too many keyword terms ({len(terms)}): at most {MAX_TERMS}")
    return tuple(terms.values())


def normalize_term(text: str) -> str:
    """One term as stored: NFKC, invisible and control characters removed, spaces collapsed,
    surrounding quotes dropped; "" for a blank one. ``ValueError`` if too long or wordless."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
    term = " ".join(text.split()).strip(_QUOTES + " ")
    if not term:
        return ""
    if len(term) > MAX_TERM_CHARS:
        raise ValueError(f"keyword term too long ({len(term)} characters): at most {MAX_TERM_CHARS}")
    if not any(c.isalnum() for c in term):
        raise ValueError(f"keyword term {term!r} has no letter or digit")
    return term


def make_rules(
    include: str | Iterable[str] | None = None, exclude: str | Iterable[str] | None = None
) -> Rules:
    return Rules(include=parse_terms(include), exclude=parse_terms(exclude))


def describe(rules: Rules) -> str:
    """``+OpenAI +"language model" -crypto``: the rules as the chat command writes them."""
    return " ".join([*(f"+{_quoted(t)}" for t in rules.include), *(f"-{_quoted(t)}" for t in rules.exclude)])


def _quoted(term: str) -> str:
    return f'"{term}"' if " " in term else term


# --- matching --------------------------------------------------------------------------------


def _wordy(char: str) -> bool:
    """A letter or digit of a script written with spaces between words (not CJK, not kana)."""
    return char.isalnum() and ord(char) < 0x2E80


def _found(term: str, text: str) -> bool:
    """``term`` (folded) in ``text`` (folded) as a literal, on word boundaries at Latin edges."""
    start = text.find(term)
    while start != -1:
        end = start + len(term)
        before_ok = not _wordy(term[0]) or start == 0 or not _wordy(text[start - 1])
        after_ok = not _wordy(term[-1]) or end == len(text) or not _wordy(text[end])
        if before_ok and after_ok:
            return True
        start = text.find(term, start + 1)
    return False


# Between an item's fields: no term holds it (control characters are removed from terms), so no
# match runs from one field into the next, and it is no letter, so it bounds a word.
_FIELDS = "\x00"


def _item_text(item: Item) -> str:
    return _FIELDS.join(fold(text) for text in (item.title, item.summary, *item.details, *item.entities))


def _brief_text(brief: Brief) -> str:
    return _FIELDS.join(fold(text) for text in (brief.title, brief.line))


def _folded(rules: Rules) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(map(fold, rules.include)), tuple(map(fold, rules.exclude))


def _passes(include: Sequence[str], exclude: Sequence[str], found: Callable[[str], bool]) -> bool:
    return (not include or any(map(found, include))) and not any(map(found, exclude))


def allows(rules: Rules, item: Item) -> bool:
    """Whether ``rules`` let ``item`` through."""
    text = _item_text(item)
    include, exclude = _folded(rules)
    return _passes(include, exclude, lambda term: _found(term, text))


_KEPT_CACHED = 1024


class _Index:
    """One report's stories as folded text, and which of them each term (folded) is found in:
    each term is looked for once per report, whatever the number of subscribers naming it."""

    def __init__(self, report: Report) -> None:
        self.report = report  # held: the cache below is keyed by its id
        self.texts = [
            [_item_text(i) for i in s.items] + [_brief_text(b) for b in s.more] for s in report.sections
        ]
        self.every = frozenset((n, k) for n, texts in enumerate(self.texts) for k in range(len(texts)))
        self._found: dict[str, frozenset[tuple[int, int]]] = {}
        self._kept: dict[Rules, frozenset[tuple[int, int]]] = {}

    def found(self, term: str) -> frozenset[tuple[int, int]]:
        """(section, story) positions whose text holds ``term``; briefs follow a section's items."""
        if term not in self._found:
            self._found[term] = frozenset(
                (n, k)
                for n, texts in enumerate(self.texts)
                for k, text in enumerate(texts)
                if _found(term, text)
            )
        return self._found[term]

    def kept(self, rules: Rules) -> frozenset[tuple[int, int]]:
        """The positions ``rules`` let through (once per distinct rules: many share theirs)."""
        kept = self._kept.get(rules)
        if kept is None:
            include, exclude = _folded(rules)
            wanted = frozenset().union(*map(self.found, include)) if include else self.every
            kept = wanted - frozenset().union(*map(self.found, exclude))
            if len(self._kept) < _KEPT_CACHED:  # bounded: a list where every rule set differs
                self._kept[rules] = kept
        return kept


# The indexes of the last few reports, by identity (the entry holds its report, so the id is not
# reused while it is here): a delivery serves one report, or a day's report and a digest.
_INDEXES: dict[int, _Index] = {}
_INDEXES_LOCK = threading.Lock()  # the bots filter in worker threads, deliveries in the loop


def _index(report: Report) -> _Index:
    with _INDEXES_LOCK:
        found = _INDEXES.get(id(report))
        if found is None or found.report is not report:
            if len(_INDEXES) >= 4:
                _INDEXES.pop(next(iter(_INDEXES)))
            found = _INDEXES[id(report)] = _Index(report)
        return found


def view_for(report: Report, subscription: Subscription) -> Report:
    """``report`` as ``subscription`` receives it: the items and briefs its rules allow, and in
    ``filtered`` how many were left out of the sections it wants (others it never sees)."""
    if subscription.rules.empty:
        return report
    kept = _index(report).kept(subscription.rules)
    sections = [_filtered(n, section, kept) for n, section in enumerate(report.sections)]
    left_out = sum(
        (len(old.items) - len(new.items)) + (len(old.more) - len(new.more))
        for old, new in zip(report.sections, sections, strict=True)
        if subscription.wants(old.key)
    )
    return dataclasses.replace(report, sections=tuple(sections), filtered=report.filtered + left_out)


def _filtered(number: int, section: Section, kept: frozenset[tuple[int, int]]) -> Section:
    items = tuple(item for k, item in enumerate(section.items) if (number, k) in kept)
    start = len(section.items)
    more = tuple(brief for k, brief in enumerate(section.more, start) if (number, k) in kept)
    return dataclasses.replace(section, items=items, more=more)
