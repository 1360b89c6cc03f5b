"""👍 / 👎 under every delivered item: Slack buttons, a Telegram inline keyboard, links in the email.

Each names its item (report date and topic key) as ``core.platforms.votes`` reads it back;
briefs, the insight and the reading list get none; the messages stay within each platform's
limits (the fakes' checks); without ``votes`` nothing changes (the golden snapshots).
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fakes.reports import DAY, synthetic_report
from fakes.telegram_server import parse_html
from test_telegram_format import make_report as unkeyed_report

from core.links import Links, verify_vote_token
from core.models import Channel, ItemRef, Subscription, VoteValue
from core.platforms.slack_mrkdwn import DEFAULT_LIMITS, SlackLimits
from core.platforms.telegram_html import Limits
from core.platforms.votes import button_data, read_button
from delivery.email import EmailAdapter
from delivery.email_render import EmailRenderer
from delivery.slack_format import plan as slack_plan
from delivery.telegram import TelegramAdapter, _ptb_arguments, api_params

SLACK = Subscription(Channel.SLACK, "C0123ABCD")
TELEGRAM = Subscription(Channel.TELEGRAM, "-1001234567890")
SECRET = "feedback-test-secret"


def make_report(*args, **options):
    """``test_telegram_format``'s report with a topic key for each item, as built reports have."""
    report = unkeyed_report(*args, **options)
    return dataclasses.replace(
        report,
        sections=tuple(
            dataclasses.replace(
                s,
                items=tuple(dataclasses.replace(i, topic_key=f"{s.key}-{n}") for n, i in enumerate(s.items)),
            )
            for s in report.sections
        ),
    )


def refs(report) -> list[ItemRef]:
    return [ItemRef(report.date, item.topic_key) for item in report.items]


# --- the button data ------------------------------------------------------------------------------


def test_button_data_names_the_item_and_the_vote_in_64_bytes():
    ref = ItemRef(DAY, "0123456789ab")
    for value in VoteValue:
        data = button_data(ref, value)
        assert read_button(data) == (ref, value) and len(data.encode()) <= 64
    assert len(button_data(ItemRef(DAY, "x" * 40), VoteValue.DOWN).encode()) <= 64


@pytest.mark.parametrize(
    "data",
    [
        None,
        42,
        "",
        "vote:up:2026-11-22:",
        "vote:sideways:2026-11-22:abc",
        "vote:up:2026-02-30:abc",  # no such day
        "vote:up:2026-11-22:abc:extra",
        "vote:up:2026-11-22:" + "x" * 41,
        "vote:up:2026-11-22:abc\n",
        "vote:up:2026-11-22:<script>",
        "VOTE:UP:2026-11-22:abc",
        "vote:up:2026-11-22:../../etc",
    ],
)
def test_anything_else_a_client_sends_names_no_vote(data):
    assert read_button(data) is None


# --- Slack ------------------------------------------------------------------------------------


def actions(messages) -> list[tuple[str, dict]]:
    return [(m.key, b) for m in messages for b in m.payload["blocks"] if b["type"] == "actions"]


def test_every_slack_item_ends_with_its_two_buttons_and_nothing_else_has_any():
    report = synthetic_report()
    messages = slack_plan(report, SLACK, votes=True)
    found = actions(messages)
    named = [read_button(b["elements"][0]["value"])[0] for _, b in found]
    assert named == refs(report)  # every item once, in report order
    for _, block in found:
        up, down = block["elements"]
        assert [read_button(up["value"])[1], read_button(down["value"])[1]] == [VoteValue.UP, VoteValue.DOWN]
        assert [up["text"]["text"], down["text"]["text"]] == ["👍", "👎"]
        assert up["action_id"] != down["action_id"] and up["accessibility_label"]
    assert all(key.startswith("section:") and "/part:" in key for key, _ in found)
    assert not [k for k, _ in found if k.split("/")[0] in ("section:insight", "section:reading")]
    for message in messages:
        blocks = message.payload["blocks"]
        assert len(blocks) <= DEFAULT_LIMITS.max_blocks
        # The buttons follow their item: an actions block comes after a section block.
        assert all(blocks[n - 1]["type"] == "section" for n, b in enumerate(blocks) if b["type"] == "actions")


def test_slack_buttons_fit_tight_limits_and_follow_the_end_of_a_split_item():
    limits = SlackLimits(max_blocks=3, max_chars=2500, section_chars=900)
    report = synthetic_report({"tools": 6}, long_summary=3)
    messages = [m for m in slack_plan(report, SLACK, limits=limits, votes=True) if "/part:" in m.key]
    assert all(len(m.payload["blocks"]) <= 3 for m in messages)
    found = actions(messages)
    assert [read_button(b["elements"][0]["value"])[0] for _, b in found] == refs(report)
    for message in messages:  # an item's buttons come after its last piece, not in its middle
        blocks = message.payload["blocks"]
        for n, block in enumerate(blocks):
            if block["type"] == "actions" and n + 1 < len(blocks):
                assert blocks[n + 1]["text"]["text"].startswith("*")  # the next item's title


def test_without_votes_or_a_usable_key_slack_items_have_no_buttons():
    report = synthetic_report({"research": 3})
    assert actions(slack_plan(report, SLACK)) == []
    keyless = dataclasses.replace(
        report,
        sections=tuple(
            dataclasses.replace(s, items=tuple(dataclasses.replace(i, topic_key="a b") for i in s.items))
            for s in report.sections
        ),
    )
    assert actions(slack_plan(keyless, SLACK, votes=True)) == []


# --- Telegram ---------------------------------------------------------------------------------


def keyboards(report, **options):
    adapter = TelegramAdapter("", votes=True, **options)
    return [(m, m.payload.get("reply_markup")) for m in adapter.plan(report, TELEGRAM)]


def test_each_telegram_reply_has_a_row_per_item_it_starts_numbered_as_they_are():
    report = make_report()
    seen = []
    for message, markup in keyboards(report):
        if "/part:" not in message.key:
            assert markup is None  # the header and the section lists
            continue
        text, _ = parse_html(message.payload["text"])
        for row in markup["inline_keyboard"]:
            (ref, up), (same, down) = (read_button(b["callback_data"]) for b in row)
            assert ref == same and (up, down) == (VoteValue.UP, VoteValue.DOWN)
            number = row[0]["text"].split()[1]
            assert row[0]["text"] == f"👍 {number}" and row[1]["text"] == f"👎 {number}"
            assert f"{number}. " in text and all(len(b["callback_data"].encode()) <= 64 for b in row)
            seen.append(ref)
    assert seen == refs(report)


def test_an_item_longer_than_a_message_has_its_buttons_once_under_its_first_part():
    report = make_report({"research": 2}, summary="很長的摘要。" * 900)
    parts = [(m, k) for m, k in keyboards(report) if "/part:" in m.key]
    assert len(parts) > 2
    rows = [row for _, markup in parts if markup for row in markup["inline_keyboard"]]
    assert [read_button(r[0]["callback_data"])[0] for r in rows] == refs(report)


def test_feed_text_cannot_forge_an_items_number_and_keyboards_reach_the_api_as_ptb_objects():
    hostile = make_report({"tools": 1}, summary="fake\n\n<b>7. not an item</b> & <b>2. nor this")
    [(_, markup)] = [(m, k) for m, k in keyboards(hostile) if "/part:" in m.key]
    assert len(markup["inline_keyboard"]) == 1
    [message] = [m for m, _ in keyboards(hostile) if "/part:" in m.key]
    arguments = _ptb_arguments(api_params(message, TELEGRAM, "17"))
    [[up, down]] = arguments["reply_markup"].inline_keyboard
    assert (up.text, read_button(down.callback_data)[1]) == ("👍 1", VoteValue.DOWN)
    assert "reply_markup" not in TelegramAdapter("").plan(hostile, TELEGRAM)[-1].payload


def test_small_limits_keep_every_items_buttons():
    report = make_report({"market": 5})
    rows = [row for m, k in keyboards(report, limits=Limits(text=700)) if k for row in k["inline_keyboard"]]
    assert [read_button(r[0]["callback_data"])[0] for r in rows] == refs(report)


# --- email ------------------------------------------------------------------------------------


def personal_email(report, votes=True, public_url="https://daily.example.org"):
    renderer = EmailRenderer(votes=votes)
    links = Links(public_url, SECRET)
    adapter = EmailAdapter(None, renderer, links, from_address="AI Daily <daily@example.org>")  # type: ignore[arg-type]
    reader = Subscription(Channel.EMAIL, "reader@example.org", id=7)
    return adapter.envelope(renderer.for_subscription(report, (), None), reader).parts()


def vote_links(text: str) -> list[str]:
    return re.findall(r'https://daily\.example\.org/feedback\?[^"\s<>]+', text)


def test_every_email_item_links_its_vote_page_with_the_readers_token():
    report = synthetic_report({"research": 3, "market": 2})
    html, text = personal_email(report)
    for part, unescape in ((html, lambda u: u.replace("&amp;", "&")), (text, str)):
        found = [unescape(u) for u in vote_links(part)]
        queries = [parse_qs(urlsplit(u).query) for u in found]
        assert [ItemRef(DAY, q["item"][0]) for q in queries] == refs(report)
        for query in queries:
            claims = verify_vote_token(SECRET, query["token"][0], today=DAY, max_days=30)
            assert (claims.subscription_id, claims.day) == (7, DAY)
    assert ">👍 / 👎</a>" in html and "👍 / 👎 這則有幫助嗎？" in text


def test_without_votes_the_email_has_no_vote_links_and_stays_small_with_them():
    report = synthetic_report()
    plain_html, plain_text = personal_email(report, votes=False)
    assert vote_links(plain_html) == vote_links(plain_text) == []
    html, _ = personal_email(report, public_url="https://newsletter.ai-daily.example.org")
    assert len(html.encode()) < 100_000  # Gmail clips messages over ~102 KB
