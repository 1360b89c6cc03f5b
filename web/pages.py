"""Rendering the HTML pages: jinja2 templates in ``web/templates/``, autoescaped.

Every ``{{ value }}`` in a ``.html`` template is HTML-escaped, so an address or a form field
echoed back cannot inject markup; templates never use ``|safe``. Missing variables raise
(``StrictUndefined``) instead of rendering as empty text. Pages are sent with
``Cache-Control: no-store``: their URLs and forms carry personal signed tokens that a shared
cache must not keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.background import BackgroundTask
from starlette.responses import HTMLResponse


class Pages:
    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("web", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(
        self,
        name: str,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """The page ``name`` filled with ``context``; ``background`` runs after it is sent."""
        body = self.env.get_template(name).render(**context)
        response = HTMLResponse(body, status_code=status, headers=dict(headers or {}), background=background)
        response.headers["Cache-Control"] = "no-store"
        return response
