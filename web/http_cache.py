"""Conditional GET for the archive and the API: strong ETags, Last-Modified, 304 when unchanged.

A feed reader or a Hugo mirror polling ``/reports/feed.xml`` or a report page every few minutes
gets an empty 304 while nothing changed. Reports can be rebuilt on their own day, so pages are
cacheable for a short while (``max-age``) and revalidated after that, never ``immutable``.
``If-None-Match`` wins over ``If-Modified-Since`` when a client sends both (RFC 9110, 13.2.2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

#: Five minutes: a report rebuilt on its day shows up soon; a busy page costs one query a while.
MAX_AGE = 300


def etag_of(*parts: str | bytes) -> str:
    """A strong ETag (quoted) of the given content."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return f'"{digest.hexdigest()[:32]}"'


def is_fresh(request: Request, etag: str, last_modified: datetime | None = None) -> bool:
    """Whether the client's If-None-Match names ``etag`` (weak comparison, as RFC 9110 says for
    GET), or, without If-None-Match, its If-Modified-Since is no older than ``last_modified``."""
    header = request.headers.get("if-none-match")
    if header:
        tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
        return "*" in tags or etag in tags
    since = _http_date(request.headers.get("if-modified-since", ""))
    return last_modified is not None and since is not None and last_modified.replace(microsecond=0) <= since


def not_modified(etag: str, max_age: int = MAX_AGE, last_modified: datetime | None = None) -> Response:
    return Response(status_code=304, headers=caching_headers(etag, max_age, last_modified))


def caching_headers(
    etag: str, max_age: int = MAX_AGE, last_modified: datetime | None = None
) -> dict[str, str]:
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    return headers


def conditional(
    request: Request, body: bytes, media_type: str, headers: Mapping[str, str], max_age: int = MAX_AGE
) -> Response:
    """``body`` with an ETag of its bytes (and ``headers``), or an empty 304 when the client has it."""
    etag = etag_of(body)
    if is_fresh(request, etag):
        return not_modified(etag, max_age)
    return Response(body, media_type=media_type, headers={**headers, **caching_headers(etag, max_age)})


def _http_date(text: str) -> datetime | None:
    """An HTTP date (IMF-fixdate, or the obsolete forms), aware; None when it is not one."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
