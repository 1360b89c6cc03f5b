"""A vote from each channel, end to end, on SQLite and PostgreSQL: the digest is delivered with its
buttons through the real clients to the loopback fakes, a reader presses one, and the vote is
stored once, changed once, and shown by ``aidaily feedback``.

- Slack: slack_sdk delivers to the fake Web API; the press is the ``block_actions`` interaction
  Slack would send, signed, to bolt's ``/slack/events`` (and over Socket Mode).
- Telegram: python-telegram-bot delivers to the fake Bot API, and the running bot long-polls the
  press (a ``callback_query``) from it, or receives it on its webhook.
- Email: the newsletter goes through aiosmtpd; its vote link is opened over HTTP on the web app
  served by uvicorn on 127.0.0.1.

Hostile input on each: forged, altered or expired tokens and signatures, data naming no item of
ours, replayed presses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from asgi_client import UvicornThread
from cli import aidaily
from fakes.reports import DAY, synthetic_report
from fakes.slack_server import SlackServer
from fakes.slack_socket import SocketModeServer
from fakes.smtp_server import SmtpServer
from fakes.telegram_server import TelegramServer
from starlette.applications import Starlette
from test_slack_bot import CHANNEL, HUMAN, SECRET, TEAM, TOKEN, signed, until
from test_telegram import GROUP, SCALE
from test_telegram_bot import running
from test_web_site import FROM, text_and_html

from app.channels import deliver_channels
from bot.answer import ExtractiveAnswerer
from bot.conversation import Conversation
from bot.search import ItemIndex
from bot.slack_bot import create_slack_app, slack_routes, socket_mode_handler
from bot.telegram_bot import build_application
from bot.telegram_webhook import SECRET_HEADER, WEBHOOK_PATH, webhook, webhook_routes
from core.config import Settings
from core.links import Links, make_vote_token
from core.models import Channel, ItemRef, Subscription, Vote, VoteValue
from core.platforms.slack_api import slack_pacer
from core.platforms.telegram_api import Pacing
from core.platforms.votes import read_button
from core.report.rendering.markdown import render_markdown
from core.store import Store
from delivery.dispatch import deliver
from delivery.slack import SlackAdapter, WebApi, make_client
from delivery.telegram import TelegramAdapter
from web.app import create_app
from web.confirm_mail import DryRunConfirmationMailer

REPORT = synthetic_report({"research": 2, "tools": 2})
FIRST = REPORT.items[0]
REF = ItemRef(DAY, FIRST.topic_key)
WEB_SECRET = "feedback-web-secret"
HOOK_SECRET = "webhook-Secret_0123456789"
_ids = itertools.count(1)

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def stored(store: Store) -> Store:
    store.save_report(REPORT, render_markdown(REPORT))
    return store


def conversation(store: Store) -> Conversation:
    return Conversation(store, lambda: ItemIndex.from_store(store), ExtractiveAnswerer())


def counts(store: Store, channel: Channel, ref: ItemRef = REF) -> tuple[int, int]:
    [votes] = [v for v in store.item_votes(ref.date) if v.item == ref]
    return votes.by_channel.get(channel, (0, 0))


def nothing_stored(store: Store) -> bool:
    return all(v.up == v.down == 0 for v in store.item_votes(DAY))


def feedback_command(store: Store, tmp_path: Path, *args: str) -> str:
    url = store.engine.url.render_as_string(hide_password=False)
    done = aidaily("feedback", *args, cwd=tmp_path, env={"AIDAILY_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    return done.stdout


def row_of(output: str, title_start: str) -> list[str]:
    """The cells of the table row whose item cell starts with ``title_start``."""
    for line in output.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)]
        if len(cells) > 3 and cells[2].startswith(title_start[:20]):
            return cells[1:-1]
    raise AssertionError(f"no row for {title_start!r} in\n{output}")


# --- Slack ------------------------------------------------------------------------------------


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer(TOKEN, interval=0.001, tolerance=0.001) as server:
        server.add_channel(CHANNEL)
        server.add_user(HUMAN)
        yield server


def deliver_to_slack(slack: SlackServer, store: Store) -> dict:
    """The digest delivered with its buttons; the first item's actions block."""
    subscription, _ = store.add_subscription(Subscription(Channel.SLACK, CHANNEL))
    pacer = slack_pacer(0.001)
    adapter = SlackAdapter(WebApi(make_client(TOKEN, slack.api_url, pacer)), pacer, votes=True)
    assert asyncio.run(deliver(adapter, REPORT, subscription, store.ledger)).complete
    found = [(m, b) for m in slack.bot_messages() for b in m.blocks if b["type"] == "actions"]
    assert len(found) == len(REPORT.items)  # the fake accepted every actions block
    message, block = found[0]
    assert read_button(block["elements"][0]["value"]) == (REF, read_button(block["elements"][0]["value"])[1])
    return {"message": message, "block": block}


def block_actions(slack: SlackServer, delivered: dict, button: int, *, value: str | None = None, user=HUMAN):
    """The interaction Slack posts when ``user`` presses ``button`` (0: 👍, 1: 👎), and its
    response URL's tag."""
    message, block = delivered["message"], delivered["block"]
    element = block["elements"][button]
    tag = f"press{next(_ids)}"
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0AIDAILY",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": CHANNEL,
            "is_ephemeral": False,
        },
        "trigger_id": f"{next(_ids)}.1700000000.{tag}",
        "team": {"id": TEAM, "domain": "aidaily-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": CHANNEL, "name": "digest"},
        "message": {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks},
        "state": {"values": {}},
        "response_url": slack.response_url(tag),
        "actions": [
            {
                "action_id": element["action_id"],
                "block_id": block["block_id"],
                "text": element["text"],
                "value": element["value"] if value is None else value,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return payload, tag


def form(payload: dict) -> str:
    return urlencode({"payload": json.dumps(payload)})


def run_slack_bot(slack: SlackServer, store: Store, test) -> None:
    bolt = create_slack_app(
        conversation(store), signing_secret=SECRET, token=TOKEN, api_url=slack.api_url, ballot=store
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=Starlette(routes=slack_routes(bolt)))
        async with httpx.AsyncClient(transport=transport, base_url="https://bot.example.org") as http:

            async def post(body: str, **signing) -> int:
                headers = signed(body, kind="form", **signing)
                return (await http.post("/slack/events", content=body, headers=headers)).status_code

            await test(post)

    asyncio.run(main())


def test_a_slack_press_is_stored_once_changed_once_and_shown_by_aidaily_feedback(slack, stored, tmp_path):
    delivered = deliver_to_slack(slack, stored)

    async def test(post) -> None:
        up, up_tag = block_actions(slack, delivered, 0)
        assert await post(form(up)) == 200
        [said] = await until(lambda: slack.responses(up_tag))
        assert said["response_type"] == "ephemeral" and said["replace_original"] is False
        assert "👍" in said["text"] and FIRST.title[:30] in said["text"]
        assert counts(stored, Channel.SLACK) == (1, 0)

        # Slack delivering the same interaction again (a lost acknowledgement): counted once.
        assert await post(form(up)) == 200
        await asyncio.sleep(0.3)
        assert slack.responses(up_tag) == [said] and counts(stored, Channel.SLACK) == (1, 0)

        down, down_tag = block_actions(slack, delivered, 1)
        assert await post(form(down)) == 200
        [changed] = await until(lambda: slack.responses(down_tag))
        assert "👎" in changed["text"] and counts(stored, Channel.SLACK) == (0, 1)

    run_slack_bot(slack, stored, test)
    output = feedback_command(stored, tmp_path, "--date", DAY.isoformat())
    assert row_of(output, FIRST.title)[3:] == ["0", "1", "0 / 1", "", ""]


def test_forged_stale_and_hostile_slack_presses_store_nothing(slack, stored):
    delivered = deliver_to_slack(slack, stored)

    async def test(post) -> None:
        press, tag = block_actions(slack, delivered, 0)
        assert await post(form(press), secret="not-the-signing-secret") == 401
        assert await post(form(press), at=time.time() - 600) == 401  # a replay of an old request
        for value in ("vote:up:2026-11-22:no-such-item", "vote:up:1999-01-01:research-0", "<!channel>", ""):
            hostile, tag = block_actions(slack, delivered, 0, value=value)
            assert await post(form(hostile)) == 200
            [said] = await until(lambda tag=tag: slack.responses(tag))
            assert "no longer in the reports" in said["text"]

    run_slack_bot(slack, stored, test)
    assert nothing_stored(stored)


def test_a_slack_press_over_socket_mode_is_recorded(slack, stored):
    delivered = deliver_to_slack(slack, stored)
    with SocketModeServer() as socket:
        slack.enable_socket_mode("xapp-1-test", socket.url)
        app = create_slack_app(
            conversation(stored), signing_secret=SECRET, token=TOKEN, api_url=slack.api_url, ballot=stored
        )

        async def main() -> None:
            handler = socket_mode_handler(app, "xapp-1-test")
            await handler.connect_async()
            try:
                payload, tag = block_actions(slack, delivered, 0)
                envelope = await asyncio.to_thread(socket.send, "interactive", payload)
                assert await asyncio.to_thread(socket.ack, envelope) == {"envelope_id": envelope}
                await until(lambda: slack.responses(tag))
            finally:
                await handler.close_async()

        asyncio.run(main())
    assert counts(stored, Channel.SLACK) == (1, 0)


# --- Telegram ---------------------------------------------------------------------------------


@pytest.fixture
def telegram() -> Iterator[TelegramServer]:
    with TelegramServer(time_scale=SCALE) as server:
        server.add_chat(GROUP, kind="supergroup")
        yield server


def deliver_to_telegram(server: TelegramServer, store: Store) -> int:
    """The digest delivered with its keyboards; the message id of the first item's reply."""
    subscription, _ = store.add_subscription(Subscription(Channel.TELEGRAM, str(GROUP)))
    adapter = TelegramAdapter(server.token, base_url=server.base_url, pacing=Pacing(SCALE), votes=True)

    async def go():
        async with adapter:
            return await deliver(adapter, REPORT, subscription, store.ledger)

    assert asyncio.run(go()).complete
    [first, *_] = [m for m in server.in_chat(GROUP) if m.reply_markup]
    assert read_button(first.reply_markup["inline_keyboard"][0][0]["callback_data"])[0] == REF
    return first.message_id


def answered(server: TelegramServer, query: str) -> int:
    """How many times the bot tried to answer the press ``query``."""
    return sum(
        1 for m, p in server.calls if m == "answerCallbackQuery" and p.get("callback_query_id") == query
    )


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def telegram_bot(server: TelegramServer, store: Store):
    return build_application(
        server.token, conversation(store), base_url=server.base_url, pacing=Pacing(SCALE), ballot=store
    )


def test_a_telegram_press_is_stored_once_changed_once_and_shown_by_aidaily_feedback(
    telegram, stored, tmp_path
):
    message_id = deliver_to_telegram(telegram, stored)
    with running(telegram_bot(telegram, stored)):
        up = telegram.callback_update_for(GROUP, message_id, 0, 0)
        query = telegram.queue(up)
        assert "👍" in telegram.callback_answer(query)["text"]
        assert counts(stored, Channel.TELEGRAM) == (1, 0)

        # The same press delivered again (a new update around the same callback query): once.
        telegram.replay(up)
        wait_for(lambda: answered(telegram, query) == 2)  # its second answer, which Telegram refuses
        assert counts(stored, Channel.TELEGRAM) == (1, 0)
        down = telegram.press(GROUP, message_id, 0, 1)
        assert "👎" in telegram.callback_answer(down)["text"]
        assert counts(stored, Channel.TELEGRAM) == (0, 1)

        # Pressed again, the vote in force is withdrawn, as a reaction is.
        again = telegram.press(GROUP, message_id, 0, 1)
        assert "withdrawn" in telegram.callback_answer(again)["text"]
        assert counts(stored, Channel.TELEGRAM) == (0, 0)
        telegram.callback_answer(telegram.press(GROUP, message_id, 0, 1))
    assert counts(stored, Channel.TELEGRAM) == (0, 1)
    output = feedback_command(stored, tmp_path)
    assert row_of(output, FIRST.title)[3:] == ["0", "1", "", "0 / 1", ""]


def test_hostile_telegram_callback_data_stores_nothing_and_is_answered(telegram, stored):
    message_id = deliver_to_telegram(telegram, stored)
    hostile = [
        "vote:up:2026-11-22:nope",
        "vote:down:2026-02-30:research-0",
        "x" * 64,
        "vote:up:2026-11-22:<b>",
    ]
    with running(telegram_bot(telegram, stored)):
        for data in hostile:
            query = telegram.press(GROUP, message_id, data=data)
            assert "no longer in the reports" in telegram.callback_answer(query)["text"]
    assert nothing_stored(stored)


def test_a_telegram_press_posted_twice_to_the_webhook_counts_once(telegram, stored):
    message_id = deliver_to_telegram(telegram, stored)
    application = telegram_bot(telegram, stored)
    update = telegram.callback_update_for(GROUP, message_id, 0, 0)

    async def run() -> list[int]:
        app = Starlette(routes=webhook_routes(application, HOOK_SECRET))
        transport = httpx.ASGITransport(app=app)
        headers = {SECRET_HEADER: HOOK_SECRET}
        async with (
            webhook(application, public_url="https://daily.example.org", secret=HOOK_SECRET),
            httpx.AsyncClient(transport=transport, base_url="https://x") as client,
        ):
            statuses = [(await client.post(WEBHOOK_PATH, json=update, headers=headers)).status_code]
            await asyncio.to_thread(telegram.callback_answer, update["callback_query"]["id"])
            statuses.append((await client.post(WEBHOOK_PATH, json=update, headers=headers)).status_code)
            forged = {**update, "update_id": update["update_id"] + 1000}
            statuses.append((await client.post(WEBHOOK_PATH, json=forged, headers={})).status_code)
            await asyncio.sleep(0.3)
            return statuses

    assert asyncio.run(run()) == [200, 200, 403]
    assert counts(stored, Channel.TELEGRAM) == (1, 0)


# --- email ------------------------------------------------------------------------------------


@pytest.fixture
def site(stored: Store, tmp_path: Path) -> Iterator[str]:
    """The web app served by uvicorn on 127.0.0.1; its origin."""
    app = create_app(
        stored,
        secret_key=WEB_SECRET,
        public_url="http://127.0.0.1",
        mailer=DryRunConfirmationMailer(tmp_path / "confirmations.jsonl"),
        confirm_max_age=3600,
        subscribe_limit=5,
        feedback_days=30,
    )
    with UvicornThread(app) as server:
        yield server.origin


def newsletter_links(store: Store, origin: str, tmp_path: Path, report=REPORT) -> dict[str, str]:
    """The vote link of each item of ``report``'s newsletter, as the reader got it, by item key."""
    reader, _ = store.add_subscription(Subscription(Channel.EMAIL, "reader@example.org"))
    with SmtpServer() as smtp:
        settings = Settings(
            database_url=store.engine.url.render_as_string(hide_password=False),
            out_dir=tmp_path / "out",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_tls="none",
            secret_key=WEB_SECRET,
            public_url=origin,
            email_from=FROM,
        )
        [run] = asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))
        assert not run.failed
        [received] = smtp.to(reader.address)
    text = text_and_html(received.message)["text/plain"]
    urls = re.findall(r"http://127\.0\.0\.1:\d+/feedback\?\S+", text)
    assert len(urls) == len(report.items)
    return {parse_qs(urlsplit(u).query)["item"][0]: u for u in urls}


def test_a_vote_from_the_newsletter_is_stored_once_changed_once_and_shown_by_aidaily_feedback(
    stored, site, tmp_path
):
    link = newsletter_links(stored, site, tmp_path)[FIRST.topic_key]
    with httpx.Client() as http:
        page = http.get(link)  # what a link scanner does too: nothing is recorded
        assert page.status_code == 200 and FIRST.title[:30] in page.text and 'value="up"' in page.text
        assert nothing_stored(stored)
        saved = http.post(link, data={"vote": "up"})
        assert saved.status_code == 200 and "your vote is saved" in saved.text
        assert counts(stored, Channel.EMAIL) == (1, 0)
        again = http.post(link, data={"vote": "up"})  # a second click: the vote stays
        assert "saved already" in again.text and counts(stored, Channel.EMAIL) == (1, 0)
        changed = http.post(link, data={"vote": "down"})
        assert "changed" in changed.text and counts(stored, Channel.EMAIL) == (0, 1)
    output = feedback_command(stored, tmp_path, "--date", DAY.isoformat())
    assert row_of(output, FIRST.title)[3:] == ["0", "1", "", "", "0 / 1"]


def altered(link: str, **query: str) -> str:
    parts = urlsplit(link)
    values = {k: v[0] for k, v in parse_qs(parts.query).items()} | query
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(values)}"


def test_forged_altered_expired_and_unknown_vote_links_store_nothing(stored, site, tmp_path):
    link = newsletter_links(stored, site, tmp_path)[FIRST.topic_key]
    token = parse_qs(urlsplit(link).query)["token"][0]
    subscription_id, day, signature = token.split(".")
    reader = stored.find_subscription(Channel.EMAIL, "reader@example.org")
    other_key = Links(site, "another-secret").feedback(reader, DAY).split("token=")[1]
    cases = {
        altered(link, token=f"{subscription_id}.{day}.{signature[:-2]}xx"): 400,  # forged signature
        altered(link, token=f"{int(subscription_id) + 1}.{day}.{signature}"): 400,  # another reader
        altered(link, token=f"{subscription_id}.2026-11-21.{signature}"): 400,  # another day's items
        altered(link, token=other_key): 400,  # signed with another key
        altered(link, token="x" * 500): 400,
        altered(link, token=""): 400,
        altered(link, item="no-such-item"): 404,
        altered(link, item="<script>alert(1)</script>"): 400,
        altered(link, item=""): 400,
    }
    with httpx.Client() as http:
        for url, status in cases.items():
            for response in (http.get(url), http.post(url, data={"vote": "up"})):
                assert response.status_code == status, url
                assert "<script>" not in response.text
        for value in ("sideways", "", "UP"):
            assert http.post(link, data={"vote": value}).status_code == 400
    assert nothing_stored(stored)


def test_a_vote_link_expires_with_its_newsletter(stored, site, tmp_path):
    old = dataclasses.replace(REPORT, date=date.today() - timedelta(days=31))
    stored.save_report(old, render_markdown(old))
    link = newsletter_links(stored, site, tmp_path, report=old)[FIRST.topic_key]
    with httpx.Client() as http:
        response = http.post(link, data={"vote": "up"})
    assert response.status_code == 400 and "expired" in response.text
    assert stored.item_votes(old.date)[0].up == 0
    # A link of a newsletter 30 days old still works.
    recent = dataclasses.replace(old, date=date.today() - timedelta(days=30))
    stored.save_report(recent, render_markdown(recent))
    reader = stored.find_subscription(Channel.EMAIL, "reader@example.org")
    token = make_vote_token(WEB_SECRET, reader, recent.date)
    with httpx.Client() as http:
        ok = http.post(f"{site}/feedback?token={token}&item={FIRST.topic_key}", data={"vote": "up"})
    assert ok.status_code == 200 and stored.item_votes(recent.date)[0].up == 1


# --- every channel at once ----------------------------------------------------------------------


def test_aidaily_feedback_counts_each_channel_apart(stored, tmp_path):
    for reader, channel, value in [
        ("T1:U1", Channel.SLACK, VoteValue.UP),
        ("T1:U2", Channel.SLACK, VoteValue.UP),
        ("5550001", Channel.TELEGRAM, VoteValue.DOWN),
        ("1", Channel.EMAIL, VoteValue.UP),
    ]:
        stored.record_vote(Vote(REF, channel, reader, value), REPORT.generated_at)
    output = feedback_command(stored, tmp_path)
    assert row_of(output, FIRST.title)[2:] == ["research", "3", "1", "2 / 0", "0 / 1", "1 / 0"]
    assert "3 👍 and 1 👎 in all" in output
    assert "no report for 2020-01-01" in feedback_command(stored, tmp_path, "--date", "2020-01-01")
