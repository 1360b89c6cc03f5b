"""A local feed server, so ``aidaily demo`` runs the real fetch path with no network.

The files under ``feeds/`` are feed templates: real RSS 2.0 and Atom documents whose dates are
placeholders, filled in relative to one moment (``now``) when the server starts::

    {{rfc822:-3h15m}}         RFC 822 date, 3 h 15 min before now, "+0000" (RSS pubDate)
    {{rfc822:-5h@-0500}}      the same instant written in another offset; "@GMT" writes "GMT"
    {{iso:-2d4h}}             RFC 3339 date (Atom updated/published), "Z" for UTC

Offsets are days (``d``), hours (``h``) and minutes (``m``) before ``now``, in that order, at
least one of them. ``sources.toml`` lists the demo sources; ``DemoFeedServer.sources()`` turns
it into ``SourceConfig`` values whose URLs point at the running server::

    with DemoFeedServer() as server:
        results = fetch_all(server.sources())

Every feed is rendered once, so its ETag and Last-Modified stay fixed for the server's life
and conditional GETs (If-None-Match, If-Modified-Since) answer 304 as a real feed host would.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from core.models import SourceConfig, SourceKind

DEMO_DIR = Path(__file__).resolve().parent
FEEDS_DIR = DEMO_DIR / "feeds"
SOURCES_FILE = DEMO_DIR / "sources.toml"
FEEDS_PREFIX = "/feeds/"

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"

_PLACEHOLDER = re.compile(
    r"\{\{(?P<kind>rfc822|iso):-(?=\d)(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?"
    r"(?:@(?P<zone>GMT|[+-]\d{4}))?\}\}"
)
_LEFTOVER = re.compile(r"\{\{\s*(?:rfc822|iso)\b[^}]*\}\}")
_ATOM_ROOT = re.compile(r"<feed[\s>]")


def render_template(text: str, now: datetime) -> str:
    """Replace every date placeholder in ``text`` with a date relative to ``now`` (aware).

    Raises ValueError on a naive ``now`` or on a placeholder that does not follow the syntax.
    """
    now = _as_utc(now)
    rendered = _PLACEHOLDER.sub(lambda m: _format(m, now), text)
    leftover = _LEFTOVER.search(rendered)
    if leftover:
        raise ValueError(f"malformed date placeholder {leftover.group(0)!r}")
    return rendered


def demo_sources(base_url: str, sources_file: Path = SOURCES_FILE) -> tuple[SourceConfig, ...]:
    """The ``[[sources]]`` of ``sources_file``, with URLs under ``base_url``/feeds/."""
    tables = tomllib.loads(sources_file.read_text(encoding="utf-8"))["sources"]
    return tuple(
        SourceConfig(
            name=t["name"],
            url=f"{base_url.rstrip('/')}{FEEDS_PREFIX}{t['path']}",
            language=t.get("language", "en"),
            kind=SourceKind(t.get("kind", "news")),
            weight=float(t.get("weight", 1.0)),
        )
        for t in tables
    )


class StaticServer:
    """Serves fixed documents (``{path: ServedFeed}``) on loopback, with real conditional GET.

    The demo serves rendered templates through it; the benchmarks serve synthetic feeds.
    """

    def __init__(self, feeds: Mapping[str, ServedFeed], *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._feeds = dict(feeds)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        if self._server is None:
            self._server = _Server(self._address, self._feeds)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"aidaily-feeds:{self._server.server_address[1]}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


class DemoFeedServer(StaticServer):
    """Serves the rendered templates at ``http://127.0.0.1:<port>/feeds/<file>``."""

    def __init__(
        self,
        now: datetime | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        feeds_dir: Path = FEEDS_DIR,
        sources_file: Path = SOURCES_FILE,
    ) -> None:
        self.now = _as_utc(now if now is not None else datetime.now(UTC))
        self._sources_file = sources_file
        super().__init__(_load_feeds(feeds_dir, self.now), host=host, port=port)

    @property
    def feed_files(self) -> tuple[str, ...]:
        """File names of the served feeds, sorted."""
        return tuple(path.removeprefix(FEEDS_PREFIX) for path in self._feeds)

    def url_for(self, file_name: str) -> str:
        return self.url(f"{FEEDS_PREFIX}{file_name}")

    def sources(self) -> tuple[SourceConfig, ...]:
        """The demo sources from sources.toml, pointing at this server."""
        sources = demo_sources(self.base_url, self._sources_file)
        missing = [s.url for s in sources if urlsplit(s.url).path not in self._feeds]
        if missing:
            raise ValueError(f"{self._sources_file} names feeds that do not exist: {missing}")
        return sources


@dataclass(frozen=True, slots=True)
class ServedFeed:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime

    @classmethod
    def of(
        cls, body: bytes, content_type: str = RSS_TYPE, last_modified: datetime | None = None
    ) -> ServedFeed:
        stamp = _as_utc(last_modified or datetime.now(UTC))
        return cls(body, content_type, f'"{hashlib.sha256(body).hexdigest()[:32]}"', stamp)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def _moment(match: re.Match[str], now: datetime) -> datetime:
    days, hours, minutes = (int(match.group(k) or 0) for k in ("d", "h", "m"))
    return now - timedelta(days=days, hours=hours, minutes=minutes)


def _format(match: re.Match[str], now: datetime) -> str:
    moment, zone = _moment(match, now), match.group("zone")
    if match.group("kind") == "rfc822":
        if zone == "GMT":
            return format_datetime(moment, usegmt=True)
        return format_datetime(moment.astimezone(_offset(zone)))
    stamp = moment.astimezone(_offset(zone)).isoformat(timespec="seconds")
    return stamp.removesuffix("+00:00") + "Z" if stamp.endswith("+00:00") else stamp


def _offset(zone: str | None) -> timezone:
    if zone is None or zone == "GMT":
        return UTC
    sign = -1 if zone[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])))


def _load_feeds(feeds_dir: Path, now: datetime) -> dict[str, ServedFeed]:
    feeds = {}
    for path in sorted(feeds_dir.glob("*.xml")):
        text = path.read_text(encoding="utf-8")
        body = render_template(text, now).encode("utf-8")
        newest = max((_moment(m, now) for m in _PLACEHOLDER.finditer(text)), default=now)
        content_type = ATOM_TYPE if _ATOM_ROOT.search(text) else RSS_TYPE
        feeds[FEEDS_PREFIX + path.name] = ServedFeed.of(body, content_type, newest)
    return feeds


def _not_modified(headers: Message, feed: ServedFeed) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or feed.etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return feed.last_modified <= since


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 makes concurrent fetchers wait for SYN retries

    def __init__(self, address: tuple[str, int], feeds: Mapping[str, ServedFeed]) -> None:
        self.feeds = feeds
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that hung up is not worth a traceback
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server_version = "AIDailyDemoFeeds/1.0"

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no request log on stderr."""

    def _serve(self, send_body: bool) -> None:
        feed = self.server.feeds.get(urlsplit(self.path).path)
        if feed is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", send_body)
            return
        if _not_modified(self.headers, feed):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._validators(feed)
            self.end_headers()
            return
        self._send(HTTPStatus.OK, feed.body, feed.content_type, send_body, feed)

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        send_body: bool,
        feed: ServedFeed | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if feed is not None:
            self._validators(feed)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _validators(self, feed: ServedFeed) -> None:
        self.send_header("ETag", feed.etag)
        self.send_header("Last-Modified", format_datetime(feed.last_modified, usegmt=True))
        self.send_header("Cache-Control", "max-age=300")
