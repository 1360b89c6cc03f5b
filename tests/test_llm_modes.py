"""Structured-output modes and recurring failures, through the real ``openai`` client and the fake.

The fake server refuses json_schema as llama-cpp-python 0.3 does (HTTP 500, pydantic's error and
a traceback frame as the message), or json_object too; the writer and the answerer must find the
mode that works with one refused request per mode, remember it, and never show the server's
traceback. A failure every call would repeat (a wrong key, a refused forced mode) ends the LLM
part of the run with one line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from factories import article, topic
from fakes.openai_server import TRACEBACK_LINE, FakeOpenAI, Fault

from app.writers import open_writer, structured_modes
from bot.llm_answer import LLMAnswerer
from core.config import Settings
from core.llm.client import ModeBook, make_sync_client, one_line
from core.models import EditedTopic, Importance, Item
from core.report.writing.llm_writer import LLMSummarizer, MemoryCache, make_client
from core.store.report_items import ReportedItem

DAY = date(2026, 11, 22)


def edited(n: int) -> EditedTopic:
    lead = article(f"Model {n} from Lab{n} improves reasoning", f"Lab{n} released Model {n} on Monday.")
    return EditedTopic(topic(lead), "research", Importance.HIGH, 1.0, reason="Reported by TechCrunch")


TOPICS = [edited(n) for n in range(4)]


async def write_day(
    fake: FakeOpenAI, topics: Sequence[EditedTopic] = TOPICS, *, modes: ModeBook | None = None, **options
) -> tuple[list[Item], LLMSummarizer]:
    """Every topic and the overview, as a build writes them (all items at once, then the overview)."""
    client = make_client(
        api_key=options.pop("api_key", "test"), base_url=fake.base_url, timeout=5, max_retries=2
    )
    async with client:
        writer = LLMSummarizer(client, model="fake-model", cache=MemoryCache(), modes=modes, **options)
        items = list(await asyncio.gather(*(writer.write_item(t, language="en") for t in topics)))
        await writer.write_overview(items, day=DAY, language="en", articles_count=len(topics))
        return items, writer


def modes_asked(fake: FakeOpenAI) -> list[str]:
    return [request.mode for request in fake.requests]


def server_says(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_a_refused_json_schema_is_found_once_and_json_object_used_after(caplog):
    with FakeOpenAI(refuse=("json_schema",)) as fake:
        items, writer = asyncio.run(write_day(fake))
    assert {item.writer for item in items} == {"llm"}
    assert modes_asked(fake) == ["json_schema"] + ["json_object"] * (len(TOPICS) + 1)
    assert fake.calls <= len(TOPICS) + 2  # one refused request, no SDK retries of it
    stats = writer.usage()
    assert (stats.calls, stats.failures, stats.fallbacks) == (len(TOPICS) + 1, 0, 0)
    assert writer.modes.mode(f"{fake.base_url} fake-model") == "json_object"  # by base URL and model
    # The schema travels under response_format.schema, as llama-cpp-python takes it.
    body = fake.requests[-2].body["response_format"]
    assert body["type"] == "json_object" and body["schema"]["required"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert TRACEBACK_LINE not in server_says(caplog)


def test_calls_waiting_for_the_probe_then_run_at_once():
    topics = [edited(n) for n in range(6)]
    with FakeOpenAI(refuse=("json_schema",), latency=0.1) as fake:
        items, _ = asyncio.run(write_day(fake, topics, concurrency=3))
    assert {item.writer for item in items} == {"llm"}
    assert fake.max_in_flight == 3  # the lock is held for the probe only, not for the calls after it


def test_a_server_taking_neither_gets_the_schema_in_the_prompt():
    with FakeOpenAI(refuse=("json_schema", "json_object")) as fake:
        items, writer = asyncio.run(write_day(fake))
    assert {item.writer for item in items} == {"llm"}
    assert modes_asked(fake) == ["json_schema", "json_object"] + ["prompt"] * (len(TOPICS) + 1)
    prompted = fake.requests[-2]
    assert "response_format" not in prompted.body
    system = prompted.messages[0]["content"]
    assert "It must match this JSON schema" in system and '"importance_reason"' in system
    assert writer.usage().failures == 0


def test_an_invalid_answer_in_a_found_mode_is_asked_again_once():
    with FakeOpenAI(refuse=("json_schema",)) as fake:
        fake.rule = lambda request: (
            Fault.invalid_json() if request.schema == "report_item" and "Model 1 " in request.data else None
        )
        items, writer = asyncio.run(write_day(fake))
    assert fake.calls == len(TOPICS) + 2 + 1  # one refusal; the rejected answer asked again once
    assert [i.writer for i in items].count("llm-fallback") == 1
    [(label, reason)] = writer.fallback_reasons().items()
    assert label == TOPICS[1].topic.key and reason.startswith("asked 2 times:")


def test_the_mode_found_is_kept_for_the_next_process(tmp_path):
    path = tmp_path / "llm-modes.json"
    with FakeOpenAI(refuse=("json_schema",)) as fake:
        asyncio.run(write_day(fake, TOPICS[:1], modes=ModeBook(path=path)))
        first = fake.calls
        asyncio.run(write_day(fake, TOPICS[1:2], modes=ModeBook(path=path)))  # a new process
        assert fake.calls - first == 2 and modes_asked(fake)[first:] == ["json_object"] * 2
    assert list(json.loads(path.read_text()).values()) == ["json_object"]
    assert "test" not in path.read_text()  # the key is not kept, nor anything but URL and model


def test_a_remembered_mode_the_server_stopped_taking_is_found_again():
    with FakeOpenAI(refuse=("json_schema",)) as fake:
        modes = ModeBook()
        asyncio.run(write_day(fake, TOPICS[:1], modes=modes))
        fake.refuse = ("json_schema", "json_object")  # the server was replaced
        items, _ = asyncio.run(write_day(fake, TOPICS[1:2], modes=modes))
    # Refused in the mode remembered, then probed again without the modes this process saw
    # refused (json_schema too); the overview follows.
    assert items[0].writer == "llm"
    assert modes_asked(fake)[-3:] == ["json_object", "prompt", "prompt"]


def test_a_probe_that_fails_for_another_reason_is_retried_in_the_same_mode():
    with FakeOpenAI() as fake:
        fake.push(Fault.http(503))
        items, writer = asyncio.run(write_day(fake, TOPICS[:1]))
    assert items[0].writer == "llm" and modes_asked(fake)[:2] == ["json_schema", "json_schema"]
    assert writer.usage().failures == 0


def test_the_setting_forces_a_mode_without_a_probe(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def run(fake: FakeOpenAI, mode: str) -> list[Item]:
        settings = Settings(
            openai_api_key="k",
            openai_base_url=fake.base_url,
            openai_model="fake-model",
            openai_structured=mode,
            cache_dir=tmp_path / mode,
        )
        assert structured_modes(settings).forced == mode
        from core.store import Store

        with Store.open(f"sqlite:///{tmp_path / 'w.db'}") as store:
            async with open_writer(settings, store) as writer:
                return [await writer.write_item(t, language="en") for t in TOPICS[:2]]

    with FakeOpenAI() as fake:
        items = asyncio.run(run(fake, "prompt"))
    assert {i.writer for i in items} == {"llm"} and modes_asked(fake) == ["prompt", "prompt"]


def test_a_forced_mode_the_server_refuses_ends_the_llm_part_with_one_line(caplog):
    with FakeOpenAI(refuse=("json_schema",)) as fake:
        items, writer = asyncio.run(write_day(fake, modes=ModeBook(forced="json_schema"), concurrency=1))
    assert {i.writer for i in items} == {"llm-fallback"}
    assert fake.calls == 1  # no retries of a refusal, and nothing asked after it
    assert (writer.usage().calls, writer.usage().failures) == (1, 1)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1 and "json_schema" in errors[0].getMessage()
    assert "\n" not in errors[0].getMessage() and TRACEBACK_LINE not in server_says(caplog)
    reasons = writer.fallback_reasons()
    assert len(reasons) == len(TOPICS) + 1 and all("refuses" in why for why in reasons.values())


def test_a_wrong_key_ends_the_llm_part_with_one_line(caplog):
    with FakeOpenAI(api_key="the-right-key") as fake:
        items, writer = asyncio.run(write_day(fake, api_key="a-wrong-key"))
        assert fake.calls <= 4  # the calls already under way at most; a 401 is not retried
    assert {i.writer for i in items} == {"llm-fallback"}
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "HTTP 401" in lines[0] and "a-wrong-key" not in server_says(caplog)
    assert all("401" in why for why in writer.fallback_reasons().values())


def test_a_failing_server_says_so_once_per_cause_without_its_traceback(caplog):
    with FakeOpenAI() as fake:
        fake.rule = lambda request: Fault.http(500)
        items, _ = asyncio.run(write_day(fake))
    assert {i.writer for i in items} == {"llm-fallback"}
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "HTTP 500" in warnings[0]


def test_every_mode_refused_is_one_failure_that_stops_the_run(caplog):
    with FakeOpenAI(refuse=("json_schema", "json_object")) as fake:
        fake.rule = lambda request: Fault.http(400) if request.mode == "prompt" else None
        items, writer = asyncio.run(write_day(fake))
    assert {i.writer for i in items} == {"llm-fallback"}
    assert modes_asked(fake) == ["json_schema", "json_object", "prompt"]  # then nothing more
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "took no structured-output mode" in lines[0]
    assert "\n" not in lines[0] and TRACEBACK_LINE not in server_says(caplog)
    assert len(writer.fallback_reasons()) == len(TOPICS) + 1


def test_a_prompt_too_long_is_no_refusal_of_the_mode():
    too_long = Fault.http(400, message="Requested tokens (5000) exceed context window of 4096")

    def rule(request):
        first_item = request.schema == "report_item" and "Model 0 " in request.data
        return too_long if first_item and request.mode == "prompt" else None

    with FakeOpenAI(refuse=("json_schema", "json_object")) as fake:
        fake.rule = rule
        items, writer = asyncio.run(write_day(fake, concurrency=1))
    assert [i.writer for i in items] == ["llm-fallback", "llm", "llm", "llm"]
    assert "context window" in writer.fallback_reasons()[TOPICS[0].topic.key]


def test_server_messages_are_one_short_line():
    traceback = 'Boom\nTraceback (most recent call last):\n  File "x.py", line 1, in f\nValueError: no'
    assert one_line(traceback) == "Boom"
    assert one_line('Traceback (most recent call last):\n  File "x.py", line 1\nValueError: no') == (
        "ValueError: no"
    )
    long = one_line("word " * 200)
    assert len(long) <= 200 and long.endswith("…") and "\n" not in long


# --- the bot's answerer ---------------------------------------------------------------------------


GPT = ReportedItem(
    1,
    date(2025, 12, 12),
    "AI Daily 2025-12-12",
    Item(
        section="top_headlines",
        title="GPT-5.2 released",
        summary="OpenAI released GPT-5.2.",
        entities=("OpenAI",),
    ),
)


def test_the_answerer_finds_the_mode_and_shares_it_with_the_writer():
    from bot.answer import ask
    from bot.search import ItemIndex

    said = Fault.reply(json.dumps({"answer": "OpenAI released GPT-5.2 [1].", "cited": [1]}))
    with FakeOpenAI(refuse=("json_schema",)) as fake:
        modes = ModeBook()
        client = make_sync_client(api_key="test", base_url=fake.base_url, timeout=5, max_retries=1)
        answerer = LLMAnswerer(client, model="fake-model", cache=MemoryCache(), modes=modes)
        fake.push(said, said)  # the refusal comes before any fault is used
        reply = ask(ItemIndex([GPT]), answerer, "more on GPT-5.2")
        assert "OpenAI released GPT-5.2 [1]." in reply.text
        assert modes_asked(fake) == ["json_schema", "json_object"]
        asyncio.run(write_day(fake, TOPICS[:1], modes=modes))  # the writer does not probe again
        assert modes_asked(fake)[2:] == ["json_object", "json_object"]


def test_a_refused_answerer_stops_asking(caplog):
    from bot.answer import ask
    from bot.search import ItemIndex

    with FakeOpenAI(api_key="right") as fake:
        client = make_sync_client(api_key="wrong", base_url=fake.base_url, timeout=5, max_retries=1)
        answerer = LLMAnswerer(client, model="fake-model", cache=MemoryCache())
        first = ask(ItemIndex([GPT]), answerer, "more on GPT-5.2")
        again = ask(ItemIndex([GPT]), answerer, "GPT-5.2 news")
        assert fake.calls == 1
    assert first.found and again.found  # the extractive answer, from the items
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


def test_no_traceback_reaches_the_terminal_of_a_demo(tmp_path):
    """The whole CLI, forced into a mode the server refuses: one line about it, no traceback."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    with FakeOpenAI(refuse=("json_schema",)) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIDAILY_", "OPENAI_"))}
        env.update(
            AIDAILY_OPENAI_API_KEY="test",
            AIDAILY_OPENAI_BASE_URL=fake.base_url,
            AIDAILY_OPENAI_MODEL="fake-model",
            AIDAILY_OPENAI_STRUCTURED="json_schema",
            AIDAILY_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}",
            AIDAILY_OUT_DIR=str(tmp_path / "out"),
            AIDAILY_CACHE_DIR=str(tmp_path / "cache"),
            PYTHONPATH=str(root),
            COLUMNS="200",
        )
        demo = subprocess.run(
            [sys.executable, "-m", "app.cli", "demo"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert fake.calls == 1  # the calls waiting for the probe are told its refusal
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output
    assert TRACEBACK_LINE not in output and "Traceback" not in output
    lines = [line for line in output.splitlines() if not line.lstrip().startswith("fell back (")]
    refusals = [line for line in lines if "refuses the structured-output mode" in line]
    assert len(refusals) == 1, output  # told once; the closing summary then says who fell back
    assert re.search(r"fall|extractive", output)


def test_the_writer_and_the_bot_of_one_process_share_what_was_found(tmp_path, monkeypatch):
    """Wired from settings (app.writers, app.bots): the bot asks in the mode the writer found."""
    from app.bots import open_answerer
    from bot.answer import ask
    from bot.search import ItemIndex
    from core.store import Store

    monkeypatch.chdir(tmp_path)
    said = Fault.reply(json.dumps({"answer": "OpenAI released GPT-5.2 [1].", "cited": [1]}))
    with FakeOpenAI(refuse=("json_schema",)) as fake, Store.open(f"sqlite:///{tmp_path / 'w.db'}") as store:
        settings = Settings(
            openai_api_key="k", openai_base_url=fake.base_url, openai_model="fake-model", cache_dir=tmp_path
        )

        async def write() -> Item:
            async with open_writer(settings, store) as writer:
                return await writer.write_item(TOPICS[0], language="en")

        assert asyncio.run(write()).writer == "llm"
        fake.push(said)
        reply = ask(ItemIndex([GPT]), open_answerer(settings, store), "more on GPT-5.2")
        assert "OpenAI released GPT-5.2 [1]." in reply.text
        assert modes_asked(fake) == ["json_schema", "json_object", "json_object"]
    assert json.loads((tmp_path / "llm-modes.json").read_text()) == {
        f"{fake.base_url} fake-model": "json_object"
    }


def test_the_temperature_is_sent_only_when_set_and_is_part_of_the_cache_key():
    def run(temperature: float | None, cache: MemoryCache) -> None:
        async def write() -> None:
            async with make_client(api_key="test", base_url=fake.base_url, timeout=10, max_retries=0) as sdk:
                writer = LLMSummarizer(sdk, model="fake-model", cache=cache, temperature=temperature)
                await writer.write_item(TOPICS[0], language="en")

        asyncio.run(write())

    with FakeOpenAI() as fake:
        cache = MemoryCache()
        run(None, cache)
        run(0.0, cache)
        run(0.0, cache)  # answered from the cache: the same temperature, the same key
        sent = [r.body.get("temperature", "absent") for r in fake.requests]
    assert sent == ["absent", 0.0]
