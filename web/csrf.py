"""Cross-site request forgery protection for the subscribe form: a signed double-submit cookie.

Showing the form sets a cookie holding a random nonce (``HttpOnly``, ``SameSite=Strict``,
``Secure`` when the site is served over https) and puts into the form a token: that nonce
signed with the secret key and a timestamp. A POST is accepted only when the token's signature
is good, it is younger than ``max_age``, and its nonce equals the cookie's. Another site can
neither read nor set our cookie, and a browser does not send a ``SameSite=Strict`` cookie with
a cross-site POST, so a forged form fails; no server-side session is needed.

Links from email (confirm, preferences, unsubscribe) need no such token: their own signed token
is the authority, and RFC 8058 one-click unsubscribe is posted by mail providers without
cookies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, TimestampSigner
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "aidaily_form"
FIELD = "form_token"
_SALT = "aidaily.web.form"


class FormGuard:
    """Issues form tokens (``issue``) and checks posted forms (``check``)."""

    def __init__(self, secret: str, *, secure: bool, max_age: int = 2 * 3600) -> None:
        self._signer = TimestampSigner(secret, salt=_SALT, digest_method=hashlib.sha256)
        self.secure = secure
        self.max_age = max_age

    def issue(self, request: Request) -> str:
        """The token for a form shown to this client, reusing the nonce it already holds so
        that two open tabs both work."""
        nonce = request.cookies.get(COOKIE) or ""
        if not _is_nonce(nonce):
            nonce = secrets.token_urlsafe(24)
        return self._signer.sign(nonce).decode("ascii")

    def set_cookie(self, response: Response, token: str) -> None:
        nonce = token.rsplit(".", 2)[0]
        response.set_cookie(
            COOKIE, nonce, max_age=self.max_age, httponly=True, samesite="strict", secure=self.secure
        )

    def check(self, request: Request, token: object) -> bool:
        """Whether ``token`` (the posted field) was issued to this client within ``max_age``."""
        if not isinstance(token, str):
            return False
        try:
            nonce = self._signer.unsign(token, max_age=self.max_age).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return False
        cookie = request.cookies.get(COOKIE, "")
        return _is_nonce(nonce) and hmac.compare_digest(nonce.encode(), cookie.encode())


def _is_nonce(value: str) -> bool:
    return 16 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)
