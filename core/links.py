"""Signed links in mail: unsubscribe, preferences, confirmation and vote tokens (itsdangerous).

The newsletter (``delivery.email``) puts them in every message; the web app (``web``) verifies
them. A token names one subscription and one purpose, so an unsubscribe token cannot confirm.

A vote token (``make_vote_token``) names a subscription and a report day, signed the same way
(HMAC-SHA256 with the secret key, salted for its purpose) but short: ``7.2026-11-22.<signature>``,
about 60 characters, since every item of the newsletter carries one (a ``Links.feedback`` URL
plus ``&item=KEY``) and Gmail clips a message over ~102 KB. It carries no time stamp: it expires
with its newsletter, ``max_days`` after the report day. The item is not signed: which item a
reader votes on is their own choice, which the page asks them to make (``web.feedback_routes``);
one token per recipient and report keeps the newsletter compiled once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

from itsdangerous import BadSignature, Signer, URLSafeTimedSerializer

from core.models import Subscription

#: For demos and dry runs only: links signed with it are worthless; real sending refuses it.
DEV_SECRET_KEY = "aidaily-dev-secret-key-NOT-FOR-PRODUCTION"


_SALT = "aidaily.email."


class BadToken(ValueError):
    """A link token that was altered, signed with another key, or expired."""


class ExpiredToken(BadToken):
    """A vote token whose newsletter is too old for votes."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subscription_id: int
    address: str


def make_token(secret: str, subscription: Subscription, purpose: str = "unsubscribe") -> str:
    """A URL-safe token naming ``subscription``, signed with ``secret`` for ``purpose``."""
    if subscription.id is None:
        raise ValueError(f"{subscription.target} is not stored; its links need its id")
    return _serializer(secret, purpose).dumps([subscription.id, subscription.address])


def verify_token(
    secret: str, token: str, purpose: str = "unsubscribe", *, max_age: int | None = None
) -> TokenClaims:
    """The claims of ``token``; ``BadToken`` if it was not made by ``make_token`` with ``secret``
    for ``purpose`` (or is older than ``max_age`` seconds). Unsubscribe links never expire."""
    try:
        value = _serializer(secret, purpose).loads(token, max_age=max_age)
    except BadSignature as exc:
        raise BadToken(f"invalid {purpose} token") from exc
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        raise BadToken(f"invalid {purpose} token")
    return TokenClaims(value[0], str(value[1]))


@dataclass(frozen=True, slots=True)
class VoteClaims:
    subscription_id: int
    day: date  # the report whose items the token may vote on


_VOTE_VALUE = re.compile(r"(\d{1,18})\.(\d{4}-\d{2}-\d{2})")


def make_vote_token(secret: str, subscription: Subscription, day: date) -> str:
    """The token of ``subscription``'s vote links in the newsletter of ``day``."""
    if subscription.id is None:
        raise ValueError(f"{subscription.target} is not stored; its links need its id")
    return _vote_signer(secret).sign(f"{subscription.id}.{day.isoformat()}").decode("ascii")


def verify_vote_token(secret: str, token: str, *, today: date, max_days: int) -> VoteClaims:
    """The claims of a vote token; ``BadToken`` if ``make_vote_token`` did not make it with
    ``secret``; ``ExpiredToken`` if its report is more than ``max_days`` before ``today``."""
    try:
        value = _vote_signer(secret).unsign(token).decode("ascii")
    except (BadSignature, UnicodeError) as exc:
        raise BadToken("invalid vote token") from exc
    match = _VOTE_VALUE.fullmatch(value)
    day = _day(match.group(2)) if match else None
    if match is None or day is None:
        raise BadToken("invalid vote token")
    if day + timedelta(days=max_days) < today:
        raise ExpiredToken("expired vote token")
    return VoteClaims(int(match.group(1)), day)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _vote_signer(secret: str) -> Signer:
    return Signer(secret, salt=_SALT + "feedback", digest_method=hashlib.sha256)


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret, salt=_SALT + purpose, signer_kwargs={"digest_method": hashlib.sha256}
    )


@dataclass(frozen=True, slots=True)
class Links:
    """The per-recipient links: ``{base_url}/unsubscribe?token=...`` and ``/preferences?token=...``."""

    base_url: str
    secret: str

    def unsubscribe(self, subscription: Subscription) -> str:
        return self._url("unsubscribe", subscription)

    def preferences(self, subscription: Subscription) -> str:
        return self._url("preferences", subscription)

    def feedback(self, subscription: Subscription, day: date) -> str:
        """``{base_url}/feedback?token=...`` for ``day``'s newsletter; an item's link adds ``&item=KEY``."""
        token = make_vote_token(self.secret, subscription, day) if subscription.id is not None else "PREVIEW"
        return f"{self.base_url.rstrip('/')}/feedback?token={quote(token, safe='')}"

    def _url(self, purpose: str, subscription: Subscription) -> str:
        # A preview of a subscription that is not stored (the demo's) has no id to sign.
        token = make_token(self.secret, subscription, purpose) if subscription.id is not None else "PREVIEW"
        return f"{self.base_url.rstrip('/')}/{purpose}?token={quote(token, safe='')}"
