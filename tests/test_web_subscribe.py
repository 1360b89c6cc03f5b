"""Signing up: the form, double opt-in mail through a real SMTP server, confirming the link.

The confirmation mail is read back from aiosmtpd with the standard email parser and its link
followed, as a reader would. One test runs the app under uvicorn on a loopback socket.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from types import SimpleNamespace
from urllib.parse import quote

import httpx
import itsdangerous.timed
import pytest
import uvicorn
from fakes.smtp_server import SmtpServer
from test_web_site import FROM, HOUR, SECRET, form_token, link_in, open_site, stored_email, text_and_html

from core.links import make_token
from core.models import ALL_SECTIONS, Cadence, Channel, Rules, Subscription, SubscriptionStatus
from core.platforms.smtp import SmtpOptions, SmtpSender
from core.store import Store
from web.app import create_app
from web.confirm_mail import SmtpConfirmationMailer

HOSTILE = '"><script>alert(1)</script>'


@pytest.fixture
def site(store):
    with open_site(store) as opened:
        yield opened


# --- the whole flow -----------------------------------------------------------------------------


def test_sign_up_mails_a_link_that_confirms_the_subscription(site):
    response = site.subscribe("Reader@Example.ORG", sections=["research", "tools"], language="zh-TW")

    assert response.status_code == 200 and "Check your inbox" in response.text
    pending = site.email("Reader@example.org")  # stored normalized: the domain lower-cased
    assert pending is not None and pending.status == SubscriptionStatus.PENDING
    assert pending.sections == ("research", "tools") and pending.language == "zh-TW"

    [mail] = site.mails_to("Reader@example.org")
    assert mail["Subject"] == "Confirm your AI Daily subscription"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Message-ID"].endswith("@example.org>") and mail["Date"]
    parts = text_and_html(mail)
    link = link_in(mail)
    assert link.startswith("/confirm?token=")
    assert link.replace("&", "&amp;") in parts["text/html"] and "48 hours" in parts["text/plain"]

    page = site.get(link)

    assert page.status_code == 200 and "You are subscribed" in page.text
    assert site.email("Reader@example.org").status == SubscriptionStatus.CONFIRMED
    assert "/preferences?token=" in page.text


def test_confirming_twice_is_harmless(site):
    site.subscribe("twice@example.org")
    link = link_in(site.mails_to("twice@example.org")[0])

    first, second = site.get(link), site.get(link)

    assert first.status_code == second.status_code == 200
    assert site.email("twice@example.org").status == SubscriptionStatus.CONFIRMED


def test_sign_up_and_confirm_over_real_http_with_uvicorn(store):
    with SmtpServer() as smtp, serving(store, smtp) as base, httpx.Client(base_url=base) as browser:
        form = browser.get("/subscribe")
        fields = {"form_token": form_token(form.text), "email": "live@example.org", "language": "en"}
        answer = browser.post("/subscribe", data=fields)
        mail = _wait_for_mail(smtp, "live@example.org")
        confirmation = browser.get(link_in(mail, base))

    assert form.status_code == 200 and answer.status_code == 200 and "Check your inbox" in answer.text
    assert answer.headers["Referrer-Policy"] == "no-referrer" and "server" not in answer.headers
    assert confirmation.status_code == 200 and "You are subscribed" in confirmation.text
    live = store.find_subscription(Channel.EMAIL, "live@example.org")
    assert live is not None and live.status == SubscriptionStatus.CONFIRMED and live.language == "en"


# --- one answer for every address ---------------------------------------------------------------


def test_the_answer_is_the_same_whatever_state_the_address_is_in(site):
    stored_email(site.store, "pending@example.org", status=SubscriptionStatus.PENDING)
    stored_email(site.store, "reader@example.org", sections=("market",))
    stored_email(site.store, "left@example.org", status=SubscriptionStatus.UNSUBSCRIBED)
    stored_email(site.store, "bounced@example.org", status=SubscriptionStatus.BOUNCED)
    addresses = ["new@example.org", "pending@example.org", "reader@example.org", "left@example.org"]

    answers = [site.subscribe(a, sections=["research"]) for a in [*addresses, "bounced@example.org"]]

    first = answers[0]
    for answer in answers[1:]:
        assert answer.status_code == first.status_code == 200
        assert answer.text == first.text
        assert answer.headers.multi_items() == first.headers.multi_items()
    assert "@example.org" not in first.text


def test_a_returning_address_confirms_again_and_a_subscriber_keeps_their_options(site):
    stored_email(site.store, "reader@example.org", sections=("market",), language="zh-TW")
    stored_email(site.store, "left@example.org", status=SubscriptionStatus.UNSUBSCRIBED)

    site.subscribe("reader@example.org", sections=["research"], language="en")
    site.subscribe("left@example.org", sections=["research"])

    reader = site.email("reader@example.org")
    assert reader.status == SubscriptionStatus.CONFIRMED
    assert reader.sections == ("market",) and reader.language == "zh-TW"  # a stranger changes nothing
    [note] = site.mails_to("reader@example.org")
    assert note["Subject"] == "Your AI Daily subscription"
    assert link_in(note).startswith("/preferences?token=")
    assert "already subscribed" in text_and_html(note)["text/plain"]

    returning = site.email("left@example.org")
    assert returning.status == SubscriptionStatus.PENDING and returning.sections == ("research",)
    [mail] = site.mails_to("left@example.org")
    assert site.get(link_in(mail)).status_code == 200
    assert site.email("left@example.org").status == SubscriptionStatus.CONFIRMED


def test_a_failed_mail_still_answers_the_same_and_logs_no_link(site, caplog):
    site.smtp.refuse("broken@example.org", 550, times=None)
    expected = site.subscribe("fine@example.org")

    with caplog.at_level(logging.WARNING, logger="web"):
        answer = site.subscribe("broken@example.org")

    assert answer.status_code == 200 and answer.text == expected.text
    assert site.mails_to("broken@example.org") == []
    [record] = [r for r in caplog.records if r.name.startswith("web")]
    assert "not sent" in record.getMessage() and "SmtpBounce" in record.getMessage()
    assert "token" not in record.getMessage() and "broken@example.org" not in record.getMessage()


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        f"{HOSTILE}@example.org",
        "no-at-sign",
        "two@@example.org",
        "",
        "a" * 300 + "@example.org",
        "x@localhost",
    ],
)
def test_an_invalid_address_shows_the_form_again_without_running_what_it_holds(site, address):
    response = site.subscribe(address)

    assert response.status_code == 400
    assert 'class="error"' in response.text and 'name="form_token"' in response.text
    assert "<script>" not in response.text
    if address.startswith(HOSTILE):
        assert "&lt;script&gt;" in response.text  # echoed back, escaped
    assert site.store.subscriptions() == [] and site.smtp.messages == []


@pytest.mark.parametrize(
    ("sections", "language"), [(["research", "nonsense"], "en"), ([], "fr"), ([HOSTILE], "en")]
)
def test_unknown_sections_or_languages_are_refused(site, sections, language):
    response = site.subscribe("reader@example.org", sections=sections, language=language)

    assert response.status_code == 400 and "<script>" not in response.text
    assert site.store.subscriptions() == []


def test_sign_up_with_weekly_and_keywords_stores_them_normalized(site):
    fields = {
        "cadence": "weekly",
        "include": "ＯｐｅｎＡＩ\n語言模型, large  language model",
        "exclude": "crypto",
    }
    response = site.subscribe("rules@example.org", **fields)

    assert response.status_code == 200 and "Check your inbox" in response.text
    pending = site.email("rules@example.org")
    assert pending.cadence is Cadence.WEEKLY
    assert pending.rules == Rules(("OpenAI", "語言模型", "large language model"), ("crypto",))


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"include": f"{HOSTILE}, .*"}, "no letter or digit"),
        ({"exclude": ",".join(f"term{n}" for n in range(51))}, "at most 50"),
        ({"include": "a" * 81}, "too long"),
        ({"include": "x, " * 5_000}, "too many"),  # under the 64 KiB body cap
        ({"cadence": "hourly"}, "daily or weekly"),
    ],
)
def test_bad_keywords_or_cadence_are_refused_and_what_was_typed_comes_back_escaped(site, fields, fragment):
    response = site.subscribe("reader@example.org", **fields)

    assert response.status_code == 400 and fragment in response.text
    assert "<script>" not in response.text
    if HOSTILE in fields.get("include", ""):
        assert "&#34;&gt;&lt;script&gt;" in response.text or "&quot;&gt;&lt;script&gt;" in response.text
    assert site.store.subscriptions() == [] and site.smtp.messages == []


def test_ticking_every_section_or_none_means_the_whole_report(site):
    everything = [section.key for section in ALL_SECTIONS]
    site.subscribe("all@example.org", sections=everything)
    site.subscribe("none@example.org", sections=[])

    assert site.email("all@example.org").sections == () and site.email("none@example.org").sections == ()


def test_a_form_without_its_token_or_cookie_is_refused(site):
    fresh = form_token(site.get("/subscribe").text)
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.app), base_url="https://daily.example.org"
    )
    site.clients["cookieless"] = other
    attempts = [
        site.post("/subscribe", data={"email": "a@example.org"}),
        site.post("/subscribe", data={"email": "a@example.org", "form_token": fresh[:-2] + "xx"}),
        site.post("/subscribe", data={"email": "a@example.org", "form_token": HOSTILE}),
        site.runner.run(other.post("/subscribe", data={"email": "a@example.org", "form_token": fresh})),
    ]

    assert [a.status_code for a in attempts] == [403, 403, 403, 403]
    assert "has expired" in attempts[0].text and "<script>" not in attempts[2].text
    assert site.store.subscriptions() == [] and site.smtp.messages == []


# --- links that do not confirm ------------------------------------------------------------------


def _token_from_the_past(secret: str, subscription: Subscription, seconds_ago: int, monkeypatch) -> str:
    """A confirm token signed ``seconds_ago``: itsdangerous reads the time only while signing."""
    with monkeypatch.context() as patched:
        patched.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: time.time() - seconds_ago))
        return make_token(secret, subscription, "confirm")


def test_an_expired_confirmation_link_is_refused_with_a_way_forward(site, monkeypatch):
    pending = stored_email(site.store, "late@example.org", status=SubscriptionStatus.PENDING)
    token = _token_from_the_past(SECRET, pending, 48 * HOUR + 60, monkeypatch)
    fresh = _token_from_the_past(SECRET, pending, 47 * HOUR, monkeypatch)

    expired = site.get(f"/confirm?token={token}")

    assert expired.status_code == 400 and "expired" in expired.text and 'href="/subscribe"' in expired.text
    assert site.email("late@example.org").status == SubscriptionStatus.PENDING
    assert site.get(f"/confirm?token={fresh}").status_code == 200


@pytest.mark.parametrize("purpose", ["unsubscribe", "preferences"])
def test_a_token_made_for_another_purpose_does_not_confirm(site, purpose):
    pending = stored_email(site.store, "p@example.org", status=SubscriptionStatus.PENDING)

    response = site.get(f"/confirm?token={make_token(SECRET, pending, purpose)}")

    assert response.status_code == 400 and site.email("p@example.org").status == SubscriptionStatus.PENDING


def test_tampered_or_foreign_confirmation_tokens_are_refused(site):
    pending = stored_email(site.store, "p@example.org", status=SubscriptionStatus.PENDING)
    good = make_token(SECRET, pending, "confirm")
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    foreign = make_token("another-key", pending, "confirm")

    for token in [tampered, foreign, "", "x" * 5000, quote(HOSTILE)]:
        response = site.get(f"/confirm?token={token}")
        assert response.status_code == 400 and "<script>" not in response.text
    assert site.email("p@example.org").status == SubscriptionStatus.PENDING


def test_an_old_link_does_not_confirm_an_address_that_left(site):
    left = stored_email(site.store, "left@example.org", status=SubscriptionStatus.UNSUBSCRIBED)

    response = site.get(f"/confirm?token={make_token(SECRET, left, 'confirm')}")

    assert response.status_code == 400
    assert site.email("left@example.org").status == SubscriptionStatus.UNSUBSCRIBED


# --- rate limits --------------------------------------------------------------------------------


def test_a_client_over_its_hourly_limit_gets_429_with_retry_after(store):
    with open_site(store, limit=2) as site:
        allowed = [site.subscribe(f"r{n}@example.org").status_code for n in range(2)]
        refused = site.subscribe("r3@example.org")
        elsewhere = site.subscribe("r4@example.org", ip="198.51.100.7")
        site.clock.advance(HOUR)
        later = site.subscribe("r5@example.org")

    assert allowed == [200, 200]
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert "Please wait" in refused.text and refused.headers["X-Frame-Options"] == "DENY"
    assert site.email("r3@example.org") is None
    assert elsewhere.status_code == 200 and later.status_code == 200


def test_one_address_cannot_be_mail_bombed_from_many_clients(store):
    with open_site(store, limit=2) as site:
        spellings = ["victim@example.org", "Victim@example.org", "VICTIM@Example.org", "victim@EXAMPLE.ORG"]
        answers = [site.subscribe(a, ip=f"203.0.113.{n}") for n, a in enumerate(spellings, 1)]
        mails = site.smtp.messages

    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert len(mails) == 2


def test_plus_tags_do_not_make_one_inbox_many(store):
    with open_site(store, limit=2) as site:
        tagged = [f"victim+{n}@example.org" for n in range(1, 8)]
        answers = [site.subscribe(a, ip=f"203.0.113.{n}") for n, a in enumerate(tagged, 1)]
        mails = site.smtp.messages

    assert [a.status_code for a in answers] == [200, 200] + [429] * 5
    assert len(mails) == 2


def test_gmail_dots_and_googlemail_reach_the_same_inbox(store):
    with open_site(store, limit=2) as site:
        spellings = ["jane.doe@gmail.com", "janedoe@googlemail.com", "J.a.n.e.Doe+x@Gmail.com"]
        answers = [site.subscribe(a, ip=f"203.0.113.{n}") for n, a in enumerate(spellings, 1)]
        other_provider = site.subscribe("jane.doe@example.org", ip="203.0.113.9")

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert other_provider.status_code == 200


# --- helpers ------------------------------------------------------------------------------------


@contextmanager
def serving(store: Store, smtp: SmtpServer) -> Iterator[str]:
    """The app under uvicorn on a loopback socket the OS picked, in a thread of its own, with its
    SMTP sender opened on the server's loop as ``app.web`` does; yields the base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    holder: dict[str, uvicorn.Server] = {}

    async def main() -> None:
        async with SmtpSender(SmtpOptions("127.0.0.1", smtp.port, tls="none")) as sender:
            mailer = SmtpConfirmationMailer(sender, FROM)
            app = create_app(
                store,
                secret_key=SECRET,
                public_url=base,
                mailer=mailer,
                confirm_max_age=HOUR,
                subscribe_limit=5,
            )
            holder["server"] = uvicorn.Server(uvicorn.Config(app, log_level="warning", server_header=False))
            await holder["server"].serve(sockets=[listener])

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    try:
        _until(lambda: "server" in holder and holder["server"].started)
        yield base
    finally:
        if "server" in holder:
            holder["server"].should_exit = True
        thread.join(10)
        listener.close()


def _wait_for_mail(smtp: SmtpServer, address: str) -> EmailMessage:
    """The first mail to ``address``; uvicorn sends it after the response, so it may lag a little."""
    _until(lambda: bool(smtp.to(address)))
    return smtp.to(address)[0].message


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_ipv6_clients_are_counted_by_their_slash_64(store):
    with open_site(store, limit=2) as site:
        answers = [site.subscribe(f"v6-{n}@example.org", ip=f"2001:db8:1:2::{n:x}") for n in range(1, 4)]
        other_net = site.subscribe("v6-other@example.org", ip="2001:db8:1:3::1")

    assert [a.status_code for a in answers] == [200, 200, 429] and other_net.status_code == 200
