"""Parse fetched feed bytes into ``Article`` values: feedparser, then ``normalize_entry``.

feedparser always gets bytes (wrapped in a stream: a ``str`` or even ``bytes`` argument may be
taken for a URL or a file name) with the response headers of the fetch. Those bytes are decoded
here first (``core.sources.charset``: the declared charset where it fits, detection where it does
not) and handed over as UTF-8, since feedparser's own fallback for bytes its charset cannot read
is silent mojibake. Relative links resolve against the URL the feed was really served from
(``final_url``).
feedparser's own HTML sanitizer is switched off: ``normalize`` strips every tag with nh3 anyway,
and feedparser's sanitizer both costs a third of the parse time and eats the "$k<n$" of arXiv
abstracts.

A failure stays with its feed: ``ParsedFeed.error`` says what went wrong in one line, and
``ParsedFeed.warning`` what was repaired in a feed that still parsed (bytes its charset could not
decode).
"""

from __future__ import annotations

import io
import multiprocessing
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import feedparser

from core.models import Article, FetchResult
from core.sources.charset import decode_feed
from core.sources.normalize import normalize_entry

# Below this much feed data, starting worker processes costs more than it saves.
_POOL_MIN_BYTES = 4_000_000


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What one feed yielded: its articles, how many entries it had, and why it failed, if it did."""

    articles: tuple[Article, ...]
    entries: int
    error: str | None = None
    warning: str | None = None


def parse_result(result: FetchResult) -> ParsedFeed:
    """Articles of one fetch; no content (an error or a 304) gives an empty ``ParsedFeed``."""
    if result.content is None:
        return ParsedFeed((), 0)
    if not result.content.strip():
        return ParsedFeed((), 0, "empty response body")
    headers = {name.lower(): value for name, value in result.headers.items()}
    decoded = decode_feed(result.content, headers.get("content-type", ""))
    try:
        parsed = feedparser.parse(
            io.BytesIO(decoded.utf8),
            response_headers=_response_headers(headers, decoded.utf8, result.final_url),
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser is lenient, but one odd feed must not stop the others
        return ParsedFeed((), 0, f"could not parse feed: {type(exc).__name__}: {_one_line(exc)}")
    if not parsed.entries and (parsed.bozo or not parsed.version):
        return ParsedFeed((), 0, _describe_failure(parsed, decoded.utf8))
    return ParsedFeed(_articles(parsed, result), len(parsed.entries), warning=decoded.note)


def _response_headers(headers: dict[str, str], utf8: bytes, final_url: str | None) -> dict[str, str]:
    headers = headers | {"content-type": _with_utf8(headers.get("content-type", ""))}
    headers.pop("content-location", None)
    # With a document URL feedparser re-joins its base URL at every element, a quarter of the
    # parse time; normalize resolves links against the final URL itself. Only a nested relative
    # xml:base needs feedparser's own resolution, so only then is it told the URL.
    if final_url and b"xml:base" in utf8:
        headers["content-location"] = final_url
    return headers


def _with_utf8(content_type: str) -> str:
    media_type = content_type.split(";", 1)[0].strip() or "application/xml"
    return f"{media_type}; charset=utf-8"


def _articles(parsed: Any, result: FetchResult) -> tuple[Article, ...]:
    base = result.final_url or result.source.url
    articles = []
    for entry in _unique_guids(parsed.entries):
        article = normalize_entry(entry, result.source, result.fetched_at, base)
        if article is not None:
            articles.append(article)
    return tuple(articles)


def _unique_guids(entries: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    seen: set[str] = set()
    for entry in entries:
        guid = entry.get("id")
        if guid:
            if guid in seen:
                continue  # a feed repeating an entry: the first copy is the one it meant
            seen.add(guid)
        yield entry


def _describe_failure(parsed: Any, content: bytes) -> str:
    exc = parsed.get("bozo_exception")
    if exc is None:
        return "not a feed: no RSS or Atom entries found"
    if hasattr(exc, "getLineNumber"):
        return f"malformed XML: {exc.getMessage()} at line {_source_line(exc.getLineNumber(), content)}"
    if type(exc).__name__ == "NonXMLContentType":
        return f"not a feed: {_one_line(exc)}"
    return f"malformed feed: {_one_line(exc)}"


def _source_line(line: int, content: bytes) -> int:
    # feedparser puts its own XML declaration on a line of its own before documents without one.
    has_declaration = content.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml")
    return line if has_declaration else max(1, line - 1)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


def parse_all(results: Sequence[FetchResult], workers: int = 1) -> list[ParsedFeed]:
    """``parse_result`` of each result, in order; ``workers`` > 1 parses in that many processes.

    feedparser is pure Python and CPU bound, so threads would not help. Small batches stay in
    this process, and if worker processes cannot be started the batch is parsed here.
    """
    if workers > 1 and sum(len(r.content or b"") for r in results) >= _POOL_MIN_BYTES:
        try:
            return _parse_in_pool(results, workers)
        except (BrokenProcessPool, OSError):
            pass
    return [parse_result(result) for result in results]


def _parse_in_pool(results: Sequence[FetchResult], workers: int) -> list[ParsedFeed]:
    # Not "fork": the caller may run threads (an event loop, a scheduler), and forking a
    # threaded process can deadlock the child.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    chunksize = max(1, len(results) // (workers * 4))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(parse_result, results, chunksize=chunksize))
