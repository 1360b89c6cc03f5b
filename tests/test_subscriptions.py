"""Subscriptions: parsing what a user types, storing them on both databases, and the CLI."""

from __future__ import annotations

import pytest
from test_cli import aidaily, assert_one_line_error

from core.models import Cadence, Channel, Rules, Subscription, SubscriptionStatus
from core.subscriptions import new_subscription, parse_sections, parse_target


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("slack:C0123ABCD", (Channel.SLACK, "C0123ABCD", None)),
        ("telegram:-1001234567890", (Channel.TELEGRAM, "-1001234567890", None)),
        ("telegram:-1001234567890/45", (Channel.TELEGRAM, "-1001234567890", "45")),
        ("telegram:@ai_daily_news", (Channel.TELEGRAM, "@ai_daily_news", None)),
        ("email:Someone@Example.ORG", (Channel.EMAIL, "Someone@example.org", None)),
    ],
)
def test_each_address_form_parses(text, parsed):
    assert parse_target(text) == parsed


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("sms:+4912345", "unknown channel 'sms'"),
        ("slack:", "names no address"),
        ("slack:#general", "bad Slack channel id"),
        ("telegram:12ab", "bad Telegram chat id"),
        ("telegram:-100123/topic", "bad Telegram topic id"),
        ("email:not-an-address", "bad email address"),
    ],
)
def test_bad_addresses_say_what_to_type(text, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        parse_target(text)
    assert "\n" not in str(info.value)


def test_sections_come_back_in_report_order_and_unknown_ones_are_refused():
    assert parse_sections("research, top_headlines") == ("top_headlines", "research")
    assert parse_sections(None) == ()
    with pytest.raises(ValueError, match="unknown section 'gossip'"):
        parse_sections("research,gossip")


def test_email_waits_for_opt_in_unless_confirmed_and_chats_do_not():
    assert new_subscription("email:a@b.org").status == SubscriptionStatus.PENDING
    assert new_subscription("email:a@b.org", confirmed=True).status == SubscriptionStatus.CONFIRMED
    assert new_subscription("slack:C0123ABCD").status == SubscriptionStatus.CONFIRMED
    with pytest.raises(ValueError, match="unknown language"):
        new_subscription("slack:C0123ABCD", language="fr")


def test_add_list_get_remove(store):
    slack, created = store.add_subscription(
        Subscription(Channel.SLACK, "C0123ABCD", sections=("research",), language="en")
    )
    assert created and slack.id is not None
    topic, _ = store.add_subscription(Subscription(Channel.TELEGRAM, "-100123", thread="45"))
    whole_chat, _ = store.add_subscription(Subscription(Channel.TELEGRAM, "-100123"))
    assert topic.id != whole_chat.id  # a topic and its chat are two subscriptions
    assert [s.target for s in store.subscriptions()] == [
        "slack:C0123ABCD",
        "telegram:-100123/45",
        "telegram:-100123",
    ]
    assert store.get_subscription(slack.id) == slack
    assert slack.sections == ("research",) and slack.language == "en"
    assert store.find_subscription(Channel.TELEGRAM, "-100123", "45") == topic
    assert store.subscriptions(channel=Channel.SLACK) == [slack]
    assert store.remove_subscription(slack.id) is True
    assert store.remove_subscription(slack.id) is False
    assert store.get_subscription(slack.id) is None


def test_adding_again_updates_options_and_may_confirm_but_never_unconfirms(store):
    pending, _ = store.add_subscription(
        Subscription(Channel.EMAIL, "a@b.org", status=SubscriptionStatus.PENDING)
    )
    again, created = store.add_subscription(
        Subscription(Channel.EMAIL, "a@b.org", sections=("market",), status=SubscriptionStatus.PENDING)
    )
    assert not created and again.id == pending.id and again.sections == ("market",)
    confirmed, _ = store.add_subscription(Subscription(Channel.EMAIL, "a@b.org"))
    assert confirmed.status == SubscriptionStatus.CONFIRMED
    still, _ = store.add_subscription(
        Subscription(Channel.EMAIL, "a@b.org", status=SubscriptionStatus.PENDING)
    )
    assert still.status == SubscriptionStatus.CONFIRMED
    assert len(store.subscriptions()) == 1


def test_status_updates_and_filtering(store):
    sub, _ = store.add_subscription(Subscription(Channel.EMAIL, "a@b.org", status=SubscriptionStatus.PENDING))
    assert store.subscriptions(status=SubscriptionStatus.CONFIRMED) == []
    assert store.set_subscription_status(sub.id, SubscriptionStatus.UNSUBSCRIBED)
    assert store.get_subscription(sub.id).status == SubscriptionStatus.UNSUBSCRIBED
    back, _ = store.add_subscription(
        Subscription(Channel.EMAIL, "a@b.org", status=SubscriptionStatus.PENDING)
    )
    assert back.status == SubscriptionStatus.PENDING  # came back: must opt in again


def test_cli_add_list_remove(tmp_path):
    env = {"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    added = aidaily(
        "subscriptions", "add", "slack:C0123ABCD", "--sections", "research", cwd=tmp_path, env=env
    )
    assert added.returncode == 0, added.stderr
    assert "added slack:C0123ABCD (confirmed)" in added.stdout
    email = aidaily("subscriptions", "add", "email:a@b.org", cwd=tmp_path, env=env)
    assert "(pending)" in email.stdout
    listed = aidaily("subscriptions", "list", cwd=tmp_path, env=env)
    assert "slack:C0123ABCD" in listed.stdout and "research" in listed.stdout and "pending" in listed.stdout
    removed = aidaily("subscriptions", "remove", "slack:C0123ABCD", cwd=tmp_path, env=env)
    assert "removed slack:C0123ABCD" in removed.stdout
    assert "slack:C0123ABCD" not in aidaily("subscriptions", "list", cwd=tmp_path, env=env).stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["add", "pager:123"], "unknown channel"),
        (["add", "telegram:abc"], "bad Telegram chat id"),
        (["add", "slack:C0123ABCD", "--sections", "top_headlines,nope"], "unknown section 'nope'"),
        (["remove", "slack:C0123ABCD"], "no subscription"),
    ],
)
def test_cli_mistakes_are_one_line(tmp_path, args, fragment):
    env = {"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    assert_one_line_error(aidaily("subscriptions", *args, cwd=tmp_path, env=env), fragment)


def test_paged_iteration_reads_every_matching_subscription_once_in_order(store):
    for n in range(23):
        status = SubscriptionStatus.CONFIRMED if n % 3 else SubscriptionStatus.PENDING
        store.add_subscription(Subscription(Channel.EMAIL, f"reader{n}@example.org", status=status))
    store.add_subscription(Subscription(Channel.SLACK, "C0PAGED"))
    expected = store.subscriptions(Channel.EMAIL, SubscriptionStatus.CONFIRMED)
    paged = list(store.iter_subscriptions(Channel.EMAIL, SubscriptionStatus.CONFIRMED, page=4))
    assert paged == expected and len(paged) == 15
    assert list(store.iter_subscriptions(page=5)) == store.subscriptions()


def test_cadence_and_rules_are_stored_read_back_and_replaced(store):
    hostile = Rules(
        ("OpenAI", '"quoted" \\ term', "語言模型", "'; DROP TABLE subscriptions; --"), ("[red]x",)
    )
    sub, _ = store.add_subscription(
        Subscription(Channel.SLACK, "C0RULES1", cadence=Cadence.WEEKLY, rules=hostile)
    )
    assert store.get_subscription(sub.id).rules == hostile and sub.cadence is Cadence.WEEKLY
    again, created = store.add_subscription(Subscription(Channel.SLACK, "C0RULES1"))
    assert not created and again.rules == Rules() and again.cadence is Cadence.DAILY


def test_paged_iteration_keeps_one_cadence(store):
    for n in range(7):
        cadence = Cadence.WEEKLY if n % 2 else Cadence.DAILY
        store.add_subscription(Subscription(Channel.EMAIL, f"reader{n}@example.org", cadence=cadence))
    weekly = list(
        store.iter_subscriptions(Channel.EMAIL, SubscriptionStatus.CONFIRMED, page=2, cadence=Cadence.WEEKLY)
    )
    assert [s.address for s in weekly] == [
        "reader1@example.org",
        "reader3@example.org",
        "reader5@example.org",
    ]
    daily = list(store.iter_subscriptions(Channel.EMAIL, cadence=Cadence.DAILY, page=3))
    assert len(daily) == 4 and all(s.cadence is Cadence.DAILY for s in daily)


def test_cli_sets_cadence_and_rules_and_lists_them(tmp_path):
    env = {"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    added = aidaily(
        "subscriptions", "add", "slack:C0123ABCD", "--cadence", "weekly", "--include", "OpenAI, 語言模型",
        "--include", "ＧＰＴ－５", "--exclude", "[bold]crypto[/bold]", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = aidaily("subscriptions", "list", cwd=tmp_path, env=env).stdout
    assert "weekly" in listed and "+OpenAI +語言模型 +GPT-5" in listed and "-[bold]crypto[/bold]" in listed


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--cadence", "hourly"], "use daily or weekly"),
        (["--include", ".*"], "no letter or digit"),
        (["--exclude", ",".join(f"t{n}" for n in range(60))], "at most 50"),
        (["--include", "x" * 200], "too long"),
    ],
)
def test_cli_refuses_bad_rules_in_one_line(tmp_path, args, fragment):
    env = {"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    assert_one_line_error(
        aidaily("subscriptions", "add", "slack:C0123ABCD", *args, cwd=tmp_path, env=env), fragment
    )
