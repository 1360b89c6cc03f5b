"""The pages the links in mail open: ``/confirm``, ``/preferences`` and ``/unsubscribe``.

Each takes ``?token=`` exactly as ``delivery.email.Links`` (and the confirmation mail) write it;
the signed token is the only authority, so these pages need no login, cookie or form token. A
token that is altered, signed for another purpose or (confirm links only) older than
``confirm_max_age`` gets a 400 page that says what to do next.

``GET /unsubscribe`` only shows a button: link scanners and mail previews fetch GET links, and
must not unsubscribe anybody. ``POST /unsubscribe?token=`` unsubscribes, whether it comes from
that button or from a mail provider's RFC 8058 one-click request (body
``List-Unsubscribe=One-Click``, no cookies), and answers 200 every time it is repeated.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from core.links import BadToken, Links, TokenClaims, verify_token
from core.models import Subscription
from core.store import Store
from web import subscribing
from web.forms import (
    FormError,
    language_options,
    read_choices,
    rule_fields,
    section_options,
    stored_rule_fields,
)
from web.pages import Pages

#: Our tokens are about a hundred characters; a much longer one is not worth verifying.
MAX_TOKEN = 1000
MAX_FIELDS = 32


@dataclass(frozen=True, slots=True)
class LinkEndpoints:
    store: Store
    pages: Pages
    links: Links
    confirm_max_age: int

    async def confirm(self, request: Request) -> Response:
        claims = self._claims(request, "confirm", self.confirm_max_age)
        confirmed = await run_in_threadpool(subscribing.confirm, self.store, claims) if claims else None
        if confirmed is None:
            hours = max(1, round(self.confirm_max_age / 3600))
            return self._bad_link("This confirmation link has expired or is not valid.", hours=hours)
        return self.pages.render("confirmed.html", preferences_url=self.links.preferences(confirmed))

    async def show_preferences(self, request: Request) -> Response:
        subscription = await self._linked(request, "preferences")
        if subscription is None:
            return self._bad_link("This preferences link is not valid.")
        return self._preferences_page(request, subscription)

    async def save_preferences(self, request: Request) -> Response:
        subscription = await self._linked(request, "preferences")
        if subscription is None:
            return self._bad_link("This preferences link is not valid.")
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
        try:
            choices = read_choices(
                form.getlist("sections"),
                form.get("language"),
                form.get("cadence"),
                form.get("include"),
                form.get("exclude"),
            )
        except FormError as exc:
            typed = rule_fields(form.get("cadence"), form.get("include"), form.get("exclude"))
            return self._preferences_page(request, subscription, error=str(exc), status=400, typed=typed)
        saved = await run_in_threadpool(subscribing.change_preferences, self.store, subscription, choices)
        return self._preferences_page(request, saved, saved=True)

    async def show_unsubscribe(self, request: Request) -> Response:
        claims = self._claims(request, "unsubscribe")
        if claims is None:
            return self._bad_link("This unsubscribe link is not valid.")
        return self.pages.render("unsubscribe.html", address=claims.address, action=_same_url(request))

    async def unsubscribe(self, request: Request) -> Response:
        claims = self._claims(request, "unsubscribe")
        if claims is None:
            return self._bad_link("This unsubscribe link is not valid.")
        await run_in_threadpool(subscribing.unsubscribe, self.store, claims)
        return self.pages.render("unsubscribed.html", address=claims.address)

    def _claims(self, request: Request, purpose: str, max_age: int | None = None) -> TokenClaims | None:
        token = request.query_params.get("token", "")
        if not token or len(token) > MAX_TOKEN:
            return None
        try:
            return verify_token(self.links.secret, token, purpose, max_age=max_age)
        except BadToken:
            return None

    async def _linked(self, request: Request, purpose: str) -> Subscription | None:
        claims = self._claims(request, purpose)
        if claims is None:
            return None
        return await run_in_threadpool(subscribing.linked_subscription, self.store, claims)

    def _preferences_page(
        self,
        request: Request,
        subscription: Subscription,
        *,
        error: str | None = None,
        saved: bool = False,
        status: int = 200,
        typed: dict[str, str] | None = None,
    ) -> Response:
        rules = typed or stored_rule_fields(subscription.cadence, subscription.rules)
        return self.pages.render(
            "preferences.html",
            status,
            address=subscription.address,
            status_name=subscription.status.value,
            sections=section_options(subscription.sections or None),
            languages=language_options(subscription.language),
            action=_same_url(request),
            unsubscribe_url=self.links.unsubscribe(subscription),
            error=error,
            saved=saved,
            **rules,
        )

    def _bad_link(self, message: str, *, hours: int | None = None) -> Response:
        return self.pages.render("bad_link.html", 400, message=message, hours=hours)


def _same_url(request: Request) -> str:
    """The page's own path and query, for a form posting back to it (relative: ``form-action
    'self'`` holds whatever host name the proxy in front uses)."""
    return f"{request.url.path}?{request.url.query}"
