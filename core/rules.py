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
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

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


@dataclass(frozen=True, slots=True)
class _Matcher:
    include: tuple[str, ...]  # folded
    exclude: tuple[str, ...]

    def allows(self, fields: Sequence[str]) -> bool:
        def hit(terms: tuple[str, ...]) -> bool:
            return any(_found(term, text) for term in terms for text in fields)

        return (not self.include or hit(self.include)) and not hit(self.exclude)


@lru_cache(maxsize=1024)
def _matcher(rules: Rules) -> _Matcher:
    # Folded once per distinct rules: a delivery to many subscribers with the same rules folds
    # them once.
    return _Matcher(tuple(map(fold, rules.include)), tuple(map(fold, rules.exclude)))


@lru_cache(maxsize=4096)
def _item_fields(item: Item) -> tuple[str, ...]:
    # Folded once per item for the whole delivery, not once per subscriber.
    return tuple(fold(text) for text in (item.title, item.summary, *item.details, *item.entities) if text)


@lru_cache(maxsize=4096)
def _brief_fields(brief: Brief) -> tuple[str, ...]:
    return tuple(fold(text) for text in (brief.title, brief.line) if text)


def allows(rules: Rules, item: Item) -> bool:
    """Whether ``rules`` let ``item`` through."""
    return rules.empty or _matcher(rules).allows(_item_fields(item))


def view_for(report: Report, subscription: Subscription) -> Report:
    """``report`` as ``subscription`` receives it: the items and briefs its rules allow, and in
    ``filtered`` how many were left out of the sections it wants (others it never sees)."""
    if subscription.rules.empty:
        return report
    matcher = _matcher(subscription.rules)
    kept = [_filtered(section, matcher.allows) for section in report.sections]
    left_out = sum(
        (len(old.items) - len(new.items)) + (len(old.more) - len(new.more))
        for old, new in zip(report.sections, kept, strict=True)
        if subscription.wants(old.key)
    )
    return dataclasses.replace(report, sections=tuple(kept), filtered=report.filtered + left_out)


def _filtered(section: Section, allows_fields: Callable[[Sequence[str]], bool]) -> Section:
    items = tuple(item for item in section.items if allows_fields(_item_fields(item)))
    more = tuple(brief for brief in section.more if allows_fields(_brief_fields(brief)))
    return dataclasses.replace(section, items=items, more=more)
