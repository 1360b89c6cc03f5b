"""Parse fetched feed bytes into ``Article`` values: feedparser, then ``normalize_entry``.

feedparser always gets bytes (wrapped in a stream: a ``str`` or even ``bytes`` argument may be
taken for a URL or a file name) with the response headers of the fetch, so the declared charset is
honoured. Relative links resolve against the URL the feed was really served from (``final_url``).
feedparser's own HTML sanitizer is switched off: ``normalize`` strips every tag with nh3 anyway,
and feedparser's sanitizer both costs a third of the parse time and eats the "$k<n$" of arXiv
abstracts.

A failure stays with its feed: ``ParsedFeed.error`` says what went wrong in one line.
"""

from __future__ import annotations

import io
import multiprocessing
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import feedparser

from core.models import Article, FetchResult
from core.sources.normalize import normalize_entry

# Below this much feed data, starting worker processes costs more than it saves.
_POOL_MIN_BYTES = 4_000_000
_SINGLE_BYTE_CHARSETS = frozenset(
    {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "windows-1252", "cp1252", "us-ascii", "ascii"}
)
_XML_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([\w.:-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What one feed yielded: its articles, how many entries it had, and why it failed, if it did."""

    articles: tuple[Article, ...]
    entries: int
    error: str | None = None


def parse_result(result: FetchResult) -> ParsedFeed:
    """Articles of one fetch; no content (an error or a 304) gives an empty ``ParsedFeed``."""
    if result.content is None:
        return ParsedFeed((), 0)
    if not result.content.strip():
        return ParsedFeed((), 0, "empty response body")
    try:
        parsed = feedparser.parse(
            io.BytesIO(result.content),
            response_headers=_response_headers(result),
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser is lenient, but one odd feed must not stop the others
        return ParsedFeed((), 0, f"could not parse feed: {type(exc).__name__}: {_one_line(exc)}")
    if not parsed.entries and (parsed.bozo or not parsed.version):
        return ParsedFeed((), 0, _describe_failure(parsed, result.content))
    return ParsedFeed(_articles(parsed, result), len(parsed.entries))


def _response_headers(result: FetchResult) -> dict[str, str]:
    headers = {name.lower(): value for name, value in result.headers.items()}
    headers.pop("content-location", None)
    # With a document URL feedparser re-joins its base URL at every element, a quarter of the
    # parse time; normalize resolves links against the final URL itself. Only a nested relative
    # xml:base needs feedparser's own resolution, so only then is it told the URL.
    if result.final_url and b"xml:base" in (result.content or b""):
        headers["content-location"] = result.final_url
    if result.content and _utf8_declared_single_byte(result.content, headers.get("content-type", "")):
        headers["content-type"] = _with_utf8(headers.get("content-type", ""))
    return headers


def _utf8_declared_single_byte(content: bytes, content_type: str) -> bool:
    """A feed declared Latin-1 (or ASCII) whose bytes are valid, non-ASCII UTF-8.

    Latin-1 decodes any byte sequence, so feedparser would trust the declaration and produce
    "CafÃ©". Non-ASCII text that is valid UTF-8 is, in practice, never really Latin-1.
    """
    declared = _CHARSET.search(content_type)
    encoding = declared.group(1) if declared else _xml_declared_encoding(content)
    if (encoding or "").lower() not in _SINGLE_BYTE_CHARSETS or content.isascii():
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _xml_declared_encoding(content: bytes) -> str | None:
    found = _XML_ENCODING.match(content[:300])
    return found.group(1).decode("ascii") if found else None


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
