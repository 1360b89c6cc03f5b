"""Conditional GET for the archive: strong ETags from content hashes, 304 on If-None-Match.

A feed reader or a Hugo mirror polling ``/reports/feed.xml`` or a report page every few minutes
gets an empty 304 while nothing changed. Reports can be rebuilt on their own day, so pages are
cacheable for a short while (``max-age``) and revalidated after that, never ``immutable``.
"""

from __future__ import annotations

import hashlib

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


def is_fresh(request: Request, etag: str) -> bool:
    """Whether the client's If-None-Match names ``etag`` (weak comparison, as RFC 9110 says for GET)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def not_modified(etag: str, max_age: int = MAX_AGE) -> Response:
    return Response(status_code=304, headers=caching_headers(etag, max_age))


def caching_headers(etag: str, max_age: int = MAX_AGE) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
