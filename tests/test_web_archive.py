"""The web archive over HTTP, on both databases: the index, report pages, raw Markdown, the RSS
feed, conditional GET, and stored Markdown that tries to put script or dead links on the page.

Reports come from the two imported sample reports (with their real defects: ``[來源1](1)``),
from the demo pipeline, and from synthetic reports saved under chosen dates.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import httpx
import pytest
from asgi_client import UvicornThread, get
from fakes.reports import synthetic_report
from starlette.applications import Starlette
from test_demo_report import run_demo
from test_markdown import HOSTILE, golden_report

from core.models import Report
from core.report.importing.files import import_files
from core.report.rendering.markdown import render_markdown
from core.store import Store
from web.anchors import item_anchor
from web.archive import archive_routes
from web.health import health_routes
from web.markdown_html import markdown_to_html
from web.metrics import instrument, metrics_registry

SAMPLES = Path(__file__).resolve().parent / "data" / "sample-reports"
PUBLIC = "https://daily.example.org"
HREF = re.compile(r'href="([^"]*)"')
SAFE_HREF = re.compile(r"^(https?://[^\s]+|/reports/[^\s]*|/subscribe|/search)$")


def archive_app(store: Store, **options) -> Starlette:
    return Starlette(routes=archive_routes(store, public_url=PUBLIC, **options))


def import_samples(store: Store) -> None:
    outcomes = import_files(store, sorted(SAMPLES.glob("*.md")))
    assert all(o.ok for o in outcomes), outcomes


def save(store: Store, day: date, markdown: str | None = None, **changes) -> Report:
    """A small synthetic report dated ``day``, stored with ``markdown`` (its own rendering by default)."""
    made = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=1, minutes=20)
    report = synthetic_report({"top_headlines": 2, "research": 1}, extras=False)
    report = dataclasses.replace(report, date=day, generated_at=made, **changes)
    store.save_report(report, markdown if markdown is not None else render_markdown(report))
    return report


def article(html: str) -> str:
    return html.split("<article>", 1)[1].split("</article>", 1)[0]


def test_index_lists_reports_newest_first_with_counts(store):
    import_samples(store)
    response = get(archive_app(store), "/reports/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert html.index('href="/reports/2025-12-12/"') < html.index('href="/reports/2025-11-25/"')
    assert "生成式人工智慧與基礎模型觀察報告 — 2025/12/12" in html
    # Items counted by hand in test_import.KNOWN_COUNTS: 58 and 30.
    assert "58 items · 293 articles read · 59 topics" in html
    assert "30 items · 254 articles read · 30 topics" in html
    feed_link = '<link rel="alternate" type="application/rss+xml" title="AI Daily" href="/reports/feed.xml">'
    assert feed_link in html
    assert 'href="/subscribe"' in html
    assert "Page 1 of" not in html  # one page: no pager


def test_index_is_paginated(store):
    days = [date(2026, 3, d) for d in range(1, 6)]
    for day in days:
        save(store, day)
    app = archive_app(store, page_size=2)
    first, last = get(app, "/reports/").text, get(app, "/reports/?page=3").text
    assert re.findall(r'class="title" href="/reports/([\d-]+)/"', first) == ["2026-03-05", "2026-03-04"]
    assert 'rel="next" href="/reports/?page=2"' in first and "Page 1 of 3" in first
    assert re.findall(r'class="title" href="/reports/([\d-]+)/"', last) == ["2026-03-01"]
    assert 'rel="prev" href="/reports/?page=2"' in last and 'rel="next"' not in last
    for bad in ("4", "0", "-1", "abc", "1.5", "１"):
        assert get(app, f"/reports/?page={bad}").status_code == 404, bad


def test_empty_archive_says_so(store):
    response = get(archive_app(store), "/reports/")
    assert response.status_code == 200 and "No report has been published yet." in response.text


def test_report_page_renders_the_sample_and_drops_dead_links(store):
    import_samples(store)
    response = get(archive_app(store), "/reports/2025-11-25/")
    assert response.status_code == 200
    body = article(response.text)
    assert "<h1>大型語言模型評判與基礎設施趨勢分析 — 2025/11/25</h1>" in body
    assert '<time datetime="2025-11-25T06:42:17+08:00">2025-11-25 06:42 +0800</time>' in body
    assert "<h2>今日焦點（Top Headlines）</h2>" in body
    title = "以大型語言模型作為評判者的技術方法與框架"
    assert f'<h3 id="{item_anchor(title)}">{title}</h3>' in body
    aws = "https://aws.amazon.com/blogs/machine-learning/claude-opus-4-5-now-in-amazon-bedrock/"
    assert f'<a href="{aws}" rel="noopener nofollow">AWS Blog – Opus 4.5</a>' in body
    # The sample's non-URL targets ([來源1](1), [arXiv:2405.17838](arXiv:2405.17838)) are text now.
    assert "來源1 | 來源2" in body and "arXiv:2405.17838 | arXiv:2509.21651" in body
    hrefs = HREF.findall(body)
    assert hrefs and all(SAFE_HREF.match(h) for h in hrefs), [h for h in hrefs if not SAFE_HREF.match(h)]
    assert all("noopener nofollow" in a for a in re.findall(r'<a href="http[^>]*>', body))
    assert f'<link rel="canonical" href="{PUBLIC}/reports/2025-11-25/">' in response.text


HOSTILE_MARKDOWN = """---
title: "<script>alert('title')</script>"
date: 2026-03-02T06:40:00+08:00
description: "<img src=x onerror=alert('desc')>"
---

## Section <script>alert(1)</script>

<script>alert(2)</script>

<img src=x onerror=alert(3)>

<a href="javascript:alert(4)">raw anchor</a> <iframe src="https://evil.example"></iframe>

[js](javascript:alert(5)) [JS](JAVASCRIPT:alert(6)) [entity](jav&#x61;script:alert(7))
[data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:alert(8)) [rel](/admin) [proto](//evil.example/x)
![image](javascript:alert(9)) <javascript:alert(10)> [ok](https://good.example/a?b=1&c=2)

<div onmouseover="alert(11)">div</div> <style>body{display:none}</style>
"""


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser would parse them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_hostile_markdown_never_reaches_the_page(store):
    save(store, date(2026, 3, 2), HOSTILE_MARKDOWN)
    html = get(archive_app(store), "/reports/2026-03-02/").text
    tags = _Tags(html).tags
    names = [name for name, _ in tags]
    assert not {"script", "img", "iframe", "object", "embed"} & set(names)
    assert names.count("style") == 1  # the page's own stylesheet only
    assert not [(n, a) for n, a in tags if any(key.startswith("on") for key in a)]
    hrefs = [a["href"] or "" for n, a in tags if "href" in a and n == "a"]
    assert hrefs and all(SAFE_HREF.match(h) for h in hrefs), hrefs
    assert 'href="https://good.example/a?b=1&amp;c=2"' in html
    assert "<h1>&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;</h1>" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html  # shown as text, not dropped silently


def test_our_renderer_of_hostile_feed_text_stays_safe_on_the_page(store):
    report = dataclasses.replace(golden_report(items=(HOSTILE,)), date=date(2026, 3, 3))
    store.save_report(report, render_markdown(report))
    body = article(get(archive_app(store), "/reports/2026-03-03/").text).lower()
    assert "<script" not in body and "<img" not in body and "<iframe" not in body and "<b>" not in body
    assert all(SAFE_HREF.match(h) for h in HREF.findall(body))
    assert 'href="https://evil.example/a%28b%29c%20d"' in body


@pytest.mark.parametrize(
    "path", ["/reports/2025-01-01/", "/reports/2025-13-45/", "/reports/2025-1-1/", "/reports/latest/"]
)
def test_unknown_or_malformed_dates_are_404_pages(store, path):
    import_samples(store)
    response = get(archive_app(store), path)
    assert response.status_code == 404
    assert "There is no report for that date." in response.text
    assert get(archive_app(store), path.rstrip("/") + ".md").status_code == 404


def test_report_page_etag_and_304(store):
    day = date(2026, 3, 4)
    save(store, day)
    app = archive_app(store)
    first = get(app, "/reports/2026-03-04/")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=300"
    again = get(app, "/reports/2026-03-04/", {"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert get(app, "/reports/2026-03-04/", {"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    save(store, day, title="Rebuilt the same day")
    changed = get(app, "/reports/2026-03-04/", {"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "Rebuilt the same day" in changed.text


def test_report_pages_link_to_their_neighbours_and_a_new_report_changes_the_etag(store):
    for day in (date(2026, 3, 1), date(2026, 3, 3)):
        save(store, day)
    app = archive_app(store)
    middle = get(app, "/reports/2026-03-01/")
    assert 'rel="next" href="/reports/2026-03-03/"' in middle.text and 'rel="prev"' not in middle.text
    save(store, date(2026, 3, 2))
    assert get(app, "/reports/2026-03-01/", {"If-None-Match": middle.headers["etag"]}).status_code == 200
    html = get(app, "/reports/2026-03-02/").text
    assert 'rel="next" href="/reports/2026-03-03/"' in html
    assert 'rel="prev" href="/reports/2026-03-01/"' in html


@pytest.mark.parametrize("path", ["/reports/", "/reports/feed.xml", "/reports/2025-11-25.md"])
def test_index_feed_and_markdown_answer_304(store, path):
    import_samples(store)
    app = archive_app(store)
    etag = get(app, path).headers["etag"]
    assert get(app, path, {"If-None-Match": etag}).status_code == 304


def test_head_answers_like_get_without_a_body(sqlite_store):
    import_samples(sqlite_store)
    app = archive_app(sqlite_store)

    async def head() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return await client.head("/reports/2025-11-25/")

    response = asyncio.run(head())
    assert response.status_code == 200 and response.content == b""
    assert response.headers["etag"] == get(app, "/reports/2025-11-25/").headers["etag"]


def test_tables_mail_links_and_what_the_renderer_keeps():
    html = markdown_to_html(
        "| model | score |\n|:--|--:|\n| GPT | 9 |\n\n"
        "[mail](mailto:editor@example.org) [no address](mailto:) ~~old~~ `code`"
    )
    assert '<th style="text-align:left">model</th>' in html and '<td style="text-align:right">9</td>' in html
    assert '<a href="mailto:editor@example.org" rel="noopener nofollow">mail</a>' in html
    assert " no address " in html and 'href="mailto:"' not in html
    assert "<s>old</s>" in html and "<code>code</code>" in html


def test_raw_markdown_is_the_stored_text(store):
    import_samples(store)
    response = get(archive_app(store), "/reports/2025-11-25.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text == (SAMPLES / "2025-11-25.md").read_text(encoding="utf-8")


def test_security_headers_forbid_scripts(store):
    import_samples(store)
    for path in ("/reports/", "/reports/2025-11-25/", "/reports/nowhere/"):
        headers = get(archive_app(store), path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src" not in policy  # so default-src 'none' forbids every script
        assert headers["x-content-type-options"] == "nosniff"


def test_feed_parses_and_lists_the_latest_reports(store):
    import_samples(store)
    response = get(archive_app(store), "/reports/feed.xml")
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20" and feed.feed.title == "AI Daily"
    assert feed.feed.link == f"{PUBLIC}/reports/"
    newest = feed.entries[0]
    links = [e.link for e in feed.entries]
    assert links == [f"{PUBLIC}/reports/2025-12-12/", f"{PUBLIC}/reports/2025-11-25/"]
    assert newest.id == newest.link
    assert f'<guid isPermaLink="true">{PUBLIC}/reports/2025-12-12/</guid>' in response.text
    assert newest.title == "生成式人工智慧與基礎模型觀察報告 — 2025/12/12"
    # 2025/12/12 06:43:41 in Taipei, as the sample's front matter says.
    published = datetime(*newest.published_parsed[:6], tzinfo=UTC)
    assert published == datetime(2025, 12, 11, 22, 43, 41, tzinfo=UTC)
    assert newest.summary.startswith("每日 AI 快訊：涵蓋 Disney‑OpenAI 合作")


def test_feed_holds_the_latest_thirty_and_escapes_text(store):
    for n in range(32):
        save(store, date(2026, 1, 1) + timedelta(days=n))
    save(store, date(2026, 2, 5), title="A & B <i>x</i>", description="<script>alert(1)</script> & more")
    response = get(Starlette(routes=archive_routes(store, public_url="")), "/reports/feed.xml")
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0 and len(feed.entries) == 30
    assert feed.entries[0].link == "http://testserver/reports/2026-02-05/"  # no public URL: the request's
    assert feed.entries[-1].link.endswith("/reports/2026-01-04/")  # 02-05, then 02-01 back 29 days
    assert "<script" not in response.text and "&lt;script&gt;" in response.text
    assert "<title>A &amp; B &lt;i&gt;x&lt;/i&gt;</title>" in response.text


def test_demo_report_page(store):
    _, built = asyncio.run(run_demo(store))
    day = built.report.date.isoformat()
    response = get(archive_app(store), f"/reports/{day}/")
    assert response.status_code == 200
    body = article(response.text)
    assert body.count("<h2>") == len(re.findall(r"^## ", built.markdown, flags=re.M))
    assert body.count("<h3 id=") == len(re.findall(r"^### ", built.markdown, flags=re.M))
    assert "Claude Opus 5" in body and "<script" not in body.lower()
    hrefs = HREF.findall(body)
    assert len(hrefs) >= len(built.report.items) and all(SAFE_HREF.match(h) for h in hrefs)


def test_served_by_uvicorn_with_health_and_metrics(sqlite_store):
    import_samples(sqlite_store)
    registry = metrics_registry(sqlite_store)
    routes = [*archive_routes(sqlite_store, public_url=PUBLIC), *health_routes(sqlite_store, registry)]
    app = Starlette(routes=routes)
    instrument(app, registry)
    with UvicornThread(app) as server, httpx.Client(base_url=server.origin) as client:
        page = client.get("/reports/2025-12-12/")
        feed = feedparser.parse(client.get("/reports/feed.xml").content)
        health = client.get("/healthz").json()
        metrics = client.get("/metrics").text
    assert page.status_code == 200 and "<h1>生成式人工智慧與基礎模型觀察報告 — 2025/12/12</h1>" in page.text
    assert feed.bozo == 0 and len(feed.entries) == 2
    assert health == {"status": "ok", "database": "ok", "latest_report": "2025-12-12"}
    assert 'aidaily_http_requests_total{method="GET",route="/reports/{day}/",status="200"} 1.0' in metrics
