"""The JSON API over HTTP, on both databases: reports page by page, one report whole, search
with scores, the OpenAPI document, caching, rate limits and hostile parameters.

Every JSON body a test receives is validated against the schema the OpenAPI document gives for
its route and status (``openapi-schema-validator``, the document itself by
``openapi-spec-validator``), so the document cannot drift from what the routes send. Most tests
talk to the routes in process (httpx's ASGI transport, with the client address chosen); one
serves the whole site, as ``aidaily web`` builds it, with uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from asgi_client import UvicornThread
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from starlette.applications import Starlette
from test_web_archive import import_samples, save
from test_web_search import with_item
from test_web_site import SteppedClock

from app.report_output import report_json
from bot.index_cache import IndexCache
from core.models import Item
from core.store import Store
from web import openapi
from web.anchors import item_anchor
from web.api import api_routes
from web.ratelimit import SlidingWindowLimiter
from web.search_page import search_routes

PUBLIC = "https://daily.example.org"
DOCUMENT = openapi.document()
JSON_TYPES = ("application/json", "application/problem+json")


class Api:
    """The API's and the search page's routes on one store, sharing one limiter, as in the site."""

    def __init__(self, store: Store, limit: int = 1000, public_url: str = PUBLIC) -> None:
        self.clock = SteppedClock()
        limiter = SlidingWindowLimiter(limit, 60, self.clock)
        searcher = IndexCache(store, None).current
        routes = [
            *api_routes(store, searcher, limiter, public_url=public_url),
            *search_routes(searcher, limiter),
        ]
        self.app = Starlette(routes=routes)

    def get(self, path: str, headers: dict[str, str] | None = None, ip: str = "192.0.2.10") -> httpx.Response:
        async def request() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(ip, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.get(path, headers=headers or {})

        response = asyncio.run(request())
        conforms(path, response)
        return response


def conforms(path: str, response: httpx.Response) -> None:
    """A JSON answer is what the document says its route sends with that status."""
    kind = response.headers.get("content-type", "")
    if response.status_code == 304 or not kind.startswith(JSON_TYPES):
        return
    assert response.headers["access-control-allow-origin"] == "*"
    operation = DOCUMENT["paths"].get(_template(path.split("?")[0]), {}).get("get")
    if operation is None:  # a path no route serves: the fallback's problem details
        assert response.status_code == 404
        schema: dict[str, Any] = {"$ref": "#/components/schemas/Problem"}
    else:
        answer = operation["responses"][str(response.status_code)]
        schema = answer["content"][kind.split(";")[0]]["schema"]
    validator = OAS31Validator(
        {**schema, "components": DOCUMENT["components"]}, format_checker=OAS31Validator.FORMAT_CHECKER
    )
    validator.validate(response.json())


def _template(path: str) -> str:
    return "/api/reports/{date}" if path.startswith("/api/reports/") else path


def dates_of(store: Store, days: int) -> list[date]:
    """``days`` small reports on consecutive days from 2026-01-01; their dates, newest first."""
    made = [date(2026, 1, 1) + timedelta(days=n) for n in range(days)]
    for day in made:
        save(store, day)
    return sorted(made, reverse=True)


# --- the document -----------------------------------------------------------------------------


def test_the_openapi_document_is_valid_and_describes_every_route(sqlite_store):
    validate(DOCUMENT)  # raises on any error against the OpenAPI 3.1 schema
    api = Api(sqlite_store)
    served = {route.path for route in api.app.routes} - {"/api/{rest:path}"}
    assert served == set(DOCUMENT["paths"]) == {op.path for op in openapi.OPERATIONS}
    response = api.get("/api/openapi.json")
    assert response.status_code == 200 and response.json() == DOCUMENT
    for path, item in DOCUMENT["paths"].items():
        responses = item["get"]["responses"]
        assert {"200", "304", "429"} <= set(responses), path
        assert responses["429"]["headers"]["Retry-After"], path
    again = api.get("/api/openapi.json", {"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


# --- /api/reports -----------------------------------------------------------------------------


def test_reports_are_listed_newest_first_and_paged_with_links(store):
    stored = dates_of(store, 5)
    api = Api(store)
    first = api.get("/api/reports?per_page=2")
    assert first.status_code == 200
    body = first.json()
    assert [r["date"] for r in body["reports"]] == [d.isoformat() for d in stored[:2]]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 2, 5, 3)
    assert body["prev"] is None and body["next"] == f"{PUBLIC}/api/reports?page=2&per_page=2"
    links = first.headers["link"]
    assert f'<{PUBLIC}/api/reports?page=2&per_page=2>; rel="next"' in links
    assert f'<{PUBLIC}/api/reports?page=3&per_page=2>; rel="last"' in links and 'rel="prev"' not in links
    newest = body["reports"][0]
    assert newest["url"] == f"{PUBLIC}/reports/{stored[0].isoformat()}/"
    assert newest["api_url"] == f"{PUBLIC}/api/reports/{stored[0].isoformat()}"
    assert newest["items"] == 3 and newest["updated_at"]
    seen, url = [], body["next"]
    while url:  # follow "next" to the end: every report once, in order
        page = api.get(url.removeprefix(PUBLIC)).json()
        seen += [r["date"] for r in page["reports"]]
        url = page["next"]
    assert seen == [d.isoformat() for d in stored[2:]]
    last = api.get("/api/reports?page=3&per_page=2")
    assert 'rel="prev"' in last.headers["link"] and 'rel="next"' not in last.headers["link"]


def test_an_empty_archive_is_one_empty_page(store):
    response = Api(store).get("/api/reports")
    assert response.status_code == 200
    assert response.json() | {"reports": None} == {
        "reports": None,
        "page": 1,
        "per_page": 20,
        "total": 0,
        "pages": 1,
        "next": None,
        "prev": None,
    }
    assert response.json()["reports"] == []


@pytest.mark.parametrize(
    "query",
    [
        *("page=0", "page=-1", "page=abc", "page=1.5", "page=%EF%BC%91", "page=9999999", "page="),
        *("per_page=0", "per_page=101", "per_page=1e3", "per_page=%00", "page=1%0A"),
    ],
)
def test_bad_page_parameters_are_400_problems(sqlite_store, query):
    dates_of(sqlite_store, 2)
    response = Api(sqlite_store).get(f"/api/reports?{query}")
    assert response.status_code == 400, query
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400 and response.headers["cache-control"] == "no-store"


def test_a_page_past_the_end_is_404(sqlite_store):
    dates_of(sqlite_store, 3)
    api = Api(sqlite_store)
    assert api.get("/api/reports?page=2&per_page=2").status_code == 200
    missing = api.get("/api/reports?page=3&per_page=2")
    assert missing.status_code == 404 and "the last is 2" in missing.json()["detail"]


def test_links_come_from_the_request_without_a_public_url(sqlite_store):
    dates_of(sqlite_store, 3)
    body = Api(sqlite_store, public_url="").get("/api/reports?per_page=1").json()
    assert body["next"] == "http://testserver/api/reports?page=2&per_page=1"
    assert body["reports"][0]["url"].startswith("http://testserver/reports/")


# --- /api/reports/{date} ----------------------------------------------------------------------


def test_a_report_is_its_stored_json(store):
    import_samples(store)
    api = Api(store)
    for day, items in (("2025-11-25", 30), ("2025-12-12", 58)):
        response = api.get(f"/api/reports/{day}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        stored = store.get_report(date.fromisoformat(day))
        assert response.json() == json.loads(report_json(stored))  # what `aidaily show --format json` prints
        assert sum(len(s["items"]) for s in response.json()["sections"]) == items


def test_a_hostile_report_is_valid_json_with_its_text_intact(sqlite_store):
    hostile = Item("top_headlines", '"}]</script><script>alert(1)</script>\u2028\x00', "\ud7ff 𝔘 \u202e x")
    with_item(sqlite_store, date(2026, 4, 4), hostile)
    body = Api(sqlite_store).get("/api/reports/2026-04-04").json()
    assert body["sections"][0]["items"][0]["title"] == hostile.title


def test_a_report_is_cached_and_revalidated_with_one_query(store):
    save(store, date(2026, 5, 1))
    api = Api(store)
    first = api.get("/api/reports/2026-05-01")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"] == "public, max-age=300"
    assert parsedate_to_datetime(modified) == store.report_updated_at(date(2026, 5, 1)).replace(microsecond=0)
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-Modified-Since": modified},
    ):
        again = api.get("/api/reports/2026-05-01", headers)
        assert again.status_code == 304 and again.content == b"", headers
        assert again.headers["etag"] == etag and again.headers["last-modified"] == modified
    older = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)
    assert api.get("/api/reports/2026-05-01", {"If-Modified-Since": older}).status_code == 200
    # If-None-Match wins: a stale tag with a current date is not a 304.
    assert (
        api.get(
            "/api/reports/2026-05-01", {"If-None-Match": '"x"', "If-Modified-Since": modified}
        ).status_code
        == 200
    )
    assert api.get("/api/reports/2026-05-01", {"If-Modified-Since": "yesterday"}).status_code == 200
    save(store, date(2026, 5, 1), title="Rebuilt")
    rebuilt = api.get("/api/reports/2026-05-01", {"If-None-Match": etag})
    assert rebuilt.status_code == 200 and rebuilt.json()["title"] == "Rebuilt"
    assert rebuilt.headers["etag"] != etag


@pytest.mark.parametrize(
    "day", ["2025-13-01", "2025-02-30", "2025-1-1", "latest", "２０２５-01-01", "2025-01-01x"]
)
def test_a_malformed_date_is_400(sqlite_store, day):
    response = Api(sqlite_store).get(f"/api/reports/{quote(day)}")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.json()["detail"]


def test_unknown_dates_and_paths_are_404_json(sqlite_store):
    import_samples(sqlite_store)
    api = Api(sqlite_store)
    missing = api.get("/api/reports/2025-01-01")
    assert missing.status_code == 404 and missing.json()["detail"] == "There is no report for 2025-01-01."
    for path in ("/api/nope", "/api/reports/2025-11-25/items", "/api/", "/api/reports/2025-11-25.json"):
        response = api.get(path)
        assert response.status_code in (400, 404), path
        assert response.headers["content-type"] == "application/problem+json", path


# --- /api/search ------------------------------------------------------------------------------


def test_search_answers_with_scores_best_first_and_links_to_the_item(store):
    import_samples(store)
    api = Api(store)
    response = api.get("/api/search?q=" + quote("Opus 4.5"))
    assert response.status_code == 200
    body = response.json()
    assert body["found"] is True and body["query"] == "Opus 4.5" and "opus" in body["terms"]
    results = body["results"]
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    top = results[0]
    assert top["title"] == "Anthropic Opus 4.5 在 Amazon Bedrock 的技術脈絡"
    assert top["url"] == f"{PUBLIC}/reports/2025-11-25/#{item_anchor(top['title'])}"
    assert top["section"] == "top_headlines" and "Opus 4.5" in top["snippet"]
    assert all(s["url"].startswith("https://") for s in top["sources"])
    assert (
        api.get("/api/search?q=" + quote("Opus 4.5"), {"If-None-Match": response.headers["etag"]}).status_code
        == 304
    )


def test_search_limit_and_nothing_found(sqlite_store):
    import_samples(sqlite_store)
    api = Api(sqlite_store)
    assert len(api.get("/api/search?q=Nvidia&limit=1").json()["results"]) == 1
    assert len(api.get("/api/search?q=Nvidia").json()["results"]) > 1
    nothing = api.get("/api/search?q=zebra+husbandry+in+antarctica").json()
    assert nothing["found"] is False and nothing["results"] == []


@pytest.mark.parametrize(
    "query", ["", "q=", "q=%20%00%E2%80%AE", "q=Nvidia&limit=0", "q=Nvidia&limit=51", "q=Nvidia&limit=x"]
)
def test_search_without_a_question_or_with_a_bad_limit_is_400(sqlite_store, query):
    response = Api(sqlite_store).get(f"/api/search?{query}")
    assert response.status_code == 400 and response.json()["title"] == "Bad Request"


def test_a_hostile_question_is_searched_clean_and_echoed_as_data(sqlite_store):
    import_samples(sqlite_store)
    api = Api(sqlite_store)
    assert api.get("/api/search?q=" + quote("字" * 501)).status_code == 400
    body = api.get("/api/search?q=" + quote('"</script>Opus\x00 4.5\u202e"')).json()
    assert body["query"] == '"</script>Opus 4.5"'
    assert body["results"][0]["title"] == "Anthropic Opus 4.5 在 Amazon Bedrock 的技術脈絡"


# --- limits -----------------------------------------------------------------------------------


def test_the_api_and_the_search_page_share_a_limit_per_client(sqlite_store):
    import_samples(sqlite_store)
    api = Api(sqlite_store, limit=3)
    assert api.get("/api/reports").status_code == 200
    assert api.get("/api/search?q=Opus").status_code == 200
    assert api.get("/search?q=Opus").status_code == 200
    refused = api.get("/api/reports/2025-11-25")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert refused.headers["content-type"] == "application/problem+json"
    page = api.get("/search?q=Opus")
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert api.get("/api/openapi.json", ip="192.0.2.99").status_code == 200  # another client
    assert api.get("/api/reports", ip="2001:db8::1").status_code == 200
    for n in range(2):  # the rest of one IPv6 /64 is the same client
        assert api.get("/api/reports", ip=f"2001:db8::{n + 2}").status_code == 200
    assert api.get("/api/reports", ip="2001:db8::ffff").status_code == 429
    api.clock.advance(30)
    assert api.get("/api/reports").headers["retry-after"] == "30"
    api.clock.advance(31)
    assert api.get("/api/reports/2025-11-25").status_code == 200


# --- the whole site on a socket ---------------------------------------------------------------


def test_the_site_serves_the_api_and_search_over_a_socket(tmp_path):
    from app.web import build_app
    from core.config import Settings
    from core.links import DEV_SECRET_KEY
    from web.confirm_mail import DryRunConfirmationMailer

    opened = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        out_dir=tmp_path / "out",
        cache_dir=tmp_path / "cache",
        api_limit=8,
    )
    with Store.open(opened.database_url) as store:
        import_samples(store)
        mailer = DryRunConfirmationMailer(tmp_path / "confirmations.jsonl")
        app = build_app(opened, store, mailer, DEV_SECRET_KEY, PUBLIC)
        with UvicornThread(app) as server, httpx.Client(base_url=server.origin) as client:
            listed = client.get("/api/reports")
            found = client.get("/api/search", params={"q": "Opus 4.5"})
            page = client.get("/search", params={"q": "Opus 4.5"})
            report = client.get(found.json()["results"][0]["api_url"].removeprefix(PUBLIC))
            statuses = [client.get("/api/openapi.json").status_code for _ in range(5)]
    assert [r["date"] for r in listed.json()["reports"]] == ["2025-12-12", "2025-11-25"]
    assert found.json()["results"][0]["url"].startswith(f"{PUBLIC}/reports/2025-11-25/#item-")
    assert "<mark>Opus 4.5</mark>" in page.text and page.headers["x-frame-options"] == "DENY"
    assert report.json()["date"] == "2025-11-25"
    assert statuses == [200, 200, 200, 200, 429]  # AIDAILY_API_LIMIT=8 a minute, all routes together
    assert list(Path(tmp_path / "cache").glob("search-index-*.npz"))  # the bot's index, saved
    conforms("/api/reports", listed)
    conforms("/api/search", found)


def test_schemas_reject_what_the_routes_must_not_send():
    """The check above can fail: a field too many, or one missing, breaks the schema."""
    schema = {"$ref": "#/components/schemas/ReportSummary", "components": DOCUMENT["components"]}
    summary = {
        "date": "2026-01-01",
        "title": "t",
        "description": "",
        "summary": "",
        "generated_at": "2026-01-01T06:40:00+08:00",
        "updated_at": None,
        "items": 1,
        "articles": 2,
        "topics": 3,
        "url": "https://x.example/reports/2026-01-01/",
        "api_url": "https://x.example/api/reports/2026-01-01",
        "markdown_url": "https://x.example/reports/2026-01-01.md",
    }
    validator = OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER)
    validator.validate(summary)
    for broken in (
        {**summary, "extra": 1},
        {k: v for k, v in summary.items() if k != "url"},
        summary | {"items": -1},
    ):
        assert not validator.is_valid(broken)
    assert not validator.is_valid(summary | {"date": "2026-13-01"})
