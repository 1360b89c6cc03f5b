"""Searching the archive: the question as a reader typed it -> rows the page and the API show.

The index is the bot's (``bot.search.ItemIndex`` behind ``bot.index_cache.IndexCache``), but the
web package may not import the bot (``lint-imports``: they are siblings), so ``app.web`` hands
it in as a ``Searcher``, a callable returning the index of the items stored now
(``IndexCache.current``: built once, rebuilt when a report is stored). The protocols below are
the little of it that is read here.

A question from a URL is hostile until cleaned: control and format characters (NUL, bidi
overrides, zero-width joiners) are dropped, whitespace is collapsed, and a question longer than
``MAX_QUERY_CHARS`` is refused rather than cut, so what is searched is what the reader sees.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from core.models import SECTION_BY_KEY
from core.store.report_items import ReportedItem
from web.anchors import item_anchor
from web.snippets import Segments, best_snippet, plain

#: Longer questions are refused: the index reads at most 500 characters of one.
MAX_QUERY_CHARS = 500
#: Results a search returns unless asked for another number, and at most.
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
_SPACES = re.compile(r"\s+")


class Hit(Protocol):
    @property
    def found(self) -> ReportedItem: ...

    @property
    def score(self) -> float: ...

    @property
    def coverage(self) -> float: ...


class Result(Protocol):
    @property
    def terms(self) -> tuple[str, ...]: ...

    @property
    def hits(self) -> Sequence[Hit]: ...


class Index(Protocol):
    def search(self, question: str, limit: int = ...) -> Result: ...


Searcher = Callable[[], Index]


class BadQuery(ValueError):
    """A question or parameter that cannot be searched; the message says why, for the reader."""


@dataclass(frozen=True, slots=True)
class Row:
    """One search result as a page or the API shows it."""

    found: ReportedItem
    score: float
    coverage: float
    snippet: Segments

    @property
    def date(self) -> date:
        return self.found.date

    @property
    def section_heading(self) -> str:
        spec = SECTION_BY_KEY.get(self.found.item.section)
        return spec.heading if spec else self.found.item.section

    @property
    def path(self) -> str:
        """The item on its report page: ``/reports/D/#item-…``."""
        return f"/reports/{self.date.isoformat()}/#{item_anchor(self.found.item.title)}"

    @property
    def snippet_text(self) -> str:
        return plain(self.snippet)


@dataclass(frozen=True, slots=True)
class Found:
    query: str
    terms: tuple[str, ...]
    rows: tuple[Row, ...]


def clean_query(raw: str | None) -> str:
    """The question to search: printable characters, single spaces; "" when there is none.

    Raises ``BadQuery`` when it is longer than ``MAX_QUERY_CHARS``."""
    if raw is None:
        return ""
    query = _SPACES.sub(" ", unicodedata.normalize("NFC", printable(raw))).strip()
    if len(query) > MAX_QUERY_CHARS:
        raise BadQuery(f"The search is too long: at most {MAX_QUERY_CHARS} characters, please.")
    return query


def printable(text: str) -> str:
    """``text`` without control, format, surrogate and unassigned characters; whitespace as spaces."""
    return "".join(" " if char.isspace() else char for char in text if _printable(char))


def _printable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] != "C"


def search(searcher: Searcher, query: str, limit: int = DEFAULT_LIMIT) -> Found:
    """The rows for ``query``, best first (blocking: it may build the index)."""
    result = searcher().search(query, limit=limit)
    rows = tuple(
        Row(hit.found, hit.score, hit.coverage, best_snippet(_texts(hit.found), result.terms))
        for hit in result.hits
    )
    return Found(query, tuple(result.terms), rows)


def _texts(found: ReportedItem) -> list[str]:
    """Where a snippet may come from, in the order it is looked for: the summary first, and the
    entities before the title, so an item found by a name it lists shows that name marked."""
    item = found.item
    texts = (item.summary, *item.details, *item.use_cases, " · ".join(item.entities), item.title)
    return [text for text in texts if text.strip()]
