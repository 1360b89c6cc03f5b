"""The links every newsletter carries: ``/preferences?token=`` and ``/unsubscribe?token=``.

Links are made by ``delivery.email.Links`` (or read from a newsletter a real delivery sent to
aiosmtpd), exactly as readers get them; after a one-click unsubscribe a second delivery proves
that the address gets nothing while a confirmed one gets its one message.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fakes.reports import synthetic_report
from test_web_site import FROM, PUBLIC, SECRET, open_site, stored_email, text_and_html

from app.channels import deliver_channels
from core.config import Settings
from core.links import Links, make_token
from core.models import Cadence, Channel, Rules, SubscriptionStatus

HOSTILE = '"><script>alert(1)</script>'
LINKS = Links(PUBLIC, SECRET)


@pytest.fixture
def site(store):
    with open_site(store) as opened:
        yield opened


def path_of(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC
    return f"{parts.path}?{parts.query}"


# --- preferences --------------------------------------------------------------------------------


def test_the_preferences_page_shows_the_current_choices(site):
    reader = stored_email(site.store, "reader@example.org", sections=("research",), language="en")

    page = site.get(path_of(LINKS.preferences(reader)))

    assert page.status_code == 200 and "reader@example.org" in page.text
    assert 'value="research" checked' in page.text and 'value="market">' in page.text
    assert '<option value="en" selected>' in page.text
    assert "/unsubscribe?token=" in page.text


def test_a_change_of_preferences_is_saved(site):
    reader = stored_email(site.store, "reader@example.org", language="zh-TW")
    link = path_of(LINKS.preferences(reader))

    saved = site.post(link, data={"sections": ["tools", "market"], "language": "en"})

    assert saved.status_code == 200 and "Saved" in saved.text
    after = site.email("reader@example.org")
    assert after.sections == ("tools", "market") and after.language == "en"
    assert after.status == SubscriptionStatus.CONFIRMED
    assert 'value="tools" checked' in site.get(link).text


def test_bad_preferences_are_refused_and_nothing_changes(site):
    reader = stored_email(site.store, "reader@example.org", sections=("research",), language="en")
    link = path_of(LINKS.preferences(reader))

    for fields in [{"sections": ["research", HOSTILE]}, {"language": HOSTILE}, {"sections": ["nope"]}]:
        response = site.post(link, data=fields)
        assert response.status_code == 400 and "<script>" not in response.text

    after = site.email("reader@example.org")
    assert after.sections == ("research",) and after.language == "en"


def test_preferences_show_and_change_the_cadence_and_keywords(site):
    reader = stored_email(site.store, "reader@example.org")
    site.store.add_subscription(
        dataclasses.replace(
            reader, cadence=Cadence.WEEKLY, rules=Rules(("OpenAI", "語言模型"), ("<b>crypto</b>",))
        )
    )
    link = path_of(LINKS.preferences(reader))

    page = site.get(link).text
    assert 'value="weekly" checked' in page and "OpenAI\n語言模型</textarea>" in page
    assert "&lt;b&gt;crypto&lt;/b&gt;</textarea>" in page  # escaped, never markup

    fields = {
        "sections": ["research"],
        "language": "en",
        "cadence": "daily",
        "include": "",
        "exclude": "ＳＰＡＭ",
    }
    saved = site.post(link, data=fields)
    assert saved.status_code == 200 and "Saved" in saved.text
    after = site.email("reader@example.org")
    assert after.cadence is Cadence.DAILY and after.rules == Rules((), ("SPAM",))


def test_bad_keywords_in_preferences_change_nothing_and_come_back_as_typed(site):
    reader = stored_email(site.store, "reader@example.org")
    site.store.add_subscription(dataclasses.replace(reader, rules=Rules(("kept",))))
    link = path_of(LINKS.preferences(reader))

    response = site.post(link, data={"language": "en", "include": f"ok, {HOSTILE}, ()", "cadence": "weekly"})

    assert response.status_code == 400 and "no letter or digit" in response.text
    assert "<script>" not in response.text and "ok, &#34;&gt;&lt;script&gt;" in response.text
    assert 'value="weekly" checked' in response.text  # the form shows what was typed
    after = site.email("reader@example.org")
    assert after.rules == Rules(("kept",)) and after.cadence is Cadence.DAILY


def test_preferences_of_an_address_that_left_do_not_resubscribe_it(site):
    left = stored_email(site.store, "left@example.org", status=SubscriptionStatus.UNSUBSCRIBED)

    response = site.post(path_of(LINKS.preferences(left)), data={"sections": ["tools"], "language": "en"})

    assert response.status_code == 200 and "receives no newsletter" in response.text
    assert site.email("left@example.org").status == SubscriptionStatus.UNSUBSCRIBED


def test_an_invalid_preferences_link_is_refused(site):
    reader = stored_email(site.store, "reader@example.org")
    good = make_token(SECRET, reader, "preferences")
    removed = stored_email(site.store, "removed@example.org")
    site.store.remove_subscription(removed.id)
    bad = [
        "/preferences",
        f"/preferences?token={good[:-3]}abc",
        f"/preferences?token={make_token(SECRET, reader, 'unsubscribe')}",
        f"/preferences?token={make_token('other-key', reader, 'preferences')}",
        path_of(LINKS.preferences(removed)),
    ]

    for link in bad:
        assert site.get(link).status_code == 400
        assert site.post(link, data={"sections": ["tools"]}).status_code == 400
    assert site.email("reader@example.org").sections == ()


# --- unsubscribe --------------------------------------------------------------------------------


def test_opening_the_unsubscribe_link_only_asks(site):
    reader = stored_email(site.store, "reader@example.org")
    link = path_of(LINKS.unsubscribe(reader))

    page = site.get(link)

    assert page.status_code == 200 and "reader@example.org" in page.text
    assert f'<form method="post" action="{link}">' in page.text
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert site.email("reader@example.org").status == SubscriptionStatus.CONFIRMED


def test_the_button_unsubscribes_and_pressing_it_again_changes_nothing(site):
    reader = stored_email(site.store, "reader@example.org")
    link = path_of(LINKS.unsubscribe(reader))

    answers = [site.post(link, data={"List-Unsubscribe": "One-Click"}) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200] and "You are unsubscribed" in answers[1].text
    assert site.email("reader@example.org").status == SubscriptionStatus.UNSUBSCRIBED


@pytest.mark.parametrize("status", [SubscriptionStatus.BOUNCED, SubscriptionStatus.UNSUBSCRIBED])
def test_unsubscribing_an_ended_address_leaves_its_status(site, status):
    ended = stored_email(site.store, "ended@example.org", status=status)

    response = site.post(path_of(LINKS.unsubscribe(ended)), content=b"List-Unsubscribe=One-Click")

    assert response.status_code == 200
    assert site.email("ended@example.org").status == status


def test_a_pending_address_can_unsubscribe_before_confirming(site):
    pending = stored_email(site.store, "pending@example.org", status=SubscriptionStatus.PENDING)

    assert site.post(path_of(LINKS.unsubscribe(pending))).status_code == 200
    assert site.email("pending@example.org").status == SubscriptionStatus.UNSUBSCRIBED


def test_an_invalid_unsubscribe_link_is_refused(site):
    reader = stored_email(site.store, "reader@example.org")
    token = make_token(SECRET, reader)

    for query in [
        "",
        "?token=",
        f"?token={token[:-2]}zz",
        f"?token={make_token(SECRET, reader, 'preferences')}",
    ]:
        assert site.get(f"/unsubscribe{query}").status_code == 400
        assert site.post(f"/unsubscribe{query}", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert site.email("reader@example.org").status == SubscriptionStatus.CONFIRMED


def test_one_click_unsubscribe_from_a_real_newsletter_stops_the_next_one(site, db_url, tmp_path):
    leaving = stored_email(site.store, "leaving@example.org")
    staying = stored_email(site.store, "staying@example.org")
    settings = _settings(site.smtp.port, db_url, tmp_path)
    first = synthetic_report({"top_headlines": 2, "research": 1})
    asyncio.run(deliver_channels(site.store, first, settings, [Channel.EMAIL]))
    [newsletter] = site.mails_to(leaving.address)
    https = newsletter["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert newsletter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # What Gmail and Yahoo send: a POST to that very URL, that body, no cookies.
    one_click = site.post(
        path_of(https),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        ip="209.85.220.41",
    )
    second = dataclasses.replace(first, date=first.date + timedelta(days=1))
    [run] = asyncio.run(deliver_channels(site.store, second, settings, [Channel.EMAIL]))

    assert one_click.status_code == 200
    assert site.email(leaving.address).status == SubscriptionStatus.UNSUBSCRIBED
    assert [r.subscription.address for r in run.results] == [staying.address] and not run.failed
    assert len(site.mails_to(leaving.address)) == 1  # the first newsletter only
    latest = site.mails_to(staying.address)[-1]
    assert len(site.mails_to(staying.address)) == 2 and latest["Subject"] == second.title
    assert set(text_and_html(latest)) == {"text/plain", "text/html"}


def _settings(smtp_port: int, db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        out_dir=tmp_path / "out",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_tls="none",
        secret_key=SECRET,
        public_url=PUBLIC,
        email_from=FROM,
    )
