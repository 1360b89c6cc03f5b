"""The web app's shell, and the harness the other ``test_web_*`` files drive it with.

``open_site(store)`` builds the real app (``web.app.create_app``) on a real store, with the real
SMTP confirmation mailer talking to aiosmtpd on loopback, and a stepped clock for the rate
limits; ``Site`` talks to it through httpx's ASGI transport (one client, with its own cookie
jar, per client IP). ``test_web_subscribe`` also serves it with uvicorn over a socket.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import asgi_client
import httpx
import pytest
from fakes.smtp_server import SmtpServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.models import Channel, Subscription
from core.platforms.smtp import SmtpOptions, SmtpSender
from core.store import Store
from web.app import create_app
from web.confirm_mail import ConfirmationMailer, SmtpConfirmationMailer
from web.middleware import SECURITY_HEADERS
from web.ratelimit import SlidingWindowLimiter

PUBLIC = "https://daily.example.org"
SECRET = "web-test-secret-key"
FROM = "AI Daily <daily@example.org>"
HOUR = 3600


class SteppedClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Site:
    store: Store
    smtp: SmtpServer
    clock: SteppedClock
    app: Starlette
    runner: asyncio.Runner
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def client(self, ip: str = "192.0.2.10") -> httpx.AsyncClient:
        if ip not in self.clients:
            transport = httpx.ASGITransport(app=self.app, client=(ip, 40000))
            self.clients[ip] = httpx.AsyncClient(transport=transport, base_url=PUBLIC)
        return self.clients[ip]

    def get(self, url: str, *, ip: str = "192.0.2.10") -> httpx.Response:
        return self.runner.run(self.client(ip).get(url))

    def post(self, url: str, *, ip: str = "192.0.2.10", **options: Any) -> httpx.Response:
        return self.runner.run(self.client(ip).post(url, **options))

    def subscribe(
        self,
        address: str,
        sections: Sequence[str] = (),
        language: str = "en",
        *,
        ip: str = "192.0.2.10",
        **extra: str,
    ) -> httpx.Response:
        """Open the form, as a browser does, and send it filled in (``extra``: cadence, include,
        exclude)."""
        token = form_token(self.get("/subscribe", ip=ip).text)
        fields = {"form_token": token, "email": address, "sections": list(sections), "language": language}
        fields |= extra
        return self.post("/subscribe", ip=ip, data=fields)

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [received.message for received in self.smtp.to(address)]

    def email(self, address: str) -> Subscription | None:
        return self.store.find_subscription(Channel.EMAIL, address)

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()


@contextmanager
def open_site(
    store: Store,
    *,
    limit: int = 100,
    confirm_max_age: int = 48 * HOUR,
    mailer: ConfirmationMailer | None = None,
) -> Iterator[Site]:
    with SmtpServer() as smtp, asyncio.Runner() as runner:
        sender = SmtpSender(SmtpOptions("127.0.0.1", smtp.port, tls="none", attempts=2, backoff=0.01))
        clock = SteppedClock()
        app = create_app(
            store,
            secret_key=SECRET,
            public_url=PUBLIC,
            mailer=mailer or SmtpConfirmationMailer(sender, FROM),
            confirm_max_age=confirm_max_age,
            subscribe_limit=limit,
            clock=clock,
        )
        site = Site(store, smtp, clock, app, runner)
        try:
            yield site
        finally:
            runner.run(site.aclose())
            runner.run(sender.aclose())


def form_token(page: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    assert found, "the page has no form token"
    return found.group(1)


def text_and_html(message: EmailMessage) -> dict[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


def link_in(message: EmailMessage, base: str = PUBLIC) -> str:
    """The one link of a confirmation mail, as its text part gives it (a path with its query)."""
    [url] = re.findall(r"https?://\S+", text_and_html(message)["text/plain"])
    assert url.startswith(base + "/")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def stored_email(store: Store, address: str, **options: Any) -> Subscription:
    """An email subscription put straight into the store (confirmed unless told otherwise)."""
    stored, _ = store.add_subscription(Subscription(Channel.EMAIL, address, **options))
    return stored


@pytest.fixture
def site(store: Store) -> Iterator[Site]:
    with open_site(store) as opened:
        yield opened


# --- headers every page carries -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/subscribe", "/confirm?token=x", "/preferences", "/unsubscribe?token=x"]
)
def test_every_page_carries_the_security_headers(site, path):
    response = site.get(path)

    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"].startswith("text/html")


def test_an_https_site_tells_browsers_to_stay_on_https(site, store):
    plain = create_app(
        store,
        secret_key=SECRET,
        public_url="http://127.0.0.1:8000",
        mailer=None,
        confirm_max_age=60,
        subscribe_limit=1,
    )

    assert site.get("/").headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in asgi_client.get(plain, "/").headers


def test_a_500_page_carries_the_security_headers_too(store):
    def boom(request: Request) -> Response:
        raise RuntimeError("a bug in an endpoint")

    app = create_app(
        store,
        secret_key=SECRET,
        public_url=PUBLIC,
        mailer=None,
        confirm_max_age=60,
        subscribe_limit=1,
        extra_routes=[Route("/boom", boom)],
    )
    with asgi_client.UvicornThread(app) as served:
        response = httpx.get(f"{served.origin}/boom")

    assert response.status_code == 500
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "Strict-Transport-Security" in response.headers


def test_a_form_page_is_mobile_friendly_and_sets_a_strict_http_only_cookie(site):
    response = site.get("/")

    assert response.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text
    cookie = response.headers["Set-Cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    assert 'name="email"' in response.text and 'name="sections"' in response.text
    assert '<option value="zh-TW"' in response.text and '<option value="en"' in response.text


# --- bodies too large to read -------------------------------------------------------------------


def test_a_huge_form_body_is_refused_before_it_is_parsed(site):
    token = form_token(site.get("/subscribe").text)
    fields = {"form_token": token, "email": "big@example.org", "padding": "x" * 200_000}

    response = site.post("/subscribe", data=fields)

    assert response.status_code == 413
    assert response.headers["X-Frame-Options"] == "DENY"
    assert site.email("big@example.org") is None and site.smtp.messages == []


def test_a_huge_streamed_body_without_a_length_is_refused_too(site):
    async def chunks() -> AsyncIterator[bytes]:
        yield b"email=streamed%40example.org&padding="
        for _ in range(100):
            yield b"x" * 4096

    response = site.post("/unsubscribe?token=x", content=chunks())

    assert response.status_code == 413
    assert "content-length" not in response.request.headers


def test_a_small_body_still_reaches_the_endpoint(site):
    response = site.post("/unsubscribe?token=not-a-token", data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 400  # read and judged by the endpoint, not refused for size


# --- the sliding window -------------------------------------------------------------------------


def test_the_limiter_allows_the_limit_then_says_how_long_to_wait():
    clock = SteppedClock()
    limiter = SlidingWindowLimiter(3, 3600, clock)

    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    clock.advance(600)
    assert limiter.hit("a") == 3000  # the first hit leaves the window in 50 minutes
    assert limiter.hit("b") is None  # other keys are counted apart


def test_the_window_slides_one_hit_at_a_time():
    clock = SteppedClock()
    limiter = SlidingWindowLimiter(2, 100, clock)
    limiter.hit("a")
    clock.advance(60)
    limiter.hit("a")

    clock.advance(40)  # the first hit is now exactly 100 s old: out of the window
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 60  # the hit made at 60 s leaves at 160 s


def test_refused_hits_do_not_extend_the_wait():
    clock = SteppedClock()
    limiter = SlidingWindowLimiter(1, 100, clock)
    limiter.hit("a")
    for _ in range(50):
        clock.advance(1)
        limiter.hit("a")

    clock.advance(50)
    assert limiter.hit("a") is None


def test_keys_whose_hits_have_expired_are_forgotten():
    clock = SteppedClock()
    limiter = SlidingWindowLimiter(1, 10, clock)
    for n in range(1000):
        limiter.hit(f"client-{n}")
    clock.advance(11)
    for n in range(100):
        limiter.hit(f"later-{n}")

    assert len(limiter) < 200


@pytest.mark.parametrize(("limit", "window"), [(0, 10), (1, 0), (-1, 5)])
def test_a_limiter_refuses_a_meaningless_limit(limit, window):
    with pytest.raises(ValueError):
        SlidingWindowLimiter(limit, window)


def test_the_app_refuses_an_empty_secret_key(store):
    with pytest.raises(ValueError, match="secret key"):
        create_app(
            store, secret_key="", public_url=PUBLIC, mailer=None, confirm_max_age=60, subscribe_limit=1
        )
