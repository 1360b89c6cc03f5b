"""The archive's JSON API: reports, one report whole, search, and the OpenAPI document.

Routes (``api_routes(store, searcher, limiter, public_url=...)``; built from the route table in
``web.openapi``, so each one is described at ``/api/openapi.json``):

``GET /api/reports?page=&per_page=``  reports newest first, without items; ``Link`` header and
                                      ``next``/``prev`` fields for the neighbouring pages
``GET /api/reports/YYYY-MM-DD``       the stored report, as ``aidaily show --format json``
``GET /api/search?q=&limit=``         items matching ``q`` with their scores (the bot's index)
``GET /api/openapi.json``             the OpenAPI 3.1 document

Every answer is JSON; errors are RFC 9457 problem details (``application/problem+json``): 400
for a malformed or out-of-range parameter (a date that is not YYYY-MM-DD, ``per_page=0``), 404
for an unknown date, a page past the end or any other path under ``/api/``, 429 with
Retry-After when the client's limit (shared with ``/search``) is used up. Answers carry a strong
ETag and answer 304 to ``If-None-Match``; a report's ETag and Last-Modified come from the time
it was stored, so revalidating one costs one small query and no report is read. Links in the
answers are absolute, from ``public_url`` (or, when that is empty, the request's base URL).
Anyone may read the API from a page of another origin (``Access-Control-Allow-Origin: *``): it
is public, read-only and uses no cookies.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from core.store import Store
from core.store.archive import ReportSummary
from web import openapi
from web.http_cache import MAX_AGE, caching_headers, conditional, etag_of, is_fresh, not_modified
from web.ratelimit import SlidingWindowLimiter, limited
from web.search_results import DEFAULT_LIMIT, MAX_LIMIT, BadQuery, Found, Searcher, clean_query, search

#: Part of every report's ETag: bump it when the JSON of a report changes shape.
API_VERSION = "api-1"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
_DIGITS = re.compile(r"\d{1,6}", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_HEADERS = {"Access-Control-Allow-Origin": "*"}
_TITLES = {400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}

Endpoint = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def api_routes(
    store: Store,
    searcher: Searcher,
    limiter: SlidingWindowLimiter,
    *,
    public_url: str,
    site_title: str = "AI Daily",
) -> list[BaseRoute]:
    endpoints = ApiEndpoints(store, searcher, public_url, site_title)
    routes: list[BaseRoute] = [
        Route(
            op.path,
            _guarded(limiter, getattr(endpoints, op.endpoint)),
            methods=["GET"],
            name=f"api_{op.endpoint}",
        )
        for op in openapi.OPERATIONS
        if op.path.startswith("/api/")
    ]
    routes.append(Route("/api/{rest:path}", _guarded(limiter, endpoints.unknown), methods=["GET"]))
    return routes


def _guarded(limiter: SlidingWindowLimiter, endpoint: Endpoint) -> Endpoint:
    """``endpoint`` behind the client's limit, its ``ApiError`` answered as problem details."""

    async def answering(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ApiError as error:
            return problem(error.status, error.detail)

    return limited(limiter, answering, _too_many)


def _too_many(wait: int) -> Response:
    return problem(
        429, f"Too many requests from this address: try again in {wait} s.", {"Retry-After": str(wait)}
    )


def problem(status: int, detail: str, headers: Mapping[str, str] | None = None) -> Response:
    body = {"type": "about:blank", "title": _TITLES[status], "status": status, "detail": detail}
    extra = {**_HEADERS, "Cache-Control": "no-store", **(headers or {})}
    return Response(_encode(body), status_code=status, media_type=openapi.PROBLEM, headers=extra)


class ApiEndpoints:
    def __init__(self, store: Store, searcher: Searcher, public_url: str, site_title: str) -> None:
        self.store = store
        self.searcher = searcher
        self.public_url = public_url.rstrip("/")
        self.document = _encode(openapi.document(site_title))

    async def reports(self, request: Request) -> Response:
        page = _number(request, "page", 1, 999_999)
        per_page = _number(request, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
        total = await run_in_threadpool(self.store.report_count)
        pages = max(1, math.ceil(total / per_page))
        if page > pages:
            raise ApiError(404, f"There is no page {page}: the last is {pages}.")
        summaries = await run_in_threadpool(self.store.report_summaries, per_page, (page - 1) * per_page)
        base = self._base(request)
        links = _page_links(f"{base}/api/reports", page, pages, per_page)
        body = {
            "reports": [_summary_json(base, summary) for summary in summaries],
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": pages,
            "next": links.get("next"),
            "prev": links.get("prev"),
        }
        link_header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
        return self._json(request, body, {"Link": link_header})

    async def report(self, request: Request) -> Response:
        day = _day(request.path_params["date"])
        stored = await run_in_threadpool(self.store.report_updated_at, day)
        if stored is None:
            raise ApiError(404, f"There is no report for {day.isoformat()}.")
        # Stored again means another etag: a 304 needs this one query, not the whole report.
        etag = etag_of(API_VERSION, day.isoformat(), stored.isoformat())
        if is_fresh(request, etag, stored):
            return not_modified(etag, MAX_AGE, stored)
        report = await run_in_threadpool(self.store.get_report, day)
        if report is None:  # deleted between the two queries
            raise ApiError(404, f"There is no report for {day.isoformat()}.")
        headers = {**_HEADERS, **caching_headers(etag, MAX_AGE, stored)}
        return Response(_encode(report.to_json()), media_type=openapi.JSON, headers=headers)

    async def search(self, request: Request) -> Response:
        try:
            query = clean_query(request.query_params.get("q"))
        except BadQuery as exc:
            raise ApiError(400, str(exc)) from None
        if not query:
            raise ApiError(400, "Say what to search for: ?q=...")
        limit = _number(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        found = await run_in_threadpool(search, self.searcher, query, limit)
        return self._json(request, _found_json(self._base(request), found))

    async def openapi(self, request: Request) -> Response:
        return conditional(request, self.document, openapi.JSON, _HEADERS)

    async def unknown(self, request: Request) -> Response:
        raise ApiError(404, "No such API route: see /api/openapi.json.")

    def _json(self, request: Request, body: Any, headers: Mapping[str, str] | None = None) -> Response:
        return conditional(request, _encode(body), openapi.JSON, {**_HEADERS, **(headers or {})})

    def _base(self, request: Request) -> str:
        return self.public_url or str(request.base_url).rstrip("/")


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _number(request: Request, name: str, default: int, highest: int) -> int:
    """A query parameter that must be a whole number from 1 to ``highest`` (ASCII digits)."""
    text = request.query_params.get(name)
    if text is None:
        return default
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= highest:
        raise ApiError(400, f"{name} must be a whole number from 1 to {highest}.")
    return int(text)


def _day(text: str) -> date:
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ApiError(400, "A report date is YYYY-MM-DD, a real day.")


def _page_links(url: str, page: int, pages: int, per_page: int) -> dict[str, str]:
    """rel -> URL of the neighbouring pages (RFC 8288 relation names); older reports are "next"."""
    at = {"first": 1, "prev": page - 1, "next": page + 1, "last": pages}
    return {rel: f"{url}?page={n}&per_page={per_page}" for rel, n in at.items() if 1 <= n <= pages}


def _summary_json(base: str, summary: ReportSummary) -> dict[str, Any]:
    day = summary.date.isoformat()
    return {
        "date": day,
        "title": summary.title,
        "description": summary.description,
        "summary": summary.summary,
        "generated_at": summary.generated_at.isoformat(),
        "updated_at": summary.updated_at.isoformat() if summary.updated_at else None,
        "items": summary.items,
        "articles": summary.articles,
        "topics": summary.topics,
        "url": f"{base}/reports/{day}/",
        "api_url": f"{base}/api/reports/{day}",
        "markdown_url": f"{base}/reports/{day}.md",
    }


def _found_json(base: str, found: Found) -> dict[str, Any]:
    results = []
    for row in found.rows:
        item, day = row.found.item, row.date.isoformat()
        results.append(
            {
                "title": item.title,
                "date": day,
                "section": item.section,
                "section_heading": row.section_heading,
                "importance": item.importance.value,
                "snippet": row.snippet_text,
                "score": round(row.score, 4),
                "coverage": round(row.coverage, 4),
                "url": f"{base}{row.path}",
                "report_url": f"{base}/reports/{day}/",
                "api_url": f"{base}/api/reports/{day}",
                "sources": [{"name": s.name, "url": s.url} for s in item.sources],
            }
        )
    return {"query": found.query, "terms": list(found.terms), "found": bool(found.rows), "results": results}
