"""A real HTTP server on 127.0.0.1 (port 0) serving canned feed routes, for tests.

Use it as a context manager; everything a test needs is on the object. (pytest puts ``tests/`` on
``sys.path``, as there is no ``tests/__init__.py``, so the import is ``fakes.feed_server``.)::

    from fakes.feed_server import FeedServer

    with FeedServer() as server:
        server.route("/feed.xml", body=rss_bytes, headers={"Content-Type": "application/rss+xml"})
        server.route("/slow.xml", body=rss_bytes, delay=2.0)          # waits before answering
        server.route("/cached.xml", body=rss_bytes, etag='"v1"',       # real conditional GET:
                     last_modified="Mon, 08 Dec 2025 00:00:00 GMT")   # 304 when the client matches
        server.route("/huge.xml", stream_bytes=20_000_000)            # generated chunk by chunk
        server.route("/gone.xml", status=404)
        url = server.url("/feed.xml")
        ...
        server.requests_to("/cached.xml")[-1].headers["if-none-match"]  # request headers, lowercased
        server.max_in_flight                          # most requests held at once (until answered)

As a pytest fixture::

    @pytest.fixture
    def server() -> Iterator[FeedServer]:
        with FeedServer() as running:
            yield running

The fakes serve on loopback, which feed clients refuse to reach unless told otherwise, so a test
fetching from one makes its client with ``make_client(..., allow_private=LOOPBACK)`` (or sets
``AIDAILY_FETCH_ALLOW_PRIVATE`` for a subprocess).

Unknown paths answer 404. ``route`` again with the same path replaces the route (a feed that
changed). A streamed body is sent with chunked transfer encoding and no Content-Length, so a
client can only find out its size by reading it; it is never held in memory here either.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from fakes.loopback import LoopbackServer

_CHUNK = 64 * 1024
#: The allow-list entries a feed client needs to fetch from these fakes (and the demo's server).
LOOPBACK = ("127.0.0.1",)


@dataclass(frozen=True, slots=True)
class Route:
    body: bytes = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    stream_bytes: int = 0


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names lowercased


class FeedServer(LoopbackServer):
    """See the module docstring."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._requests: list[Request] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0
        super().__init__(_Handler, name="feed-server")
        self._http.feeds = self  # type: ignore[attr-defined]

    @property
    def base_url(self) -> str:
        return self.origin

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(
        self,
        path: str,
        body: bytes = b"",
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        etag: str | None = None,
        last_modified: str | None = None,
        stream_bytes: int = 0,
    ) -> str:
        """Serve ``path``; returns its full URL."""
        route = Route(body, status, dict(headers or {}), delay, etag, last_modified, stream_bytes)
        with self._lock:
            self._routes[path] = route
        return self.url(path)

    @property
    def requests(self) -> list[Request]:
        """Every request received so far, in order of arrival."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def _arrived(self, request: Request) -> Route | None:
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return self._routes.get(request.path)

    def _finished(self) -> None:
        with self._lock:
            self._in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FeedServer/1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        feeds: FeedServer = self.server.feeds  # type: ignore[attr-defined]
        headers = {name.lower(): value for name, value in self.headers.items()}
        route = feeds._arrived(Request(self.command, self.path, headers))
        try:
            closing = route is not None and route.delay > 0 and feeds.closing.wait(route.delay)
        finally:
            # Counted as finished before answering: once the client has its answer it may send the
            # next request, which must not find this one still counted.
            feeds._finished()
        if closing:
            self.close_connection = True
            return
        try:
            self._answer(route or Route(b"Not Found", status=404), headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a size limit, a timeout)

    def _answer(self, route: Route, request_headers: dict[str, str]) -> None:
        if _not_modified(route, request_headers):
            self.send_response(304)
            self._validators(route)
            self.end_headers()
            return
        self.send_response(route.status)
        self._validators(route)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if route.stream_bytes:
            self._stream(route.stream_bytes)
            return
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        self.wfile.write(route.body)

    def _validators(self, route: Route) -> None:
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)

    def _stream(self, size: int) -> None:
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in _filler(size):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True


def _not_modified(route: Route, request_headers: dict[str, str]) -> bool:
    if route.status != 200:
        return False
    if "if-none-match" in request_headers:  # RFC 9110: If-None-Match takes precedence
        tags = {tag.strip() for tag in request_headers["if-none-match"].split(",")}
        return route.etag is not None and (route.etag in tags or "*" in tags)
    since = request_headers.get("if-modified-since")
    return route.last_modified is not None and since == route.last_modified


def _filler(size: int) -> Iterator[bytes]:
    """``size`` bytes of a feed that never ends, produced one chunk at a time."""
    head = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>huge</title>'
    item = b"<item><title>filler</title><link>https://example.org/filler</link></item>"
    block = (head + item * (_CHUNK // len(item)))[:_CHUNK]
    body = item * (_CHUNK // len(item) + 1)
    sent = 0
    while sent < size:
        chunk = (block if sent == 0 else body)[: size - sent]
        yield chunk
        sent += len(chunk)
