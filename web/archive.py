"""The public report archive: an index, one page per report, its raw Markdown, and an RSS feed.

Routes (``archive_routes(store, public_url=...)``, mounted by ``web.app.create_app`` through
``extra_routes``; they claim nothing outside ``/reports/``):

``GET /reports/``                 the index, newest first, ``page_size`` a page (``?page=2``)
``GET /reports/feed.xml``         RSS 2.0 of the latest ``feed_size`` reports
``GET /reports/YYYY-MM-DD/``      the stored Markdown rendered to sanitized HTML
                                  (``web.markdown_html``); the path Slack and Telegram messages
                                  link to (``{AIDAILY_PUBLIC_URL}/reports/<date>/``)
``GET /reports/YYYY-MM-DD.md``    the stored Markdown as is, for Hugo mirrors

Report pages, the raw Markdown, the index and the feed carry a strong ETag and answer 304 to a
matching ``If-None-Match`` (``web.http_cache``); a report page's ETag is a hash of its Markdown
and the dates of its neighbours (the page links to them), so a 304 costs two small queries and
no rendering. A malformed date, an unknown date or a page past the
end is a 404 page. Links in the feed are absolute, built from ``public_url`` (or, when that is
empty, from the request's own base URL).

Pages are jinja2 templates in ``web/templates/archive/`` with autoescaping; the only markup not
escaped is the report body, which ``web.markdown_html`` has sanitized with nh3. Every response
carries a Content-Security-Policy that forbids scripts outright, like the subscription pages.
The store is blocking, so its calls run in Starlette's thread pool.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from core.store import Store
from web.archive_feed import FeedChannel, rss_feed
from web.http_cache import caching_headers, conditional, etag_of, is_fresh, not_modified
from web.markdown_html import render_report

PAGE_SIZE = 30
FEED_SIZE = 30
#: Part of every report page's ETag: bump it when the page template or the renderer changes, so
#: caches do not keep the old rendering of an unchanged report.
RENDER_VERSION = "archive-2"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_PAGE = re.compile(r"\d{1,6}", re.ASCII)

SECURITY_HEADERS = {
    "Content-Security-Policy": "; ".join(
        [
            "default-src 'none'",
            "style-src 'unsafe-inline'",  # each page carries its small stylesheet inline
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def archive_routes(
    store: Store,
    *,
    public_url: str,
    site_title: str = "AI Daily",
    language: str = "zh-TW",
    page_size: int = PAGE_SIZE,
    feed_size: int = FEED_SIZE,
) -> list[BaseRoute]:
    """The archive's routes; ``public_url`` is where the app is reached (``AIDAILY_PUBLIC_URL``)."""
    pages = ArchiveEndpoints(store, public_url, site_title, language, page_size, feed_size)
    return [
        Route("/reports/", pages.index, methods=["GET"], name="archive_index"),
        Route("/reports/feed.xml", pages.feed, methods=["GET"], name="archive_feed"),
        Route("/reports/{day}/", pages.report, methods=["GET"], name="archive_report"),
        Route("/reports/{day}.md", pages.markdown, methods=["GET"], name="archive_markdown"),
    ]


def templates() -> Environment:
    """The jinja2 environment of the archive's pages (and the search page, which shares their look)."""
    return Environment(
        loader=PackageLoader("web", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class ArchiveEndpoints:
    """The archive's endpoints over one store; the jinja2 environment is built once here."""

    def __init__(
        self, store: Store, public_url: str, site_title: str, language: str, page_size: int, feed_size: int
    ) -> None:
        self.store = store
        self.public_url = public_url.rstrip("/")
        self.site_title = site_title
        self.language = language
        self.page_size = page_size
        self.feed_size = feed_size
        self.env = templates()

    async def index(self, request: Request) -> Response:
        page = _page_number(request.query_params.get("page", "1"))
        total = await run_in_threadpool(self.store.report_count)
        pages = max(1, math.ceil(total / self.page_size))
        if page is None or page > pages:
            return self._message(404, "Page not found", "There is no such page of reports.")
        offset = (page - 1) * self.page_size
        reports = await run_in_threadpool(self.store.report_summaries, self.page_size, offset)
        body = self._render("index.html", reports=reports, page=page, pages=pages)
        return _conditional(request, body.encode("utf-8"), "text/html; charset=utf-8")

    async def report(self, request: Request) -> Response:
        day = _day(request.path_params["day"])
        stored = await run_in_threadpool(self._stored_report, day) if day else None
        if day is None or stored is None:
            return self._message(404, "Report not found", "There is no report for that date.")
        markdown, older, newer = stored
        # The neighbours are part of the page: a newer report appearing changes the "next" link.
        etag = etag_of(RENDER_VERSION, markdown, str(older), str(newer))
        if is_fresh(request, etag):
            return not_modified(etag)
        # Rendering a long report takes a CPU for a while: off the event loop, like the queries.
        body = await run_in_threadpool(self._report_page, day, markdown, older, newer)
        return _response(body.encode("utf-8"), "text/html; charset=utf-8", etag)

    def _stored_report(self, day: date) -> tuple[str, date | None, date | None] | None:
        """The report's Markdown and the dates of the reports before and after it (blocking)."""
        markdown = self.store.get_markdown(day)
        if markdown is None:
            return None
        return markdown, *self.store.report_neighbours(day)

    async def markdown(self, request: Request) -> Response:
        day = _day(request.path_params["day"])
        markdown = await run_in_threadpool(self.store.get_markdown, day) if day else None
        if day is None or markdown is None:
            return self._message(404, "Report not found", "There is no report for that date.")
        return _conditional(request, markdown.encode("utf-8"), "text/markdown; charset=utf-8")

    async def feed(self, request: Request) -> Response:
        reports = await run_in_threadpool(self.store.report_summaries, self.feed_size)
        base = self.public_url or str(request.base_url).rstrip("/")
        channel = FeedChannel(
            title=self.site_title,
            site_url=f"{base}/reports/",
            feed_url=f"{base}/reports/feed.xml",
            description=f"{self.site_title}: the daily AI news report",
            language=self.language,
        )
        return _conditional(request, rss_feed(channel, reports, base), "application/rss+xml; charset=utf-8")

    def _report_page(self, day: date, markdown: str, older: date | None, newer: date | None) -> str:
        report = render_report(markdown)
        published = report.published.strftime("%Y-%m-%d %H:%M %z") if report.published else day.isoformat()
        canonical = f"{self.public_url}/reports/{day.isoformat()}/" if self.public_url else ""
        # The body is the one piece of markup not escaped: nh3 has sanitized it.
        body = Markup(report.body_html)
        return self._render(
            "report.html",
            day=day,
            report=report,
            body=body,
            published=published,
            canonical=canonical,
            older=older,
            newer=newer,
        )

    def _message(self, status: int, heading: str, message: str) -> Response:
        body = self._render("message.html", heading=heading, message=message)
        headers = SECURITY_HEADERS | {"Cache-Control": "no-cache"}
        return HTMLResponse(body, status_code=status, headers=headers)

    def _render(self, name: str, **context: Any) -> str:
        template = self.env.get_template(f"archive/{name}")
        return template.render(site_title=self.site_title, language=self.language, **context)


def _conditional(request: Request, body: bytes, media_type: str) -> Response:
    return conditional(request, body, media_type, SECURITY_HEADERS)


def _response(body: bytes, media_type: str, etag: str) -> Response:
    return Response(body, media_type=media_type, headers=SECURITY_HEADERS | caching_headers(etag))


def _day(text: str) -> date | None:
    """The date in a path segment, or None unless it is exactly a valid YYYY-MM-DD."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _page_number(text: str) -> int | None:
    """A page number from ``?page=``: 1 to 999999 in ASCII digits, else None."""
    return int(text) if _PAGE.fullmatch(text) and int(text) > 0 else None
