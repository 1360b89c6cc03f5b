"""The archive's search page over HTTP, on both databases, with the bot's real index.

Reports are the two imported sample reports (Traditional Chinese with English names) and
synthetic ones saved under chosen dates; the index is ``bot.index_cache.IndexCache`` over the
store, as ``app.web`` wires it. Questions come from a hostile reader too: markup that tries to
leave the input's value, a megabyte of text, NUL and bidi controls, an encoded lone surrogate.
Every item link is followed to its report page, where the anchor it names must exist.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import pytest
from asgi_client import get
from starlette.applications import Starlette
from test_web_archive import archive_app, import_samples, save
from test_web_site import SteppedClock

from bot.index_cache import IndexCache
from core.models import Item, SourceLink
from core.store import Store
from web.anchors import item_anchor
from web.ratelimit import SlidingWindowLimiter
from web.search_page import search_routes
from web.search_results import MAX_QUERY_CHARS, clean_query
from web.snippets import best_snippet, plain

ID = re.compile(r'<h3 id="([^"]+)"')


def search_app(store: Store, limit: int = 1000, clock: SteppedClock | None = None) -> Starlette:
    limiter = SlidingWindowLimiter(limit, 60, clock or SteppedClock())
    routes = search_routes(IndexCache(store, None).current, limiter)
    return Starlette(routes=[*routes, *archive_app(store).routes])


def ask(app: Starlette, question: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return get(app, "/search?q=" + quote(question), headers)


class Page(HTMLParser):
    """What a reader of the page gets: result links, the input's value, text, script tags."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.value: str | None = None
        self.tags: set[str] = set()
        self.marked: list[str] = []
        self._in_mark = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        found = dict(attrs)
        if tag == "a" and found.get("class") == "title":
            self.links.append(found["href"] or "")
        if tag == "input" and found.get("name") == "q":
            self.value = found.get("value")
        self._in_mark = tag == "mark"

    def handle_endtag(self, tag: str) -> None:
        self._in_mark = False

    def handle_data(self, data: str) -> None:
        if self._in_mark:
            self.marked.append(data)


def with_item(store: Store, day: date, item: Item) -> None:
    """A small synthetic report of ``day`` whose first headline is ``item``."""
    report = save(store, day)
    sections = tuple(
        dataclasses.replace(s, items=(item, *s.items)) if s.key == "top_headlines" else s
        for s in report.sections
    )
    save(store, day, sections=sections)


def test_every_item_has_its_anchor_on_its_report_page(store):
    import_samples(store)
    nasty = Item("top_headlines", "# Breaking <script>x</script> ### [x](y) `a*b*`", "x", sources=())
    with_item(store, date(2026, 1, 5), nasty)
    app = archive_app(store)
    checked = 0
    for day in store.report_dates():
        ids = ID.findall(get(app, f"/reports/{day.isoformat()}/").text)
        assert len(ids) == len(set(ids))
        titles = [found.item.title for found in store.reported_items(day)]
        missing = [t for t in titles if item_anchor(t) not in ids]
        assert not missing, missing
        checked += len(titles)
    assert checked == 58 + 30 + 4


def test_without_a_question_the_page_is_a_form(store):
    import_samples(store)
    for path in ("/search", "/search?q=", "/search?q=%20%20", "/search?other=1"):
        response = get(search_app(store), path)
        assert response.status_code == 200, path
        page = Page(response.text)
        assert page.value == "" and page.links == []
        assert 'action="/search"' in response.text and 'name="robots" content="noindex"' in response.text


def test_results_link_to_the_item_on_its_report_page(store):
    import_samples(store)
    app = search_app(store)
    response = ask(app, "Opus 4.5")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in response.headers["content-security-policy"]  # no script at all
    page = Page(response.text)
    assert page.value == "Opus 4.5"
    assert page.links[0].startswith("/reports/2025-11-25/#item-")
    assert "Anthropic Opus 4.5 在 Amazon Bedrock 的技術脈絡" in response.text
    assert "今日焦點（Top Headlines）" in response.text and '<time datetime="2025-11-25">' in response.text
    assert "Opus 4.5" in page.marked
    for link in page.links:
        path, anchor = link.split("#")
        assert f'<h3 id="{anchor}">' in get(app, path).text, link


def test_chinese_in_either_script_and_full_width_names_find_items(store):
    import_samples(store)
    app = search_app(store)
    traditional, simplified, wide = (Page(ask(app, q).text) for q in ("輝達", "辉达", "ＯＰＵＳ ４.５"))
    assert traditional.links and traditional.links == simplified.links
    assert Page(ask(app, "Opus 4.5").text).links == wide.links


def test_an_item_found_by_a_name_it_lists_shows_that_name(sqlite_store):
    import_samples(sqlite_store)
    page = ask(search_app(sqlite_store), "Nvidia").text
    time = page.split("TIME 將「Architects of AI」評為年度人物", 1)[1].split("</li>", 1)[0]
    item = next(f.item for f in sqlite_store.reported_items() if f.item.title.startswith("TIME 將"))
    assert "NVIDIA" in item.entities and "NVIDIA" not in item.summary + "".join(item.details + item.use_cases)
    assert "<mark>NVIDIA</mark>" in time and "Architects of AI · " in time


def test_a_question_no_report_answers_says_so(store):
    import_samples(store)
    response = ask(search_app(store), "zebra husbandry in antarctica")
    assert response.status_code == 200
    assert Page(response.text).links == [] and "No report item matches" in response.text


@pytest.mark.parametrize(
    "question",
    [
        '"><script>alert(1)</script>',
        "' onfocus='alert(1)' autofocus='",
        "</title><img src=x onerror=alert(1)>",
        "{{ site_title }} {% raw %}",
    ],
)
def test_markup_in_the_question_stays_text(sqlite_store, question):
    import_samples(sqlite_store)
    response = ask(search_app(sqlite_store), question)
    assert response.status_code == 200
    page = Page(response.text)
    assert page.value == question  # echoed whole, as the value and nothing else
    assert not page.tags & {"script", "img"}
    assert "<script>" not in response.text and "<img" not in response.text


def test_odd_unicode_is_cleaned_before_searching(sqlite_store):
    import_samples(sqlite_store)
    app = search_app(sqlite_store)
    plain_page = Page(ask(app, "Opus 4.5").text)
    for path in (
        "/search?q=%00Opus%E2%80%AE%204.5%E2%80%8B",  # NUL, a bidi override, a zero-width space
        "/search?q=Opus%ED%A0%80%204.5",  # an encoded lone surrogate: decoded as U+FFFD
        "/search?q=Opus%204.5%F0%9F%A4%96",  # an emoji
        "/search?q=Opus%ff%fe%204.5",  # bytes that are not UTF-8
    ):
        response = get(app, path)
        assert response.status_code == 200, path
        assert "\x00" not in response.text and "\u202e" not in response.text
        assert Page(response.text).links == plain_page.links, path


def test_clean_query():
    assert clean_query(None) == "" and clean_query(" \t\n ") == ""
    assert clean_query("a\x00b\u202e c\u200b\r\nd") == "ab c d"
    assert clean_query("e\u0301") == "\u00e9"  # NFC: what is shown is what is searched
    assert clean_query("x" * MAX_QUERY_CHARS) == "x" * MAX_QUERY_CHARS


def test_a_huge_question_is_refused_with_the_form(sqlite_store):
    import_samples(sqlite_store)
    app = search_app(sqlite_store)
    assert ask(app, "x" * MAX_QUERY_CHARS).status_code == 200
    for size in (MAX_QUERY_CHARS + 1, 7_000):  # 7,000 characters: 63 kB encoded, near httpx's limit
        response = ask(app, "字" * size)
        assert response.status_code == 400
        assert response.headers["cache-control"] == "no-store"
        assert "too long" in response.text
        assert len(Page(response.text).value or "") == MAX_QUERY_CHARS  # the form comes back, cut
        assert len(response.content) < 20_000
    hostile = ask(app, "\x00\u202e<script>" * 100)
    assert hostile.status_code == 400 and "\x00" not in hostile.text and "\u202e" not in hostile.text
    assert Page(hostile.text).value == ("<script>" * 100)[:MAX_QUERY_CHARS]


def test_unchanged_results_are_a_304_and_a_new_report_changes_them(store):
    import_samples(store)
    app = search_app(store)
    first = ask(app, "Opus 4.5")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=300"
    again = ask(app, "Opus 4.5", {"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    with_item(
        store, date(2026, 2, 1), Item("top_headlines", "Claude Opus 4.5 price cut", "Opus 4.5 costs less.")
    )
    changed = ask(app, "Opus 4.5", {"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert Page(changed.text).links[0].startswith("/reports/2026-02-01/#")  # found without a restart


def test_a_client_over_the_limit_waits(sqlite_store):
    import_samples(sqlite_store)
    clock = SteppedClock()
    app = search_app(sqlite_store, limit=3, clock=clock)
    assert [ask(app, "Opus").status_code for _ in range(3)] == [200, 200, 200]
    refused = ask(app, "Opus")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60" and refused.headers["cache-control"] == "no-store"
    assert "Too many searches" in refused.text
    clock.advance(61)
    assert ask(app, "Opus").status_code == 200


def test_snippets_mark_what_matched_in_the_stored_text():
    text = "OpenAI 發佈 GPT‑5.2 與開放權重 apps，WhatsApp 不變"
    segments = best_snippet([text], ["gpt-5.2", "开放", "app"])
    assert [part for part, marked in segments if marked] == ["GPT‑5.2", "開放", "apps"]
    assert plain(segments) == text
    assert [t for t, m in best_snippet(["ＧＰＴ－５ launch"], ["gpt-5"]) if m] == ["ＧＰＴ－５"]


def test_a_snippet_is_a_window_around_the_first_match():
    text = "a" * 400 + " Nvidia " + "b" * 400
    segments = best_snippet(["no match here", text], ["nvidia"])
    shown = plain(segments)
    assert shown.startswith("…") and shown.endswith("…") and "Nvidia" in shown
    assert len(shown) <= 182
    assert plain(best_snippet(["first text " * 40, "second"], ["zzz"])).startswith("first text")
    assert best_snippet([], ["x"]) == ()


def test_a_source_link_or_summary_full_of_markup_is_escaped_in_results(sqlite_store):
    hostile = Item(
        "top_headlines",
        "Zyxcorp <img src=x onerror=alert(1)> launch",
        "Zyxcorp <script>alert(1)</script> ships.",
        sources=(SourceLink("<b>x</b>", "https://example.org/?a=<b>"),),
    )
    with_item(sqlite_store, date(2026, 3, 3), hostile)
    response = ask(search_app(sqlite_store), "Zyxcorp")
    page = Page(response.text)
    assert len(page.links) == 1 and not page.tags & {"script", "img", "b"}
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
    assert page.marked == ["Zyxcorp", "Zyxcorp"] or page.marked == ["Zyxcorp"]
