"""``GET /search?q=``: the archive's search page, over every stored report item.

Without a question it is a form. With one, it lists the items the bot's index finds (through
``web.search_results``), best first: title (linking to the item on its report page), date,
section and a snippet with the matched words marked. Everything shown is autoescaped, the
question included; the page is cached like the archive's (an ETag of its bytes, 304 on
``If-None-Match``) and sent with the archive's Content-Security-Policy, which allows no script.
A question over ``MAX_QUERY_CHARS`` is a 400 page with the form; a client over its rate limit
(shared with ``/api/``) gets a 429 page with Retry-After.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from web.archive import SECURITY_HEADERS, templates
from web.http_cache import conditional
from web.ratelimit import SlidingWindowLimiter, limited
from web.search_results import MAX_QUERY_CHARS, BadQuery, Searcher, clean_query, printable, search

#: Results on the page: a reader refines the question rather than paging through weak matches.
PAGE_LIMIT = 20
_HTML = "text/html; charset=utf-8"
_NO_STORE = {"Cache-Control": "no-store"}


def search_routes(
    searcher: Searcher,
    limiter: SlidingWindowLimiter,
    *,
    site_title: str = "AI Daily",
    language: str = "zh-TW",
) -> list[BaseRoute]:
    page = SearchPage(searcher, templates(), {"site_title": site_title, "language": language})
    return [Route("/search", limited(limiter, page.search, page.too_many), methods=["GET"], name="search")]


class SearchPage:
    def __init__(self, searcher: Searcher, env: Environment, site: dict[str, str]) -> None:
        self.searcher = searcher
        self.env = env
        self.site = site

    async def search(self, request: Request) -> Response:
        raw = request.query_params.get("q")
        try:
            query = clean_query(raw)
        except BadQuery as exc:
            return self._page(400, _NO_STORE, query=printable(raw or "")[:MAX_QUERY_CHARS], error=exc)
        found = await run_in_threadpool(search, self.searcher, query, PAGE_LIMIT) if query else None
        body = self._render(query=query, found=found).encode("utf-8")
        return conditional(request, body, _HTML, SECURITY_HEADERS)

    def too_many(self, wait: int) -> Response:
        return self._page(429, {"Retry-After": str(wait), **_NO_STORE}, wait=wait)

    def _page(self, status: int, headers: dict[str, str], **context: Any) -> Response:
        return HTMLResponse(self._render(**context), status_code=status, headers=SECURITY_HEADERS | headers)

    def _render(self, **context: Any) -> str:
        values = {"query": "", "found": None, "error": None, "wait": None, **context}
        return self.env.get_template("archive/search.html").render(
            **self.site, max_query=MAX_QUERY_CHARS, **values
        )
