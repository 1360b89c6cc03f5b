"""The bots' shared conversation: commands, questions, and follow-ups on delivered digests.

Runs over the imported sample reports in a real store (SQLite and PostgreSQL); the platform
code in Slack and Telegram is tested in test_slack_bot.py and test_telegram_bot.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.answer import ExtractiveAnswerer
from bot.conversation import COMMANDS, Chat, Conversation, DigestContext, split_command
from bot.search import ItemIndex
from core.models import Channel, Subscription, SubscriptionStatus
from core.report.importing.files import import_files
from core.store import Store

SAMPLES = sorted((Path(__file__).resolve().parent / "data" / "sample-reports").glob("*.md"))
DEC12 = date(2025, 12, 12)
# Whoever runs each chat (a Slack workspace admin, a Telegram group administrator).
SLACK = Chat(Channel.SLACK, "C0123ABCD", user="U0ADMIN", admin=True)
GROUP = Chat(Channel.TELEGRAM, "-1001234567890", thread="45", language="zh", user="5550001", admin=True)


@pytest.fixture
def talk(store: Store) -> Conversation:
    import_files(store, SAMPLES)
    index = ItemIndex.from_store(store)
    return Conversation(store, lambda: index, ExtractiveAnswerer(), public_url="https://daily.example.org/")


def test_split_command_reads_slash_and_plain_forms():
    assert split_command("/more GPT-5.2 please") == ("more", "GPT-5.2 please")
    assert split_command("TODAY") == ("today", "")
    assert split_command("   ") == ("help", "")


def test_help_lists_every_command_and_unknown_commands_get_it(talk):
    help_text = talk.command(SLACK, "help").text
    assert all(f"/{name}" in help_text for name, _ in COMMANDS)
    unknown = talk.command(SLACK, "frobnicate").text
    assert unknown.startswith("Unknown command /frobnicate.")
    assert help_text in unknown
    assert "不認識的指令" in talk.command(GROUP, "x" * 5000).text  # echoed name is cut short
    assert len(talk.command(GROUP, "x" * 5000).text) < len(help_text) + 200


def test_today_shows_the_latest_report_headlines_and_archive_link(talk):
    text = talk.command(SLACK, "today").text
    assert "2025-12-12" in text
    assert "Top Headlines" in text
    assert "https://daily.example.org/reports/2025-12-12/" in text
    assert "• GPT-5.2" in text or "GPT-5.2" in text


def test_today_shows_only_what_the_chats_rules_allow_and_sections_keep_them(talk, store):
    everything = talk.command(SLACK, "today").text
    talk.command(SLACK, "subscribe", "-GPT-5.2 -gpt")
    filtered = talk.command(SLACK, "today").text

    def gpt(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("•") and "gpt" in line.lower()]

    assert gpt(everything) and not gpt(filtered)
    assert len(filtered.splitlines()) < len(everything.splitlines())
    talk.command(SLACK, "sections", "research")  # choosing sections keeps the rules
    assert store.find_subscription(Channel.SLACK, "C0123ABCD").rules.exclude == ("GPT-5.2", "gpt")


def test_today_without_reports_says_so(store):
    talk = Conversation(store, lambda: ItemIndex([]), ExtractiveAnswerer())
    assert talk.command(SLACK, "today").text == "No report has been published yet."


def test_more_answers_from_the_reports_and_needs_a_topic(talk):
    reply = talk.command(SLACK, "more", "GPT-5.2")
    assert reply.answer is not None and reply.answer.found
    assert reply.answer.items[0].date == DEC12
    assert "GPT-5.2" in reply.answer.items[0].item.title
    assert talk.command(SLACK, "more", "").text.startswith("Tell me the topic")


def test_subscribe_sections_and_unsubscribe_manage_the_chats_subscription(talk, store):
    assert "not subscribed" in talk.command(SLACK, "sections").text
    reply = talk.command(SLACK, "subscribe", "research, tools")
    assert "Model & Research Updates, Tools & Resources" in reply.text
    stored = store.find_subscription(Channel.SLACK, "C0123ABCD")
    assert stored is not None and stored.sections == ("research", "tools")
    assert stored.status == SubscriptionStatus.CONFIRMED

    assert "Model & Research Updates" in talk.command(SLACK, "sections").text
    talk.command(SLACK, "sections", "all")
    assert store.find_subscription(Channel.SLACK, "C0123ABCD").sections == ()
    assert "unknown section 'gossip'" in talk.command(SLACK, "sections", "gossip").text

    assert talk.command(SLACK, "unsubscribe").text.startswith("Unsubscribed")
    assert store.find_subscription(Channel.SLACK, "C0123ABCD").status == SubscriptionStatus.UNSUBSCRIBED
    assert "not subscribed" in talk.command(SLACK, "unsubscribe").text


def test_a_telegram_topic_is_its_own_subscription(talk, store):
    talk.command(GROUP, "subscribe")
    assert store.find_subscription(Channel.TELEGRAM, "-1001234567890", "45") is not None
    assert store.find_subscription(Channel.TELEGRAM, "-1001234567890") is None


def test_today_keeps_to_the_chats_sections(talk):
    talk.command(SLACK, "subscribe", "tools")
    text = talk.command(SLACK, "today").text
    assert "Tools & Resources" in text
    assert "Top Headlines" not in text


def test_empty_and_huge_questions_get_clear_answers(talk):
    assert talk.question(SLACK, "").text.startswith("Please ask a question")
    huge = talk.question(SLACK, "GPT-5.2 " * 1250)
    assert "Only the first" in huge.text


def _deliver_one(store: Store, chat: Chat, key: str, section: str | None, platform_id: str) -> None:
    subscription, _ = store.add_subscription(Subscription(chat.channel, chat.address, chat.thread))
    store.ledger.begin(DEC12, subscription, key, section=section, parent=None)
    store.ledger.sent(DEC12, subscription, key, platform_id)


def test_digest_context_is_found_only_for_our_own_messages(talk, store):
    _deliver_one(store, SLACK, "section:research", "research", "1765500000.000100")
    context = talk.digest_context(SLACK, "1765500000.000100")
    assert context == DigestContext(DEC12, "research")
    assert talk.digest_context(SLACK, "1765500000.999999") is None
    assert talk.digest_context(Chat(Channel.SLACK, "C9999999"), "1765500000.000100") is None


def test_bare_follow_up_on_a_message_shows_the_items_it_lists(talk, store):
    research = [f for f in store.reported_items() if f.date == DEC12 and f.item.section == "research"]
    quoted = f"Model & Research Updates\n1. {research[1].item.title}\n"
    context = DigestContext(DEC12, "research", quoted)
    reply = talk.question(GROUP, "詳細？", context)
    assert reply.answer is not None and reply.answer.found
    assert [f.item.title for f in reply.answer.items] == [research[1].item.title]


def test_a_question_in_a_section_thread_prefers_that_section(talk, store):
    # "agent" matches items in several sections; in the tools thread, a tools item comes first.
    plain = talk.question(SLACK, "AI agent")
    in_tools = talk.question(SLACK, "AI agent", DigestContext(DEC12, "tools"))
    assert plain.answer.found and in_tools.answer.found
    assert in_tools.answer.items[0].item.section == "tools"


# --- who may change a chat's subscription -------------------------------------------------------

MEMBER = Chat(Channel.SLACK, "C0123ABCD", user="U0MEMBER")
GROUP_MEMBER = Chat(Channel.TELEGRAM, "-1001234567890", thread="45", user="5550002")


@pytest.mark.parametrize(
    ("command", "argument"), [("subscribe", ""), ("unsubscribe", ""), ("sections", "tools")]
)
@pytest.mark.parametrize("member", [MEMBER, GROUP_MEMBER], ids=["slack", "telegram"])
def test_a_member_who_does_not_run_the_chat_cannot_change_its_subscription(
    talk, store, member, command, argument
):
    admin = SLACK if member.channel == Channel.SLACK else GROUP
    talk.command(admin, "subscribe", "research")

    reply = talk.command(member, command, argument)

    assert reply.refused and reply.text.startswith("Sorry, only")
    stored = store.find_subscription(member.channel, member.address, member.thread)
    assert (stored.status, stored.sections) == (SubscriptionStatus.CONFIRMED, ("research",))
    assert "Model & Research Updates" in talk.command(member, "sections").text  # looking is fine


def test_a_member_cannot_subscribe_a_chat_nobody_subscribed(talk, store):
    assert talk.command(MEMBER, "subscribe").refused
    assert talk.command(GROUP_MEMBER, "subscribe").refused
    assert store.subscriptions() == []


def test_in_slack_whoever_subscribed_the_channel_keeps_it_in_hand(talk, store):
    talk.command(SLACK, "subscribe", "research")  # U0ADMIN, an admin then
    no_longer_admin = Chat(Channel.SLACK, "C0123ABCD", user="U0ADMIN")
    other_admin = Chat(Channel.SLACK, "C0123ABCD", user="U0OTHER", admin=True)

    talk.command(other_admin, "sections", "tools")  # another admin changing it keeps the subscriber
    assert store.find_subscription(Channel.SLACK, "C0123ABCD").subscribed_by == "U0ADMIN"
    assert not talk.command(no_longer_admin, "unsubscribe").refused
    assert store.find_subscription(Channel.SLACK, "C0123ABCD").status == SubscriptionStatus.UNSUBSCRIBED


def test_in_telegram_only_the_groups_administrators_may(talk, store):
    talk.command(GROUP, "subscribe")
    demoted = Chat(Channel.TELEGRAM, GROUP.address, thread=GROUP.thread, user=GROUP.user)

    assert talk.command(demoted, "unsubscribe").refused
    assert talk.command(GROUP, "unsubscribe").text.startswith("已取消訂閱")


def test_a_refusal_is_in_the_users_language(talk):
    chinese = Chat(Channel.TELEGRAM, "-1001234567890", language="zh", user="5550002")
    assert talk.command(chinese, "unsubscribe").text.startswith("這個對話尚未訂閱")  # nothing to refuse
    assert talk.command(chinese, "subscribe").text.startswith("抱歉，只有這個對話的管理員")
