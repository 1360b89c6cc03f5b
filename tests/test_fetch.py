"""Fetching against a real HTTP server on loopback: conditional GET, limits, and every failure as one line."""

from __future__ import annotations

import asyncio
import gzip
import socket
import tracemalloc
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpcore
import pytest
from fakes.feed_server import LOOPBACK, FeedServer

from core.models import FetchResult, SourceConfig, SourceState
from core.sources import fetch as fetch_module
from core.sources.addresses import AddressPolicy, GuardedBackend
from core.sources.fetch import fetch_all, make_client
from core.sources.parse import parse_result

UA = "AIDaily-test/1 (+https://example.org/aidaily)"
RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    b"<item><title>One story about models</title><link>https://example.org/1</link></item>"
    b"</channel></rss>"
)
FEED_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
LAST_MODIFIED = "Mon, 08 Dec 2025 00:00:00 GMT"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


def fetch(
    urls: Sequence[str],
    states: Mapping[str, SourceState] | None = None,
    *,
    timeout: float = 5.0,
    allow_private: Sequence[str] = LOOPBACK,
    **options: Any,
) -> list[FetchResult]:
    sources = [SourceConfig(f"feed {i}", url) for i, url in enumerate(urls)]

    async def run() -> list[FetchResult]:
        async with make_client(UA, timeout, allow_private=allow_private) as client:
            return await fetch_all(sources, states or {}, client=client, **options)

    return asyncio.run(run())


def fetch_one(url: str, state: SourceState | None = None, **options: Any) -> FetchResult:
    return fetch([url], {"feed 0": state} if state else None, **options)[0]


def test_a_fetch_records_the_http_facts(server: FeedServer) -> None:
    url = server.route("/feed.xml", RSS, headers=FEED_HEADERS, etag='"v1"', last_modified=LAST_MODIFIED)
    before = datetime.now(UTC)
    result = fetch_one(url)
    assert result.ok and result.status == 200 and result.content == RSS
    assert (result.etag, result.last_modified) == ('"v1"', LAST_MODIFIED)
    assert result.final_url == url
    assert result.headers["content-type"] == FEED_HEADERS["Content-Type"]
    assert result.fetched_at.tzinfo is UTC and before <= result.fetched_at <= datetime.now(UTC)
    assert 0 < result.elapsed < 5


def test_a_real_user_agent_is_sent(server: FeedServer) -> None:
    fetch_one(server.route("/feed.xml", RSS))
    headers = server.requests_to("/feed.xml")[0].headers
    assert headers["user-agent"] == UA
    assert "application/rss+xml" in headers["accept"]


def test_the_second_fetch_is_conditional_and_a_304_adds_nothing(server: FeedServer) -> None:
    url = server.route("/feed.xml", RSS, headers=FEED_HEADERS, etag='"v1"', last_modified=LAST_MODIFIED)
    first = fetch_one(url)
    assert len(parse_result(first).articles) == 1
    second = fetch_one(url, SourceState(first.etag, first.last_modified))
    sent = server.requests_to("/feed.xml")[1].headers
    assert (sent["if-none-match"], sent["if-modified-since"]) == ('"v1"', LAST_MODIFIED)
    assert second.not_modified and second.ok and second.content is None
    assert (second.etag, second.last_modified) == ('"v1"', LAST_MODIFIED)  # kept for the next fetch
    parsed = parse_result(second)
    assert parsed.articles == () and parsed.error is None


def test_last_modified_alone_gives_a_304(server: FeedServer) -> None:
    url = server.route("/feed.xml", RSS, last_modified=LAST_MODIFIED)
    result = fetch_one(url, SourceState(last_modified=LAST_MODIFIED))
    assert server.requests_to("/feed.xml")[0].headers["if-modified-since"] == LAST_MODIFIED
    assert "if-none-match" not in server.requests_to("/feed.xml")[0].headers
    assert result.status == 304 and result.content is None


def test_a_changed_feed_answers_in_full_with_its_new_validators(server: FeedServer) -> None:
    url = server.route("/feed.xml", RSS, etag='"v2"')
    result = fetch_one(url, SourceState(etag='"v1"'))
    assert result.status == 200 and result.content == RSS and result.etag == '"v2"'


def test_a_first_fetch_sends_no_validators(server: FeedServer) -> None:
    fetch_one(server.route("/feed.xml", RSS, etag='"v1"'))
    headers = server.requests_to("/feed.xml")[0].headers
    assert "if-none-match" not in headers and "if-modified-since" not in headers


def test_a_slow_server_times_out_as_one_line(server: FeedServer) -> None:
    url = server.route("/slow.xml", RSS, delay=5)
    result = fetch_one(url, timeout=0.3)
    assert result.error == "timed out after 0.3s"
    assert result.content is None and result.elapsed < 3


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error"), (410, "HTTP 410 Gone")],
)
def test_http_errors_are_one_line(server: FeedServer, status: int, error: str) -> None:
    result = fetch_one(server.route("/feed.xml", b"oops", status=status))
    assert (result.status, result.error, result.content) == (status, error, None)


def test_an_unknown_path_is_a_404(server: FeedServer) -> None:
    assert fetch_one(server.url("/nothing-here.xml")).error == "HTTP 404 Not Found"


HTTP_DATE = "Wed, 10 Dec 2025 07:28:00 GMT"


@pytest.mark.parametrize(
    ("status", "retry_after", "error"),
    [
        (429, "120", "HTTP 429 Too Many Requests, retry after 120s"),
        (503, HTTP_DATE, f"HTTP 503 Service Unavailable, retry after {HTTP_DATE}"),
    ],
)
def test_retry_after_is_reported_not_slept_on(
    server: FeedServer, status: int, retry_after: str, error: str
) -> None:
    url = server.route("/feed.xml", status=status, headers={"Retry-After": retry_after})
    result = fetch_one(url)
    assert result.error == error and result.elapsed < 2


def test_an_error_keeps_the_old_validators(server: FeedServer) -> None:
    result = fetch_one(server.route("/feed.xml", status=500), SourceState('"v1"', LAST_MODIFIED))
    assert (result.etag, result.last_modified) == ('"v1"', LAST_MODIFIED)


def test_a_refused_connection_is_one_line() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = fetch_one(f"http://127.0.0.1:{port}/feed.xml")
    assert result.error is not None and result.error.startswith("connection failed")
    assert "\n" not in result.error


@pytest.mark.parametrize("url", ["ftp://example.org/feed.xml", "file:///etc/passwd", "feed.xml", ""])
def test_non_http_urls_are_refused_without_a_request(url: str) -> None:
    result = fetch_one(url)
    assert result.error is not None and "only http and https" in result.error
    assert result.content is None and result.status is None


def test_a_malformed_url_is_one_line() -> None:
    result = fetch_one("http://[::1/feed.xml")
    assert result.error is not None and result.error.startswith("invalid URL 'http://[::1/feed.xml'")


def test_a_feed_that_never_finishes_hits_the_overall_deadline(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each wait stays under the read timeout; only the overall deadline (here half of it) ends it.
    monkeypatch.setattr(fetch_module, "_DEADLINE_FACTOR", 0.5)
    result = fetch_one(server.route("/slow.xml", RSS, delay=0.8), timeout=1.0)
    assert result.error == "timed out after 0.5s in total" and result.elapsed < 0.8


def test_a_20_mb_body_is_rejected_without_being_read_whole(server: FeedServer) -> None:
    url = server.route("/huge.xml", stream_bytes=20_000_000)
    tracemalloc.start()
    try:
        result = fetch_one(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error == "body larger than 10 MB" and result.content is None
    assert peak < 16_000_000  # at most the 10 MB allowed, never the 20 MB sent


def test_a_small_limit_stops_reading_early(server: FeedServer) -> None:
    url = server.route("/huge.xml", stream_bytes=20_000_000)
    tracemalloc.start()
    try:
        result = fetch_one(url, max_bytes=100_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error == "body larger than 0.1 MB"
    assert peak < 3_000_000


def test_a_declared_length_over_the_limit_is_rejected_before_reading(server: FeedServer) -> None:
    result = fetch_one(server.route("/big.xml", b"x" * 50_000), max_bytes=10_000)
    assert result.error == "body larger than 0.01 MB"


def test_the_limit_applies_to_the_decompressed_body(server: FeedServer) -> None:
    bomb = gzip.compress(b" " * 2_000_000)
    url = server.route("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 10_000
    assert fetch_one(url, max_bytes=1_000_000).error == "body larger than 1 MB"


def test_gzip_bodies_are_decompressed(server: FeedServer) -> None:
    url = server.route("/feed.xml", gzip.compress(RSS), headers={"Content-Encoding": "gzip"})
    assert fetch_one(url).content == RSS


def test_redirects_are_followed_and_the_final_url_recorded(server: FeedServer) -> None:
    final = server.route("/new.xml", RSS)
    old = server.route("/old.xml", status=301, headers={"Location": "/new.xml"})
    result = fetch_one(old)
    assert result.ok and result.content == RSS and result.final_url == final


def test_results_come_in_the_order_of_the_sources(server: FeedServer) -> None:
    urls = [server.route(f"/f{i}.xml", RSS, delay=0.02 * (5 - i)) for i in range(5)]
    urls.insert(2, server.url("/missing.xml"))
    seen: list[FetchResult] = []
    results = fetch(urls, on_result=seen.append)
    assert [r.source.url for r in results] == urls
    assert [r.ok for r in results] == [True, True, False, True, True, True]
    assert sorted(r.source.name for r in seen) == sorted(r.source.name for r in results)


def test_at_most_two_requests_at_once_per_host(server: FeedServer) -> None:
    urls = [server.route(f"/f{i}.xml", RSS, delay=0.05) for i in range(6)]
    assert all(r.ok for r in fetch(urls, concurrency=8))
    assert server.max_in_flight == 2


def test_the_global_concurrency_cap_binds_below_the_per_host_one(server: FeedServer) -> None:
    urls = [server.route(f"/f{i}.xml", RSS, delay=0.05) for i in range(4)]
    results = fetch(urls, concurrency=1)
    assert all(r.ok for r in results) and server.max_in_flight == 1


def test_one_failing_feed_does_not_stop_the_others(server: FeedServer) -> None:
    bad, slow = server.route("/bad.xml", status=500), server.route("/slow.xml", delay=5)
    results = fetch(["ftp://nope", bad, slow, server.route("/good.xml", RSS)], timeout=0.3)
    assert [bool(r.error) for r in results] == [True, True, True, False]


def test_fetched_at_is_the_start_of_the_fetch(server: FeedServer) -> None:
    url = server.route("/feed.xml", RSS, delay=0.2)
    before = datetime.now(UTC)
    result = fetch_one(url)
    assert result.fetched_at - before < timedelta(seconds=0.2) and result.elapsed >= 0.2


# --- Internal addresses: refused unless allowed --------------------------------------------


def test_a_loopback_feed_is_refused_without_an_allow_list(server: FeedServer) -> None:
    url = server.route("/feed.xml", RSS)
    result = fetch_one(url, allow_private=())
    assert result.error is not None and result.content is None and result.status is None
    assert result.error.startswith("refused: 127.0.0.1 is a loopback address")
    assert "AIDAILY_FETCH_ALLOW_PRIVATE" in result.error
    assert server.requests_to("/feed.xml") == []


def test_names_are_resolved_before_the_check(server: FeedServer) -> None:
    url = server.route("/feed.xml", RSS).replace("127.0.0.1", "localhost")
    result = fetch_one(url, allow_private=())
    assert result.error is not None and result.error.startswith("refused: localhost resolves to ")
    assert server.requests_to("/feed.xml") == []


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),  # cloud metadata
        ("http://10.20.30.40/feed.xml", "a private address"),
        ("http://192.168.1.1/feed.xml", "a private address"),
        ("http://[::1]:8080/feed.xml", "a loopback address"),
        ("http://[::ffff:127.0.0.1]/feed.xml", "a loopback address"),
        ("http://0.0.0.0:8080/feed.xml", "address"),
        ("http://100.100.100.200/latest/meta-data/", "not a public address"),  # shared (CGNAT) space
    ],
)
def test_internal_addresses_are_refused_before_connecting(url: str, kind: str) -> None:
    result = fetch_one(url, allow_private=(), timeout=1.0)  # refused at once: nothing to wait for
    assert result.error is not None and result.error.startswith("refused: ") and kind in result.error
    assert result.elapsed < 0.5


def test_a_redirect_to_loopback_is_refused(server: FeedServer) -> None:
    internal = server.route("/internal/admin", b"secret")
    # The feed is reached by a name the allow-list names; its redirect goes to an address it does not.
    feed = server.route("/feed.xml", status=302, headers={"Location": internal}).replace(
        "127.0.0.1", "localhost"
    )
    result = fetch_one(feed, allow_private=("localhost",))
    assert result.error is not None and result.content is None
    assert result.error.startswith("redirect refused: 127.0.0.1 is a loopback address")
    assert len(server.requests_to("/feed.xml")) == 1 and server.requests_to("/internal/admin") == []


def test_an_allowed_network_may_be_reached_through_a_redirect(server: FeedServer) -> None:
    final = server.route("/new.xml", RSS)
    old = server.route("/old.xml", status=302, headers={"Location": final}).replace("127.0.0.1", "localhost")
    result = fetch_one(old, allow_private=("localhost", "127.0.0.0/8"))
    assert result.ok and result.content == RSS and result.final_url == final


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "not a host", "http://example.org", "-bad-.example"])
def test_bad_allow_list_entries_are_named(entry: str) -> None:
    with pytest.raises(ValueError, match="neither a host name nor an IP address or network"):
        make_client(UA, 1.0, allow_private=[entry])


def test_the_connection_goes_to_the_checked_address_not_the_name_again() -> None:
    # A name could resolve to a public address for the check and to an internal one a moment
    # later; the backend hands httpcore's own only addresses it has checked.
    class Recording(httpcore.AsyncNetworkBackend):
        def __init__(self) -> None:
            self.hosts: list[str] = []

        async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
            self.hosts.append(host)
            raise httpcore.ConnectError("recorded")

    inner = Recording()
    backend = GuardedBackend(inner, AddressPolicy.of(["localhost"]))
    with pytest.raises(httpcore.ConnectError):
        asyncio.run(backend.connect_tcp("localhost", 9))
    assert inner.hosts and set(inner.hosts) <= {"127.0.0.1", "::1"}
