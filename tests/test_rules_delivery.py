"""Keyword rules on every channel: a subscription with rules receives exactly the items they
allow, and its header says how many were left out; through the real slack_sdk and
python-telegram-bot clients against the loopback fakes and an aiosmtpd server, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from fakes.delivery_world import DeliveryWorld
from fakes.reports import synthetic_report

from app.channels import CHANNELS, deliver_channels
from core.config import Settings
from core.models import Brief, Cadence, Channel, Insight, Item, Reading, Report, Rules, Section, Subscription
from core.report.rendering.labels import labels_for
from core.rules import make_rules, view_for
from core.store import Store
from delivery.email_render import EmailRenderer, _Parts, mjml_to_html

DAY = date(2026, 12, 1)
CHAT = -1001234500001
RULES = make_rules(include="OpenAI, 語言模型", exclude="crypto")
ALLOWED = [
    "OpenAI ships a reasoning model",
    "新的語言模型登上排行榜",
    "ＯｐｅｎＡＩ 發布安全報告",
    "Nimbus chips for data centres",  # "OpenAI" is one of its entities
    "The OpenAI Agents SDK",
]
LEFT_OUT = [
    "OpenAI and a Crypto exchange team up",  # excluded, though it includes
    "Anthropic raises funds",  # includes nothing
    "Sora 3 by OpenAIX Labs",  # "OpenAI" only inside a longer word
    "Wallet maker adds agents",  # its summary says crypto
]
BRIEFS = {"OpenAI brief of the day": True, "A crypto brief about OpenAI": False}


def item(title: str, section: str, summary: str = "A story.", entities: tuple[str, ...] = ()) -> Item:
    return Item(section, title, summary, entities=entities, sources=())


def rules_report() -> Report:
    research = (
        item(ALLOWED[0], "research"),
        item(LEFT_OUT[0], "research"),
        item(ALLOWED[1], "research", "評測結果公布。"),
        item(LEFT_OUT[1], "research"),
        item(ALLOWED[2], "research"),
        item(LEFT_OUT[2], "research"),
        item(ALLOWED[3], "research", entities=("OpenAI", "Nimbus")),
    )
    briefs = tuple(Brief(title, "", f"https://news.example.org/{n}") for n, title in enumerate(BRIEFS))
    tools = (item(LEFT_OUT[3], "tools", "A crypto wallet with agents."), item(ALLOWED[4], "tools"))
    sections = (
        Section("research", "模型與技術更新", research, briefs),
        Section("tools", "工具與資源", tools),
    )
    at = datetime(2026, 11, 30, 22, 40, tzinfo=UTC)
    return Report(
        DAY, "AI 日報 2026/12/01", at, "Asia/Taipei", at, at, 40, 12, sections, Insight(), Reading()
    )


@pytest.fixture
def world() -> Iterator[DeliveryWorld]:
    with DeliveryWorld(scale=0.02) as running:
        yield running


def settings_for(store: Store, world: DeliveryWorld, tmp_path: Path) -> Settings:
    return world.settings(store.engine.url.render_as_string(hide_password=False), tmp_path / "out")


def subscribe(store: Store, world: DeliveryWorld) -> None:
    world.slack.add_channel("C0RULES01")
    world.slack.add_channel("C0PLAIN01")
    world.slack.add_channel("C0WEEKLY1")
    world.telegram.add_chat(CHAT)
    for sub in (
        Subscription(Channel.SLACK, "C0RULES01", language="en", rules=RULES),
        Subscription(Channel.SLACK, "C0PLAIN01", language="en"),
        Subscription(Channel.SLACK, "C0WEEKLY1", cadence=Cadence.WEEKLY),
        Subscription(Channel.TELEGRAM, str(CHAT), rules=RULES),
        Subscription(Channel.EMAIL, "rules@example.org", language="en", rules=RULES),
        Subscription(Channel.EMAIL, "weekly@example.org", cadence=Cadence.WEEKLY),
    ):
        store.add_subscription(sub)


def shown(text: str) -> dict[str, bool]:
    """Which of the report's stories ``text`` shows."""
    return {title: title in text for title in [*ALLOWED, *LEFT_OUT, *BRIEFS]}


EXPECTED = {title: True for title in ALLOWED} | {title: False for title in LEFT_OUT} | BRIEFS


def email_parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_each_channel_receives_exactly_the_items_its_rules_allow(store, world, tmp_path):
    subscribe(store, world)
    settings = settings_for(store, world, tmp_path)
    runs = asyncio.run(deliver_channels(store, rules_report(), settings, list(CHANNELS)))
    assert all(not run.failed for run in runs), [(r.channel, r.error, r.results) for r in runs]

    slack = "\n".join(m.mrkdwn() + "\n" + m.text for m in world.slack.messages if m.channel == "C0RULES01")
    assert shown(slack) == EXPECTED
    assert "5 items filtered by your rules" in slack  # 4 items and 1 brief of the sections shown
    plain = "\n".join(m.mrkdwn() for m in world.slack.messages if m.channel == "C0PLAIN01")
    assert all(shown(plain).values()) and "filtered" not in plain

    telegram = "\n".join(m.text for m in world.telegram.messages if m.chat_id == CHAT)
    assert shown(telegram) == EXPECTED and "已依您的規則略過 5 則" in telegram

    [mail] = world.smtp.to("rules@example.org")
    for part in email_parts(mail.message):
        assert shown(part) == EXPECTED and "5 items filtered by your rules" in part

    # Weekly subscriptions get nothing of a daily report, on any channel.
    assert not [m for m in world.slack.messages if m.channel == "C0WEEKLY1"]
    assert not world.smtp.to("weekly@example.org")
    served = {r.subscription.address for run in runs for r in run.results}
    assert "C0WEEKLY1" not in served and "weekly@example.org" not in served


def test_a_repeated_delivery_of_a_filtered_report_sends_nothing_twice(store, world, tmp_path):
    subscribe(store, world)
    settings = settings_for(store, world, tmp_path)
    asyncio.run(deliver_channels(store, rules_report(), settings, list(CHANNELS)))
    before = world.messages()
    again = asyncio.run(deliver_channels(store, rules_report(), settings, list(CHANNELS)))
    assert world.messages() == before
    assert sum(run.totals.sent for run in again) == 0 and sum(run.totals.already_sent for run in again) > 0


def test_rules_that_allow_nothing_leave_only_the_header(store, world, tmp_path):
    world.slack.add_channel("C0NOTHING")
    literal = Rules(include=("(.*)", "\\w+"))  # stored as is: only those characters would match
    store.add_subscription(Subscription(Channel.SLACK, "C0NOTHING", language="en", rules=literal))
    settings = settings_for(store, world, tmp_path)
    asyncio.run(deliver_channels(store, rules_report(), settings, [Channel.SLACK]))
    [header] = world.slack.messages
    assert "11 items filtered by your rules" in header.mrkdwn() and not any(shown(header.mrkdwn()).values())


def test_variants_of_the_rules_share_a_compiled_skeleton():
    renderer = EmailRenderer()
    report = rules_report()

    def compiled(rules: Rules):
        view = view_for(report, Subscription(Channel.EMAIL, "a@b.org", rules=rules))
        return renderer.for_subscription(view, (), "en")

    first = compiled(RULES)
    assert compiled(make_rules(include="openai, 語言模型", exclude="CRYPTO")) is first  # the same outcome
    other = compiled(make_rules(include="Anthropic, agents"))
    assert other is not first and "Anthropic raises funds" in other.html and "Anthropic" not in first.html
    assert renderer.compilations == 1  # both show research and tools: one MJML compilation
    only_research = compiled(make_rules(include="模型"))  # nothing of tools is left
    assert 'id="tools"' not in only_research.html and renderer.compilations == 2


@pytest.mark.parametrize(("language", "votes"), [("zh-TW", False), ("en", False), ("zh-TW", True)])
def test_a_filled_skeleton_is_the_page_mjml_would_compile_whole(language, votes):
    report = synthetic_report(nasty=True)  # markup, entities and control characters everywhere
    for rules in (Rules(), make_rules(exclude="OpenAI, Nvidia"), make_rules(include="agents")):
        view = view_for(report, Subscription(Channel.EMAIL, "a@b.org", rules=rules))
        variant = EmailRenderer(votes=votes).for_subscription(view, (), language)
        wanted = (*(s.key for s in view.sections), "insight", "reading")
        whole = _Parts(view, labels_for(language), wanted, None, variant.nonce, votes=votes).mjml()
        assert variant.html == mjml_to_html(whole)
