"""``GET /`` and ``/subscribe`` (the form) and ``POST /subscribe`` (the sign-up).

A valid sign-up always answers with the same "check your inbox" page, status 200, whether the
address was new, pending, confirmed, unsubscribed or bounced, so the form cannot be used to
learn who subscribes. The mail (a confirmation, or for a confirmed address a note with its
preferences link) is sent by a background task after the response has gone out: the response
time does not depend on the address's state either, and a failing SMTP server costs the reader
nothing but the mail (the failure is logged, without the link).

Before anything else a request counts against its client's hourly limit, and a valid address
against its inbox's (whatever its case, plus tag or Gmail dots, so nobody can fill a stranger's
inbox with confirmations); over either, the answer is 429 with Retry-After. A form without a
valid token from ``web.csrf`` gets 403.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from core.links import Links, make_token
from core.models import Subscription
from core.store import Store
from web import subscribing
from web.confirm_mail import ConfirmationMail, ConfirmationMailer, MailKind
from web.csrf import FIELD, FormGuard
from web.forms import FormError, language_options, read_sign_up, section_options
from web.pages import Pages
from web.ratelimit import SlidingWindowLimiter, client_key, mailbox_key

log = logging.getLogger(__name__)
#: The subscribe form has a handful of fields; anything with many more is not ours.
MAX_FIELDS = 32


@dataclass(frozen=True, slots=True)
class SignUpEndpoints:
    store: Store
    pages: Pages
    guard: FormGuard
    links: Links
    mailer: ConfirmationMailer
    confirm_max_age: int
    per_client: SlidingWindowLimiter
    per_address: SlidingWindowLimiter

    async def form(self, request: Request) -> Response:
        return self._form_page(request, 200)

    async def submit(self, request: Request) -> Response:
        wait = self.per_client.hit(client_key(request))
        if wait is not None:
            return self._too_many(wait)
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
        if not self.guard.check(request, form.get(FIELD)):
            return self._form_page(request, 403, form, "This form has expired. Please send it again.")
        try:
            wanted = read_sign_up(form.get("email"), form.getlist("sections"), form.get("language"))
        except FormError as exc:
            return self._form_page(request, 400, form, str(exc))
        # Counted per inbox, not per spelling: "Victim+7@" and "victim@" fill the same one.
        wait = self.per_address.hit(mailbox_key(wanted.address))
        if wait is not None:
            return self._too_many(wait)
        result = await run_in_threadpool(subscribing.sign_up, self.store, wanted)
        task = BackgroundTask(self._send, self._mail(result), result.subscription.id)
        return self.pages.render("check_inbox.html", background=task)

    def _form_page(
        self, request: Request, status: int, form: FormData | None = None, error: str | None = None
    ) -> Response:
        token = self.guard.issue(request)
        response = self.pages.render("subscribe.html", status, form_token=token, error=error, **_echo(form))
        self.guard.set_cookie(response, token)
        return response

    def _too_many(self, wait: int) -> Response:
        minutes = max(1, round(wait / 60))
        return self.pages.render("rate_limited.html", 429, {"Retry-After": str(wait)}, minutes=minutes)

    def _mail(self, result: subscribing.SignUpResult) -> ConfirmationMail:
        subscription = result.subscription
        if result.mail is MailKind.ALREADY_SUBSCRIBED:
            link = self.links.preferences(subscription)
        else:
            link = confirm_url(self.links, subscription)
        hours = max(1, round(self.confirm_max_age / 3600))
        return ConfirmationMail(subscription.address, result.mail, link, hours)

    async def _send(self, mail: ConfirmationMail, subscription_id: int | None) -> None:
        try:
            await self.mailer.send(mail)
        except Exception as exc:  # the reader already has their page; the mail is what is lost
            log.warning(
                "%s mail for subscription %s not sent: %s: %s",
                mail.kind.value,
                subscription_id,
                type(exc).__name__,
                exc,
            )


def confirm_url(links: Links, subscription: Subscription) -> str:
    """``{public_url}/confirm?token=...``, shaped like the newsletter's ``Links``."""
    token = make_token(links.secret, subscription, "confirm")
    return f"{links.base_url.rstrip('/')}/confirm?token={quote(token, safe='')}"


def _echo(form: FormData | None) -> dict[str, Any]:
    """What the reader typed and chose, to show the form again as it was (escaped by jinja)."""
    if form is None:
        return {"email": "", "sections": section_options(), "languages": language_options()}
    email = form.get("email")
    chosen = [key for key in form.getlist("sections") if isinstance(key, str)]
    language = form.get("language")
    return {
        "email": email[:300] if isinstance(email, str) else "",
        "sections": section_options(chosen),
        "languages": language_options(language if isinstance(language, str) else None),
    }
