"""Signed links in mail: unsubscribe, preferences and confirmation tokens (itsdangerous).

The newsletter (``delivery.email``) puts them in every message; the web app (``web``) verifies
them. A token names one subscription and one purpose, so an unsubscribe token cannot confirm.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer

from core.models import Subscription

#: For demos and dry runs only: links signed with it are worthless; real sending refuses it.
DEV_SECRET_KEY = "aidaily-dev-secret-key-NOT-FOR-PRODUCTION"


_SALT = "aidaily.email."


class BadToken(ValueError):
    """A link token that was altered, signed with another key, or expired."""


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

    def _url(self, purpose: str, subscription: Subscription) -> str:
        # A preview of a subscription that is not stored (the demo's) has no id to sign.
        token = make_token(self.secret, subscription, purpose) if subscription.id is not None else "PREVIEW"
        return f"{self.base_url.rstrip('/')}/{purpose}?token={quote(token, safe='')}"
