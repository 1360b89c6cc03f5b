"""The web application factory: ``create_app(store, secret_key=..., ...)`` -> a Starlette app.

Routes
------
``GET /``, ``GET /subscribe``          the sign-up form (``web.signup_routes``)
``POST /subscribe``                   sign up: double opt-in mail, the same page for everyone
``GET /confirm?token=``               confirm a pending address (``web.link_routes``)
``GET|POST /preferences?token=``      change sections and language
``GET /unsubscribe?token=``           a page with an unsubscribe button (GET changes nothing)
``POST /unsubscribe?token=``          unsubscribe; also RFC 8058 one-click
``GET|POST /feedback?token=&item=``   a newsletter item's 👍 / 👎: GET shows both, POST records one
                                      (``web.feedback_routes``)

``extra_routes`` are appended, so the Slack events endpoint, the Telegram webhook and the
archive can share the one server. Every response, a 500 page included, carries the headers of
``web.middleware.SecurityHeaders`` (with HSTS when ``public_url`` is https), and a request body
over ``max_body_bytes`` is refused with 413 before any endpoint reads it.

Everything is passed in: this module reads no settings (``app.web`` does that). The store is
blocking, so endpoints run its calls in Starlette's thread pool; mail is awaited in a
background task after the response.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from core.links import Links
from core.store import Store
from web.confirm_mail import ConfirmationMailer
from web.csrf import FormGuard
from web.feedback_routes import FeedbackEndpoints
from web.link_routes import LinkEndpoints
from web.middleware import BodyLimit, SecurityHeaders
from web.pages import Pages
from web.ratelimit import Clock, SlidingWindowLimiter
from web.signup_routes import SignUpEndpoints

#: Our forms are a few hundred bytes; the Slack and Telegram endpoints that may join stay far below.
MAX_BODY_BYTES = 64 * 1024
HOUR = 3600.0


def create_app(
    store: Store,
    *,
    secret_key: str,
    public_url: str,
    mailer: ConfirmationMailer,
    confirm_max_age: int,
    subscribe_limit: int,
    extra_routes: Sequence[BaseRoute] = (),
    clock: Clock = time.monotonic,
    max_body_bytes: int = MAX_BODY_BYTES,
    feedback_days: int = 30,
) -> Starlette:
    """The app. ``confirm_max_age``: seconds a confirmation link works; ``subscribe_limit``:
    sign-ups per client address, and per email address, in any hour; ``clock`` drives the
    rate limits (monotonic seconds); ``feedback_days``: days a newsletter's vote links work."""
    if not secret_key:
        raise ValueError("the web app needs a secret key to sign its links and forms")
    pages = Pages()
    links = Links(public_url, secret_key)
    sign_up = SignUpEndpoints(
        store,
        pages,
        FormGuard(secret_key, secure=public_url.startswith("https://")),
        links,
        mailer,
        confirm_max_age,
        per_client=SlidingWindowLimiter(subscribe_limit, HOUR, clock),
        per_address=SlidingWindowLimiter(subscribe_limit, HOUR, clock),
    )
    linked = LinkEndpoints(store, pages, links, confirm_max_age)
    votes = FeedbackEndpoints(store, pages, secret_key, feedback_days)
    routes: list[BaseRoute] = [
        Route("/", sign_up.form, methods=["GET"]),
        Route("/subscribe", sign_up.form, methods=["GET"]),
        Route("/subscribe", sign_up.submit, methods=["POST"]),
        Route("/confirm", linked.confirm, methods=["GET"]),
        Route("/preferences", linked.show_preferences, methods=["GET"]),
        Route("/preferences", linked.save_preferences, methods=["POST"]),
        Route("/unsubscribe", linked.show_unsubscribe, methods=["GET"]),
        Route("/unsubscribe", linked.unsubscribe, methods=["POST"]),
        Route("/feedback", votes.show, methods=["GET"]),
        Route("/feedback", votes.vote, methods=["POST"]),
        *extra_routes,
    ]
    middleware = [Middleware(BodyLimit, max_bytes=max_body_bytes)]
    https = public_url.startswith("https://")
    return _HeaderedStarlette(routes=routes, middleware=middleware, https=https)


class _HeaderedStarlette(Starlette):
    """Starlette with ``SecurityHeaders`` outside its ``ServerErrorMiddleware``: a middleware
    given through ``middleware=`` sits inside it, and the 500 page it sends would skip them."""

    def __init__(self, *, https: bool, **options: Any) -> None:
        self._https = https
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), https=self._https)
