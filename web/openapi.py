"""The OpenAPI 3.1 document of the archive's API and search page, from one table of routes.

``OPERATIONS`` is the route table: ``web.api`` builds its Starlette routes from it (each row
names the endpoint that serves it), so no route is served undocumented, and ``document()``
writes the OpenAPI document from the same rows, served at ``/api/openapi.json``. The schemas
describe exactly what the endpoints send (``additionalProperties: false``):
tests/test_web_api.py validates the document with openapi-spec-validator and every response the
tests receive against its schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.models import Importance

VERSION = "1.0.0"
JSON = "application/json"
PROBLEM = "application/problem+json"
HTML = "text/html"

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    """An object with exactly these properties, all required but ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def _array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


_TEXT: Schema = {"type": "string"}
_TEXTS = _array(_TEXT)
_COUNT: Schema = {"type": "integer", "minimum": 0}
_DATE: Schema = {"type": "string", "format": "date"}
_MOMENT: Schema = {"type": "string", "format": "date-time"}
_URL: Schema = {"type": "string", "format": "uri"}
_NEXT: Schema = {"type": ["string", "null"], "format": "uri"}

SCHEMAS: dict[str, Schema] = {
    "Problem": _object(
        {"type": _TEXT, "title": _TEXT, "status": {"type": "integer"}, "detail": _TEXT},
    )
    | {"description": "An error (RFC 9457 problem details)."},
    "ReportSummary": _object(
        {
            "date": _DATE,
            "title": _TEXT,
            "description": _TEXT,
            "summary": _TEXT,
            "generated_at": _MOMENT,
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
            "items": _COUNT,
            "articles": _COUNT,
            "topics": _COUNT,
            "url": _URL | {"description": "The report's page"},
            "api_url": _URL | {"description": "The report as JSON"},
            "markdown_url": _URL | {"description": "The report's Markdown"},
        }
    ),
    "ReportPage": _object(
        {
            "reports": _array(_ref("ReportSummary")),
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": _COUNT,
            "pages": {"type": "integer", "minimum": 1},
            "next": _NEXT | {"description": "The next (older) page, or null on the last"},
            "prev": _NEXT | {"description": "The previous (newer) page, or null on the first"},
        }
    ),
    "Source": _object({"name": _TEXT, "url": _TEXT, "valid": {"type": "boolean"}}),
    "Item": _object(
        {
            "title": _TEXT,
            "summary": _TEXT,
            "details": _TEXTS,
            "use_cases": _TEXTS,
            "entities": _TEXTS,
            "importance": {"type": "string", "enum": [label.value for label in Importance]},
            "importance_reason": _TEXT,
            "sources": _array(_ref("Source")),
            "writer": _TEXT,
            "follow_up": _object({"date": _DATE, "title": _TEXT}),
        },
        optional=("follow_up",),
    ),
    "Section": _object(
        {
            "key": _TEXT,
            "heading": _TEXT,
            "items": _array(_ref("Item")),
            "more": _array(_object({"title": _TEXT, "line": _TEXT, "url": _TEXT})),
        }
    ),
    "Report": _object(
        {
            "date": _DATE,
            "title": _TEXT,
            "description": _TEXT,
            "summary": _TEXT,
            "tags": _TEXTS,
            "language": _TEXT,
            "generated_at": _MOMENT,
            "timezone": _TEXT,
            "window": _object({"start": _MOMENT, "end": _MOMENT}),
            "stats": _object(
                {
                    "articles": _COUNT,
                    "topics": _COUNT,
                    "items": _COUNT,
                    "more": _COUNT,
                    "left_out": {"type": "object", "additionalProperties": _COUNT},
                }
            ),
            "sections": _array(_ref("Section")),
            "insight": _object(
                {
                    "heading": _TEXT,
                    "trends": _TEXTS,
                    "context": _TEXTS,
                    "outlook": _TEXTS,
                    "watchlist": _TEXTS,
                }
            ),
            "reading": _object(
                {
                    "heading": _TEXT,
                    "articles": _array(_object({"title": _TEXT, "url": _TEXT, "note": _TEXT})),
                    "background": _array(_object({"term": _TEXT, "explanation": _TEXT})),
                    "keywords": _TEXTS,
                }
            ),
        }
    )
    | {"description": "A stored report, as `aidaily show --format json` prints it."},
    "SearchResult": _object(
        {
            "title": _TEXT,
            "date": _DATE,
            "section": _TEXT,
            "section_heading": _TEXT,
            "importance": {"type": "string", "enum": [label.value for label in Importance]},
            "snippet": _TEXT | {"description": "Up to 180 characters of the item around what matched"},
            "score": {"type": "number", "minimum": 0, "description": "BM25 with field weights; higher first"},
            "coverage": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "description": "The share of the question's weight the item matched",
            },
            "url": _URL | {"description": "The item on its report page"},
            "report_url": _URL,
            "api_url": _URL,
            "sources": _array(_object({"name": _TEXT, "url": _TEXT})),
        }
    ),
    "SearchResults": _object(
        {
            "query": _TEXT | {"description": "The question as searched (control characters removed)"},
            "terms": _TEXTS | {"description": "The folded terms it was matched by"},
            "found": {"type": "boolean"},
            "results": _array(_ref("SearchResult")),
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    where: str  # "query" or "path"
    description: str
    schema: Schema
    required: bool = False

    def document(self) -> Schema:
        return {
            "name": self.name,
            "in": self.where,
            "description": self.description,
            "required": self.required or self.where == "path",
            "schema": self.schema,
        }


@dataclass(frozen=True, slots=True)
class Operation:
    """One GET route: its path, the endpoint serving it, and what it answers."""

    path: str
    endpoint: str  # the name of the method of web.api.ApiEndpoints (or of the search page)
    summary: str
    description: str
    ok: tuple[str, Schema]  # media type and schema of the 200 answer
    parameters: tuple[Parameter, ...] = ()
    errors: tuple[int, ...] = (400, 429)
    headers: tuple[str, ...] = ("ETag", "Cache-Control")
    tags: tuple[str, ...] = field(default=("api",))

    def document(self) -> Schema:
        media, schema = self.ok
        error_media = PROBLEM if media == JSON else HTML
        responses: dict[str, Any] = {
            "200": {
                "description": "OK",
                "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in self.headers},
                "content": {media: {"schema": schema}},
            },
            "304": {"description": "Not Modified: the client's ETag (If-None-Match) is current"},
        }
        for status in self.errors:
            responses[str(status)] = _error(status, error_media)
        return {
            "operationId": self.endpoint,
            "summary": self.summary,
            "description": self.description,
            "tags": list(self.tags),
            "parameters": [p.document() for p in self.parameters],
            "responses": responses,
        }


_ERRORS = {
    400: "Bad Request: a parameter is malformed or out of range",
    404: "Not Found",
    429: "Too Many Requests: this client's limit is used up; Retry-After says for how many seconds",
}


def _error(status: int, media: str) -> Schema:
    body: Schema = _ref("Problem") if media == PROBLEM else {"type": "string"}
    answer: Schema = {"description": _ERRORS[status], "content": {media: {"schema": body}}}
    if status == 429:
        answer["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    return answer


_PAGE = Parameter("page", "query", "Page number, from 1", {"type": "integer", "minimum": 1, "default": 1})
_PER_PAGE = Parameter(
    "per_page", "query", "Reports a page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
)
_QUESTION = {"type": "string", "maxLength": 500}
_DAY = Parameter("date", "path", "The report's day, YYYY-MM-DD", _DATE | {"pattern": r"^\d{4}-\d{2}-\d{2}$"})
_ASKED = Parameter("q", "query", "The question", _QUESTION | {"minLength": 1}, required=True)
_LIMIT = Parameter(
    "limit", "query", "Most results", {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "/api/reports",
        "reports",
        "The stored reports, newest first",
        "One page of reports without their items. The Link header (RFC 8288) and the `next` and "
        "`prev` fields give the neighbouring pages.",
        (JSON, _ref("ReportPage")),
        (_PAGE, _PER_PAGE),
        errors=(400, 404, 429),
        headers=("ETag", "Cache-Control", "Link"),
    ),
    Operation(
        "/api/reports/{date}",
        "report",
        "One report, whole",
        "The stored report of a day: its sections and items, the editor's insight and reading list.",
        (JSON, _ref("Report")),
        (_DAY,),
        errors=(400, 404, 429),
        headers=("ETag", "Last-Modified", "Cache-Control"),
    ),
    Operation(
        "/api/search",
        "search",
        "Search every report's items",
        "Items matching the question, best first, with their scores: the index the chat bot "
        "answers from (titles, entities, summaries, details, sources; Chinese in either script).",
        (JSON, _ref("SearchResults")),
        (_ASKED, _LIMIT),
    ),
    Operation(
        "/api/openapi.json",
        "openapi",
        "This document",
        "The OpenAPI 3.1 description of every route here.",
        (JSON, {"type": "object"}),
        errors=(429,),
    ),
    Operation(
        "/search",
        "search_page",
        "The search page",
        "An HTML page: without `q` a form, with it the matching items (title linking to the item "
        "on its report page, date, section, snippet).",
        (HTML, {"type": "string"}),
        (Parameter("q", "query", "The question; empty or absent shows the form", _QUESTION),),
        tags=("pages",),
    ),
)

_HEADERS = {
    "ETag": "A strong validator of the answer; send it back as If-None-Match for a 304",
    "Last-Modified": "When the report was last stored; If-Modified-Since is honoured too",
    "Cache-Control": "public, max-age=300: reports can be rebuilt on their day",
    "Link": 'Neighbouring pages: rel="first", "prev", "next", "last"',
    "Retry-After": "Seconds until this client may ask again",
}


def document(title: str = "AI Daily") -> dict[str, Any]:
    """The OpenAPI document of ``OPERATIONS``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{title} archive API",
            "version": VERSION,
            "description": "Read-only access to the daily AI news reports and a search over their items. "
            "Every route is GET (and HEAD), needs no key, and is rate limited per client address.",
        },
        "paths": {op.path: {"get": op.document()} for op in OPERATIONS},
        "components": {
            "schemas": SCHEMAS,
            "headers": {
                name: {
                    "description": text,
                    "schema": {"type": "integer" if name == "Retry-After" else "string"},
                }
                for name, text in _HEADERS.items()
            },
        },
    }
