"""The Telegram adapter against a fake Bot API on loopback, through the real python-telegram-bot.

The fake (``fakes.telegram_server``) enforces what Telegram enforces: valid HTML with only the
allowed tags, 4096 UTF-16 units after parsing, replies to messages that exist, topics that exist,
1 message/s per chat and 20/min per group (429 with retry_after). Time is scaled: one Telegram
second is ``SCALE`` real seconds on both sides, so the rate limits are real but fast.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.telegram_server import Recorded, TelegramServer
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, RetryAfter
from test_telegram_format import HOSTILE, make_report

from core.models import Channel, DeliveryStatus, Insight, Reading, Report, Subscription
from core.platforms.telegram_api import Pacing
from core.report.rendering.markdown import link_target
from delivery.base import DeliveryError, OutgoingMessage
from delivery.dispatch import MemoryLedger, deliver, deliver_all
from delivery.dryrun import CallLog
from delivery.telegram import TelegramAdapter, api_params

SCALE = 0.01  # real seconds per Telegram second
GROUP = -1001000000001
FORUM = -1001000000002
PRIVATE = 424242
PUBLIC = "https://daily.example.org"

# python-telegram-bot's own RetryAfter() reads its deprecated int ``retry_after`` when built.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def server() -> Iterator[TelegramServer]:
    with TelegramServer(time_scale=SCALE) as running:
        running.add_chat(GROUP, kind="supergroup")
        running.add_chat(FORUM, kind="supergroup", forum=True, topics=(45, 46))
        running.add_chat(PRIVATE, kind="private")
        yield running


def adapter_for(server: TelegramServer, **options) -> TelegramAdapter:
    return TelegramAdapter(
        server.token, base_url=server.base_url, public_url=PUBLIC, pacing=Pacing(SCALE), **options
    )


def subscription(chat: int, thread: int | None = None, sections: tuple[str, ...] = (), id_: int = 1):
    return Subscription(
        Channel.TELEGRAM, str(chat), thread=str(thread) if thread else None, sections=sections, id=id_
    )


def deliver_now(server: TelegramServer, report: Report, sub: Subscription, ledger=None, **options):
    async def run():
        async with adapter_for(server, **options) as adapter:
            return await deliver(adapter, report, sub, ledger if ledger is not None else MemoryLedger())

    return asyncio.run(run())


def threads(messages: list[Recorded]) -> dict[int, list[Recorded]]:
    """Replies by the id of the message they reply to."""
    replies: dict[int, list[Recorded]] = {}
    for message in messages:
        if message.reply_to is not None:
            replies.setdefault(message.reply_to, []).append(message)
    return replies


def shape(messages: list[Recorded]) -> list[tuple[str, int | None, int | None]]:
    """Messages as (text, index of the replied message, topic): comparable across two chats."""
    index = {m.message_id: n for n, m in enumerate(messages)}
    return [(m.text, index.get(m.reply_to), m.thread) for m in messages]


# --- a normal delivery ------------------------------------------------------------------------


def test_each_section_is_one_thread_with_every_item_and_link_in_order(server):
    report = make_report({"top_headlines": 3, "research": 12, "tools": 0, "market": 5})
    result = deliver_now(server, report, subscription(GROUP))
    assert result.complete and result.error is None

    messages = server.in_chat(GROUP)
    header, rest = messages[0], messages[1:]
    assert header.text.startswith(report.title) and header.reply_to is None
    assert header.links == [f"{PUBLIC}/reports/2025-12-11/"]
    assert header.link_preview == {"is_disabled": False, "url": f"{PUBLIC}/reports/2025-12-11/"}

    parents = [m for m in rest if m.reply_to is None]
    assert [p.text.split("\n")[0] for p in parents] == [
        "今日焦點（Top Headlines）",
        "模型與技術更新（Model & Research Updates）",
        "市場動態精選（Key Market Updates）",
    ]
    replies = threads(messages)
    for parent, section in zip(parents, [s for s in report.sections if s.items], strict=True):
        thread = replies[parent.message_id]
        text = "\n".join(m.text for m in thread)
        numbers = re.findall(r"^(\d+)\. " + section.key, text, re.M)
        assert numbers == [str(n) for n in range(1, len(section.items) + 1)]  # all, in order
        expected = [link_target(s.url) for item in section.items for s in item.sources]
        assert [url for m in thread for url in m.links] == expected
    assert len(replies) == 3 and sum(map(len, replies.values())) == len(rest) - 3
    assert all(m.link_preview == {"is_disabled": True} for m in rest)
    assert all(m.parse_mode == "HTML" for m in messages)


def test_a_subscription_gets_only_its_sections(server):
    report = make_report({"top_headlines": 2, "research": 2})
    deliver_now(server, report, subscription(PRIVATE, sections=("research",)))
    texts = [m.text for m in server.in_chat(PRIVATE) if m.reply_to is None]
    assert len(texts) == 2 and "2 則新聞，1 個分類" in texts[0]
    assert texts[1].startswith("模型與技術更新")


def test_a_forum_topic_gets_every_message(server):
    report = make_report({"tools": 4, "market": 2})
    result = deliver_now(server, report, subscription(FORUM, thread=45))
    assert result.complete
    messages = server.in_chat(FORUM)
    assert len(messages) == 5 and {m.thread for m in messages} == {45}


def test_a_topic_that_is_gone_is_a_permanent_failure(server):
    ledger = MemoryLedger()
    sub = subscription(FORUM, thread=99)
    result = deliver_now(server, make_report({"tools": 1}), sub, ledger)
    assert not result.complete and "message thread not found" in result.error.lower()
    entry = ledger.entries(make_report().date, sub)["header"]
    assert entry.status == DeliveryStatus.FAILED and entry.permanent


# --- limits -----------------------------------------------------------------------------------


def test_a_section_larger_than_any_message_is_split_into_replies_the_server_accepts(server):
    report = make_report({"research": 30}, summary="長摘要，" * 400)  # ~1700 units per item
    result = deliver_now(server, report, subscription(GROUP))
    assert result.complete and server.errors == []
    parent = server.in_chat(GROUP)[1]
    thread = threads(server.in_chat(GROUP))[parent.message_id]
    assert len(thread) >= 12  # 30 items of ~1700 units: two per message at most
    text = "\n".join(m.text for m in thread)
    assert re.findall(r"^(\d+)\. research", text, re.M) == [str(n) for n in range(1, 31)]


def test_hostile_item_text_arrives_as_text(server):
    report = make_report({"tools": 2}, title=HOSTILE, summary=HOSTILE, details=(HOSTILE,))
    assert deliver_now(server, report, subscription(GROUP)).complete
    replies = server.in_chat(GROUP)[2:]
    assert all(HOSTILE in m.text for m in replies)  # every character as typed, none as markup
    assert {e["type"] for m in server.messages for e in m.entities} <= {"bold", "text_link"}


@pytest.mark.parametrize("emoji, accepted", [(2048, True), (2049, False)])
def test_the_fake_counts_utf16_units_like_telegram(server, emoji, accepted):
    message = OutgoingMessage("x", None, {"text": "😀" * emoji, "parse_mode": "HTML"})

    async def run():
        async with adapter_for(server) as adapter:
            return await adapter.send(message, subscription(PRIVATE), None)

    if accepted:
        assert asyncio.run(run())
    else:
        with pytest.raises(DeliveryError, match=r"(?i)message is too long") as failure:
            asyncio.run(run())
        assert not failure.value.permanent  # our bug, not the chat's: fixed and re-run


def test_an_item_of_emoji_is_split_at_the_4096_unit_boundary(server):
    report = make_report({"tools": 1}, summary="😀" * 4100, details=(), use_cases=())
    assert deliver_now(server, report, subscription(PRIVATE)).complete
    parts = server.in_chat(PRIVATE)[2:]
    assert len(parts) == 3 and "".join(m.text for m in parts).count("😀") == 4100


def test_the_fake_refuses_what_telegram_refuses():
    """The fake itself, through the bare client: bad HTML, a lost parent, a client too fast."""
    server = TelegramServer()  # real seconds: no token of the burst refills during the test
    server.add_chat(PRIVATE, kind="private")

    async def run() -> int:
        async with Bot(server.token, base_url=server.base_url) as bot:
            with pytest.raises(BadRequest, match='unsupported start tag "script" at byte offset 3'):
                await bot.send_message(PRIVATE, "ab <script>x</script>", parse_mode="HTML")
            with pytest.raises(BadRequest, match='find end tag corresponding to start tag "b"'):
                await bot.send_message(PRIVATE, "<b>x", parse_mode="HTML")
            with pytest.raises(BadRequest, match="Message to be replied not found"):
                await bot.send_message(PRIVATE, "x", reply_parameters=ReplyParameters(999))
            for sent in range(10):  # unpaced: the burst allowance runs out
                try:
                    await bot.send_message(PRIVATE, f"message {sent}")
                except RetryAfter:
                    return sent
            return -1

    with server:
        assert asyncio.run(run()) == 3


# --- failures ---------------------------------------------------------------------------------


def test_retry_after_is_honoured(server):
    server.flood(2, retry_after=3)
    started = time.monotonic()
    assert deliver_now(server, make_report({"tools": 1}), subscription(PRIVATE)).complete
    assert time.monotonic() - started >= 2 * 3 * SCALE
    assert server.too_many_requests() == 2 and len(server.in_chat(PRIVATE)) == 3


def test_flood_control_that_outlasts_the_retries_is_not_permanent(server):
    server.flood(10, retry_after=1)
    ledger = MemoryLedger()
    sub = subscription(PRIVATE)
    result = deliver_now(server, make_report({"tools": 1}), sub, ledger, max_retries=2)
    assert "flood control" in result.error
    assert not ledger.entries(make_report().date, sub)["header"].permanent


def test_a_kicked_bot_is_recorded_as_permanent_and_other_subscriptions_go_on(server):
    server.kick(GROUP)
    ledger = MemoryLedger()
    subs = [subscription(GROUP, id_=1), subscription(PRIVATE, id_=2)]
    report = make_report({"tools": 2})

    async def run():
        async with adapter_for(server) as adapter:
            return await deliver_all(adapter, report, subs, ledger)

    kicked, served = asyncio.run(run())
    assert "Forbidden: bot was kicked from the supergroup chat" in kicked.error and kicked.permanent
    assert ledger.entries(report.date, subs[0])["header"].permanent
    assert served.complete and len(server.in_chat(PRIVATE)) == 3


@pytest.mark.parametrize(
    "chat, parent_id, text",
    [(-100999, None, "chat not found"), (PRIVATE, "777", "message to be replied not found")],
)
def test_a_missing_chat_or_parent_is_permanent(server, chat, parent_id, text):
    message = OutgoingMessage("k", "tools", {"text": "x"}, parent="p" if parent_id else None)

    async def run():
        async with adapter_for(server) as adapter:
            await adapter.send(message, subscription(chat), parent_id)

    with pytest.raises(DeliveryError, match=rf"(?i){text}") as failure:
        asyncio.run(run())
    assert failure.value.permanent


def test_network_errors_are_not_permanent_and_never_show_the_token():
    with TelegramServer() as gone:
        base_url = gone.base_url  # a port nothing listens on once the server stops
    adapter = TelegramAdapter("123:SECRET", base_url=base_url, pacing=Pacing(SCALE))
    message = OutgoingMessage("header", None, {"text": "x"})
    with pytest.raises(DeliveryError) as failure:
        asyncio.run(adapter.send(message, subscription(PRIVATE), None))
    assert not failure.value.permanent and "SECRET" not in str(failure.value)


# --- pacing -----------------------------------------------------------------------------------


def test_a_group_gets_a_burst_of_twenty_then_one_a_second_without_a_single_429(server):
    messages = [OutgoingMessage(f"m{n}", None, {"text": f"message {n}"}) for n in range(25)]

    async def run() -> float:
        async with adapter_for(server) as adapter:
            await adapter.connect()  # the client's one-off set-up is not the pacing's doing
            started = time.monotonic()
            for message in messages:
                await adapter.send(message, subscription(GROUP), None)
            return time.monotonic() - started

    elapsed = asyncio.run(run())
    # The minimum: 20 one second apart (19 s), the 21st a minute after the first, then 1/s.
    minimum = (60 + 4) * SCALE
    assert server.too_many_requests() == 0 and len(server.in_chat(GROUP)) == 25
    assert minimum <= elapsed < minimum + 0.25


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacing_on_a_fake_clock():
    clock = FakeClock()
    pacing = Pacing(clock=clock, sleep=clock.sleep)

    async def send(chat: str) -> float:
        await pacing.wait(chat)
        started = clock.now
        clock.now += 0.25  # the round trip overlaps the wait for the next slot
        return started

    async def run():
        private = [await send("42") for _ in range(3)]
        group = [await send("-1001") for _ in range(22)]
        pacing.hold(30)  # a RetryAfter of 30 s
        held = await send("42")
        return private, group, held

    private, group, held = asyncio.run(run())
    assert private == [0.0, 1.0, 2.0]  # 1/s in a private chat, no window
    assert [t - group[0] for t in group[:20]] == [float(n) for n in range(20)]  # a burst at 1/s
    assert group[20] - group[0] == 60.0 and group[21] - group[1] == 60.0  # then the minute window
    assert held >= group[-1] + 0.25 + 30


def test_two_topics_of_one_forum_share_its_rate_limit(server):
    report = make_report({"tools": 2, "market": 2})
    subs = [subscription(FORUM, thread=45, id_=1), subscription(FORUM, thread=46, id_=2)]

    async def run():
        async with adapter_for(server) as adapter:
            return await deliver_all(adapter, report, subs, MemoryLedger())

    assert all(r.complete for r in asyncio.run(run()))
    assert server.too_many_requests() == 0 and len(server.in_chat(FORUM)) == 10


# --- crash and resume -------------------------------------------------------------------------


def test_a_delivery_stopped_half_way_and_resumed_ends_like_an_uninterrupted_one(server):
    report = make_report({"top_headlines": 4, "research": 20, "tools": 6, "market": 3})
    sub = subscription(GROUP)
    plan = adapter_for(server).plan(report, sub)
    ledger = MemoryLedger()

    server.fail_after(len(plan) // 2)  # the API goes away half-way
    first = deliver_now(server, report, sub, ledger)
    assert first.sent == len(plan) // 2 and first.error
    server.fail_after(None)
    second = deliver_now(server, report, sub, ledger)
    assert second.complete and second.already_sent == len(plan) // 2
    third = deliver_now(server, report, sub, ledger)  # nothing left: nothing sent
    assert third.sent == 0 and third.already_sent == len(plan)

    with TelegramServer(time_scale=SCALE) as clean:
        clean.add_chat(GROUP)
        deliver_now(clean, report, sub)
        assert shape(server.in_chat(GROUP)) == shape(clean.in_chat(GROUP))
    assert len(server.in_chat(GROUP)) == len(plan)


def test_one_adapter_serves_deliveries_in_separate_event_loops(server):
    adapter = adapter_for(server)
    message = OutgoingMessage("m", None, {"text": "x"})
    first = asyncio.run(adapter.send(message, subscription(PRIVATE), None))
    second = asyncio.run(adapter.send(message, subscription(PRIVATE), None))
    assert int(second) == int(first) + 1


# --- plan, parameters, dry run ----------------------------------------------------------------


def test_plan_keys_parents_and_routing():
    adapter = TelegramAdapter("1:x")
    report = make_report({"top_headlines": 2, "research": 0, "market": 1})
    plan = adapter.plan(report, subscription(FORUM, thread=45))
    assert [(m.key, m.parent) for m in plan] == [
        ("header", None),
        ("section:top_headlines", None),
        ("section:top_headlines/part:1", "section:top_headlines"),
        ("section:market", None),
        ("section:market/part:1", "section:market"),
    ]
    assert plan == adapter.plan(report, subscription(FORUM, thread=45))  # pure and stable
    params = api_params(plan[2], subscription(FORUM, thread=45), "17")
    assert params["chat_id"] == FORUM and params["message_thread_id"] == 45
    assert params["reply_parameters"] == {"message_id": 17, "allow_sending_without_reply": False}
    assert params["link_preview_options"] == {"is_disabled": True}
    assert "message_thread_id" not in api_params(plan[0], subscription(GROUP), None)
    assert api_params(plan[0], Subscription(Channel.TELEGRAM, "@aidaily"), None)["chat_id"] == "@aidaily"


def test_insight_and_reading_come_after_the_items_unless_sections_are_chosen():
    report = dataclasses.replace(
        make_report({"tools": 1}), insight=Insight(trends=("Agents.",)), reading=Reading(keywords=("RAG",))
    )
    adapter = TelegramAdapter("1:x")
    parents = [m.key for m in adapter.plan(report, subscription(GROUP)) if m.parent is None]
    assert parents == ["header", "section:tools", "section:insight", "section:reading"]
    chosen = adapter.plan(report, subscription(GROUP, sections=("tools",)))
    assert [m.key for m in chosen if m.parent is None] == ["header", "section:tools"]


def test_a_dry_run_writes_the_exact_calls(tmp_path: Path):
    report = make_report({"tools": 1})
    sub = subscription(GROUP)
    with CallLog(tmp_path / "2025-12-11.telegram.jsonl") as calls:
        adapter = TelegramAdapter.dry_run(calls, public_url=PUBLIC)
        assert asyncio.run(deliver(adapter, report, sub, MemoryLedger())).complete
    lines = [json.loads(line) for line in (tmp_path / "2025-12-11.telegram.jsonl").read_text().splitlines()]
    assert [line["method"] for line in lines] == ["sendMessage"] * 3
    assert lines[2]["params"]["reply_parameters"]["message_id"] == "<message_id of section:tools>"
    assert lines[0]["params"]["chat_id"] == GROUP
