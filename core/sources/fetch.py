"""Fetch feeds over HTTP: bytes and HTTP facts in, ``FetchResult`` out; parsing happens elsewhere.

Polite and bounded: a descriptive User-Agent, conditional GET (ETag / Last-Modified, so an
unchanged feed costs one 304), a cap on feeds fetched at once and at most two at once per host
(rss.arxiv.org serves several of our feeds), bodies streamed and abandoned past a size limit, and
an overall deadline per feed. Every failure (timeout, refused connection, HTTP error, oversized
body, non-http URL) becomes ``FetchResult.error``, one human-readable line; ``fetch_all`` never
raises for a feed. ``Retry-After`` is reported in the error, never slept on: a build does not wait.

Feeds reach only public addresses: every connection, to a feed's URL and to each redirect a feed
server answers with, goes through ``core.sources.addresses``, which refuses loopback, private and
link-local addresses unless ``allow_private`` lists them. Proxies from the environment are not
used: through one, the check could not see where the connection goes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from core.models import FetchResult, SourceConfig, SourceState
from core.sources.addresses import AddressPolicy, GuardedBackend, Refused

_PER_HOST = 2
_CONNECT_TIMEOUT = 5.0
# The read timeout bounds each wait for bytes; a server dripping a byte at a time would never
# trip it, so each feed also gets an overall deadline of this many read timeouts.
_DEADLINE_FACTOR = 3
_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
# Headers worth keeping: parse needs the content type (charset) and language; the rest explain.
_KEPT_HEADERS = ("content-type", "content-language", "etag", "last-modified", "date", "retry-after")


def make_client(user_agent: str, timeout: float, *, allow_private: Iterable[str] = ()) -> httpx.AsyncClient:
    """An HTTP client for feeds: our User-Agent, a short connect timeout, redirects followed, and
    only public addresses reached, besides the hosts and networks (CIDR) of ``allow_private``."""
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16)
    )
    # httpx takes no network backend, the one place every connection is opened (the first request
    # and each redirect alike), so the guard goes into its connection pool; test_fetch fails if an
    # httpx release moves it.
    pool: Any = transport._pool
    pool._network_backend = GuardedBackend(pool._network_backend, AddressPolicy.of(allow_private))
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent, "Accept": _ACCEPT},
        timeout=httpx.Timeout(timeout, connect=min(timeout, _CONNECT_TIMEOUT)),
        follow_redirects=True,
        max_redirects=5,
        transport=transport,
        trust_env=False,  # no proxies from the environment: see the module docstring
    )


async def fetch_all(
    sources: Sequence[SourceConfig],
    states: Mapping[str, SourceState],
    *,
    client: httpx.AsyncClient,
    concurrency: int = 8,
    max_bytes: int = 10_000_000,
    on_result: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch every source (``states`` by source name), results in the order of ``sources``.

    ``on_result`` is called with each result as it completes (for progress display).
    """
    limit = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}

    async def one(source: SourceConfig) -> FetchResult:
        host = hosts.setdefault(_host(source.url), asyncio.Semaphore(_PER_HOST))
        # Host first: a feed waiting for its host must not hold one of the global slots.
        async with host, limit:
            result = await _fetch_one(source, states.get(source.name, SourceState()), client, max_bytes)
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(source) for source in sources)))


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


async def _fetch_one(
    source: SourceConfig, state: SourceState, client: httpx.AsyncClient, max_bytes: int
) -> FetchResult:
    """One conditional GET of ``source.url``; a failure is returned, never raised."""
    fetched_at, began = datetime.now(UTC), time.perf_counter()
    deadline = _read_timeout(client) * _DEADLINE_FACTOR
    try:
        _check_url(source.url)
        async with asyncio.timeout(deadline):
            return await _get(source, state, client, max_bytes, fetched_at, began)
    except Exception as exc:  # one feed's failure stays its own, as one line
        error = _describe(exc, client, deadline, source.url)
    # The old validators stay, so the next fetch is still conditional.
    return FetchResult(
        source=source, fetched_at=fetched_at, etag=state.etag, last_modified=state.last_modified,
        error=error, elapsed=time.perf_counter() - began,
    )  # fmt: skip


async def _get(
    source: SourceConfig,
    state: SourceState,
    client: httpx.AsyncClient,
    max_bytes: int,
    fetched_at: datetime,
    began: float,
) -> FetchResult:
    async with client.stream("GET", source.url, headers=_conditional_headers(state)) as response:
        error = _status_error(response)
        unchanged = response.status_code == 304
        content = None if error or unchanged else await _read_capped(response, max_bytes)
    old = state if error or unchanged else SourceState()  # a 304 need not repeat its validators
    return FetchResult(
        source=source, fetched_at=fetched_at, status=response.status_code, content=content,
        headers=_kept_headers(response.headers), final_url=str(response.url),
        etag=response.headers.get("etag") or old.etag,
        last_modified=response.headers.get("last-modified") or old.last_modified,
        error=error, elapsed=time.perf_counter() - began,
    )  # fmt: skip


class _BadURL(Exception):
    pass


def _check_url(url: str) -> None:
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise _BadURL(f"invalid URL {url!r}: {_one_line(exc)}") from None
    if scheme not in ("http", "https"):
        raise _BadURL(f"unsupported URL {url!r}: only http and https feeds can be fetched")


def _conditional_headers(state: SourceState) -> dict[str, str]:
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _status_error(response: httpx.Response) -> str | None:
    status = response.status_code
    if status < 400:
        return None if status < 300 or status == 304 else f"HTTP {status} redirect not followed"
    error = f"HTTP {status} {response.reason_phrase}".rstrip()
    retry_after = response.headers.get("retry-after", "").strip()
    if status in (429, 503) and retry_after:
        error += f", retry after {retry_after}{'s' if retry_after.isdigit() else ''}"
    return error


class _TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The (decompressed) body, read in chunks and abandoned as soon as it passes ``max_bytes``."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _TooLarge(max_bytes)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise _TooLarge(max_bytes)
    return bytes(body)


def _kept_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers[name] for name in _KEPT_HEADERS if name in headers}


def _describe(exc: Exception, client: httpx.AsyncClient, deadline: float, url: str) -> str:
    if isinstance(exc, _BadURL):
        return str(exc)
    if isinstance(exc, Refused):
        what = "redirect refused" if exc.host != _host(url) else "refused"
        return f"{what}: {exc}; private feeds must be allowed explicitly (AIDAILY_FETCH_ALLOW_PRIVATE)"
    if isinstance(exc, TimeoutError):
        return f"timed out after {deadline:g}s in total"
    if isinstance(exc, _TooLarge):
        return f"body larger than {_megabytes(exc.limit)}"
    if isinstance(exc, httpx.HTTPError):
        return _describe_http_error(exc, client)
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _describe_http_error(exc: httpx.HTTPError, client: httpx.AsyncClient) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connection timed out after {client.timeout.connect or 0:g}s"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {_read_timeout(client):g}s"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {_one_line(exc)}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL: {_one_line(exc)}"
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _read_timeout(client: httpx.AsyncClient) -> float:
    return client.timeout.read or 20.0


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__
