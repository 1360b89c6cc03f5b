"""A fake OpenAI-compatible server on 127.0.0.1 (port 0), for driving the real ``openai`` client.

It speaks ``POST /v1/chat/completions`` with the real response shape (id, object, created, model,
choices[0].message.content as a JSON string, finish_reason, usage) and answers from the request
itself: it reads the ``<article>`` elements of an item prompt (or the ``<item>`` elements of an
overview prompt) and composes a valid JSON answer from their own sentences, so every answer is
faithful unless a fault says otherwise, and it leaves out sentences with links, as a model told
to write none would. Chinese articles are answered in Chinese in a zh-TW report; in an English
report the fake "translates" them into a sentence about their Latin-script names. ::

    from fakes.openai_server import Fault, FakeOpenAI

    with FakeOpenAI(latency=0.0) as server:
        client = AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=1)
        server.push(Fault.http(429, retry_after="0.2"))        # the next request gets a 429
        server.rule = lambda request: (                          # or decide per request:
            Fault.http(500) if "Alpha" in request.prompt else None
        )
        ...
        server.calls, server.requests[-1].messages, server.max_in_flight

Faults (``Fault.*``): ``http`` (429, 500, ... with Retry-After / retry-after-ms headers),
``slow`` (answer after a delay), ``invalid_json``, ``invent_entity`` ("Zyphra Quantum-9" in the
summary), ``invent_figure`` ("$7.3 billion"), ``no_usage`` (a server that omits ``usage``),
``fenced`` (JSON in a Markdown fence), ``headline`` (an item answer calling its story headline
news) and ``reply`` (exactly the content given). Pushed faults are
used first, one per request; then ``rule``; then none. Error statuses carry ``retry-after-ms: 5``
unless told otherwise, which the SDK honours, so retries in tests take milliseconds rather than
the SDK's 0.5 s backoff.

Structured-output modes: ``FakeOpenAI(refuse=("json_schema",))`` refuses ``response_format``
json_schema as llama-cpp-python 0.3's server does (HTTP 500, pydantic's "Input should be 'text' or
'json_object'" and a traceback as the message); ``refuse=("json_schema", "json_object")`` takes
only requests without a ``response_format`` (the schema in the prompt). ``ChatRequest.mode`` says
which form a request used.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from fakes.loopback import LoopbackServer

INVENTED_ENTITY = "Zyphra Quantum-9"
INVENTED_FIGURE = "$7.3 billion"

_ARTICLE = re.compile(
    r"<article id=\"(\d+)\"[^>]*>\s*<title>(.*?)</title>\s*<text>(.*?)</text>\s*</article>", re.S
)
_ITEM = re.compile(r"<item id=\"(\d+)\"[^>]*>(.*?)</item>", re.S)
_TAG = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S) for name in ("title", "summary", "names")}
_LINK = re.compile(r"<link id=\"(\d+)\"")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_URL = re.compile(r"https?://|www\.")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_NAME = re.compile(r"[A-Z][A-Za-z0-9.\-]*[A-Za-z0-9]")


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str  # status, slow, invalid_json, cut_off, invent_entity, invent_figure, invent_detail, ...
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    text: str = ""

    @classmethod
    def http(
        cls,
        status: int,
        *,
        retry_after: str | None = None,
        retry_after_ms: str | None = "5",
        message: str = "",
    ) -> Fault:
        """An error status; ``retry_after`` (seconds) replaces the default ``retry-after-ms``;
        ``message`` is the body's error message (default "fake STATUS")."""
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        if retry_after is None and retry_after_ms is not None:
            headers = {"retry-after-ms": retry_after_ms}
        return cls("status", status=status, headers=headers, text=message)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", delay=seconds)

    @classmethod
    def invalid_json(cls) -> Fault:
        return cls("invalid_json")

    @classmethod
    def cut_off(cls) -> Fault:
        """Half an answer, stopped at the length limit (``finish_reason`` "length")."""
        return cls("cut_off")

    @classmethod
    def invent_detail(cls, figure: str = INVENTED_FIGURE) -> Fault:
        """The usual faithful answer with one more detail, stating a figure no article gives."""
        return cls("invent_detail", text=figure)

    @classmethod
    def invent_entity(cls, name: str = INVENTED_ENTITY) -> Fault:
        return cls("invent_entity", text=name)

    @classmethod
    def invent_figure(cls, figure: str = INVENTED_FIGURE) -> Fault:
        return cls("invent_figure", text=figure)

    @classmethod
    def reply(cls, content: str) -> Fault:
        """Answer with exactly this content (a hand-written answer)."""
        return cls("reply", text=content)

    @classmethod
    def headline(cls) -> Fault:
        """The usual faithful answer, calling the story headline news."""
        return cls("headline")

    @classmethod
    def no_usage(cls) -> Fault:
        return cls("no_usage")

    @classmethod
    def fenced(cls) -> Fault:
        return cls("fenced")


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One request as received: its JSON body and headers (names lowercased)."""

    body: dict[str, Any]
    headers: dict[str, str]
    arrived: float  # time.monotonic()

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    @property
    def prompt(self) -> str:
        """Every message's content, joined."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)

    @property
    def mode(self) -> str:
        """json_schema, json_object, or prompt (no response_format)."""
        return (self.body.get("response_format") or {}).get("type", "prompt")

    @property
    def schema(self) -> str:
        """The answer's schema name; guessed from the data where the request does not name it."""
        named = (self.body.get("response_format") or {}).get("json_schema", {}).get("name", "")
        if named:
            return named
        data = self.data
        if "<question>" in data:
            return "bot_answer"
        return "report_item" if "<article " in data else "report_overview"

    @property
    def data(self) -> str:
        """The articles, items or question asked about: the last user message holding them (an
        example exchange may come before it, follow-ups after it)."""
        asked = [m["content"] for m in self.messages if m.get("role") == "user"]
        holding = [c for c in asked if re.search(r"<article |<item |<question>", str(c))]
        return (holding or asked or [""])[-1]


class FakeOpenAI(LoopbackServer):
    """See the module docstring."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        api_key: str | None = None,
        model: str = "fake-model",
        refuse: tuple[str, ...] = (),
        context_tokens: int | None = None,
    ) -> None:
        self.latency = latency  # seconds every answer waits (the benchmark's model time)
        # When set, a prompt of more tokens (4 characters each, as ``completion`` counts them) plus
        # max_tokens is refused with HTTP 400, in OpenAI's and llama-cpp-python's words.
        self.context_tokens = context_tokens
        self.api_key = api_key  # when set, other keys get a 401
        self.model = model
        self.refuse = refuse  # response_format types answered as llama-cpp-python answers json_schema
        self.rule: Callable[[ChatRequest], Fault | None] | None = None
        self._faults: deque[Fault] = deque()
        self._requests: list[ChatRequest] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self.max_in_flight = 0
        super().__init__(_Handler, name="fake-openai")
        self._http.fake = self  # type: ignore[attr-defined]

    @property
    def base_url(self) -> str:
        """The URL to give the SDK as ``base_url`` (with ``/v1``)."""
        return f"{self.origin}/v1"

    def push(self, *faults: Fault) -> None:
        """Faults for the next requests, one each, in order."""
        with self._lock:
            self._faults.extend(faults)

    @property
    def requests(self) -> list[ChatRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def calls(self) -> int:
        """Chat completion requests received (each SDK retry is one)."""
        with self._lock:
            return len(self._requests)

    def _arrived(self, request: ChatRequest) -> Fault | None:
        with self._lock:
            self._requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            if self._faults:
                return self._faults.popleft()
        return self.rule(request) if self.rule else None

    def _finished(self) -> None:
        with self._lock:
            self._in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        fake: FakeOpenAI = self.server.fake  # type: ignore[attr-defined]
        if self.path.rstrip("/") != "/v1/models":
            self._json(404, _error("not found", "invalid_request_error"))
            return
        self._json(
            200, {"object": "list", "data": [{"id": fake.model, "object": "model", "owned_by": "fake"}]}
        )

    def do_POST(self) -> None:
        fake: FakeOpenAI = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        headers = {name.lower(): value for name, value in self.headers.items()}
        if self.path != "/v1/chat/completions":
            self._json(404, _error("not found", "invalid_request_error"))
            return
        request = ChatRequest(body, headers, time.monotonic())
        fault = fake._arrived(request)
        try:
            delay = fake.latency + (fault.delay if fault else 0.0)
            if delay and fake.closing.wait(delay):
                self.close_connection = True
                return
        finally:
            fake._finished()  # before answering: the client may send its next request at once
        try:
            self._respond(fake, request, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client timed out and hung up

    def _respond(self, fake: FakeOpenAI, request: ChatRequest, fault: Fault | None) -> None:
        if fake.api_key and request.headers.get("authorization") != f"Bearer {fake.api_key}":
            self._json(401, _error("Incorrect API key provided", "invalid_request_error", "invalid_api_key"))
        elif request.mode in fake.refuse:
            self._json(500, _error(_refusal(request.mode), "internal_server_error"))
        elif fake.context_tokens and _tokens(request) > fake.context_tokens:
            message = (
                f"This model's maximum context length is {fake.context_tokens} tokens. However, you "
                f"requested {_tokens(request)} tokens. Please reduce the length of the messages."
            )
            self._json(400, _error(message, "invalid_request_error", "context_length_exceeded"))
        elif fault and fault.kind == "status":
            message = fault.text or f"fake {fault.status}"
            self._json(fault.status, _error(message, "server_error"), fault.headers)
        else:
            self._json(200, completion(request, fault, fake.calls))

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


#: The server-side traceback frame a refusal carries, which must never reach our logs.
TRACEBACK_LINE = 'File "/venv/lib/python3.11/site-packages/llama_cpp/server/app.py", line 376'


def _refusal(mode: str) -> str:
    """llama-cpp-python 0.3.36's message for a response_format it does not take (as seen from
    the real server): pydantic's error, then the frame it came from."""
    allowed = "'text'" if mode == "json_object" else "'text' or 'json_object'"
    return (
        "1 validation error:\n"
        "  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
        f"'msg': \"Input should be {allowed}\", 'input': '{mode}', 'ctx': {{'expected': \"{allowed}\"}}}}\n\n"
        f"  {TRACEBACK_LINE}, in create_chat_completion\n"
        "    POST /v1/chat/completions"
    )


# --- answers ----------------------------------------------------------------------------------


def _tokens(request: ChatRequest) -> int:
    """The tokens a request asks for: its prompt's (as ``completion`` counts them) and max_tokens."""
    return len(request.prompt) // 4 + 1 + int(request.body.get("max_tokens") or 0)


def completion(request: ChatRequest, fault: Fault | None, number: int) -> dict[str, Any]:
    """A chat completion in the real shape, answering ``request`` (or misbehaving as ``fault``)."""
    kind = fault.kind if fault else ""
    content = _content(request, fault)
    prompt_tokens = len(request.prompt) // 4 + 1
    payload: dict[str, Any] = {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.body.get("model", ""),
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "length" if kind == "cut_off" else "stop",
            }
        ],
    }
    if kind != "no_usage":
        completion_tokens = len(content) // 4 + 1
        payload["usage"] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
    return payload


def _content(request: ChatRequest, fault: Fault | None) -> str:
    kind = fault.kind if fault else ""
    if kind == "reply":
        return fault.text
    if kind in ("invalid_json", "cut_off"):
        return '{"title": "half an answer", "summary": '
    if request.schema == "bot_question":  # the bot's question rewrite: the question as it was
        question = re.search(r"<question>(.*?)</question>", request.data, re.S)
        return json.dumps({"question": html.unescape(question.group(1)) if question else ""})
    if request.schema == "report_overview":
        answer = overview_answer(request.data)
    else:
        answer = item_answer(
            request.data,
            english="Write in English" in request.prompt,
            chinese="Traditional Chinese" in request.prompt,
        )
    if kind == "headline" and "title" in answer and "storylines" not in answer:
        answer["headline"] = True
    if fault and kind == "invent_entity":
        answer["summary"] += f" {fault.text} was also announced."
    elif fault and kind == "invent_figure":
        answer["summary"] += f" The deal is worth {fault.text}."
    elif fault and kind == "invent_detail" and "details" in answer:
        answer["details"].append(f"Terms: the deal is worth {fault.text}.")
    text = json.dumps(answer, ensure_ascii=False)
    return f"```json\n{text}\n```" if kind == "fenced" else text


def _sentences(text: str) -> list[str]:
    """The text's sentences, but none with a link: like a model told to write no links."""
    return [s.strip() for s in _SENTENCE.split(text) if len(s.strip()) > 1 and not _URL.search(s)]


def item_answer(data: str, *, english: bool = False, chinese: bool = False) -> dict[str, Any]:
    """An item written from the prompt's articles, in their own words (see ``_in_english``).

    Asked for Chinese, English articles are "translated" (``_in_chinese``). The entities are the
    articles' Latin-script names, the section the one the prompt suggests, never a headline.
    """
    articles = [(html.unescape(t), html.unescape(x)) for _, t, x in _ARTICLE.findall(data)]
    extra = {"entities": _names(articles), "section": _section(data), "headline": False}
    if not articles:
        empty = {"title": "None", "summary": "None.", "details": [], "use_cases": [], "importance_reason": ""}
        return {**empty, **extra}
    if english:
        articles = [_in_english(title, text) for title, text in articles]
    elif chinese:
        articles = [_in_chinese(title, text) for title, text in articles]
    title, text = articles[0]
    sentences = _sentences(text) or [title]
    others = [s for _, other in articles[1:] for s in _sentences(other)[:1]]
    return {
        "title": title,
        "summary": " ".join(sentences[:2]),
        "details": (sentences[2:4] + others)[:4],
        "use_cases": [],
        "importance_reason": "",
        **extra,
    }


_SECTION_LINE = re.compile(r"^Section key: (\w+)", re.M)


def _section(data: str) -> str:
    found = _SECTION_LINE.search(data)
    return found.group(1) if found and found.group(1) != "top_headlines" else "research"


def _names(articles: list[tuple[str, str]]) -> list[str]:
    names = [n for title, text in articles for n in _LATIN_NAME.findall(f"{title} {text}")]
    return [n for n in dict.fromkeys(names) if n not in ("The", "A", "An", "It", "In")][:5]


def _in_chinese(title: str, text: str) -> tuple[str, str]:
    """An English article "translated" as well as a fake can: its names, in Chinese sentences."""
    if _CJK.search(title + text):
        return title, text
    names = _names([(title, text)]) or ["這家公司"]
    subject = "、".join(names[:2])
    return (
        f"{subject} 的最新消息",
        f"報導指出，{subject} 公布了新的進展與計畫。業界認為這項消息值得持續關注。"
        f"相關細節包括產品、合作對象與後續的推出時程。",
    )


def _in_english(title: str, text: str) -> tuple[str, str]:
    """A Chinese article "translated" as well as a fake can: its Latin-script names, in English."""
    if not _CJK.search(title + text):
        return title, text
    names = list(dict.fromkeys(_LATIN_NAME.findall(f"{title} {text}")))
    subject = ", ".join(names[:3]) or "an AI company"
    return f"News about {subject}", f"The article reports news about {subject}."


def overview_answer(data: str) -> dict[str, Any]:
    """An overview from the prompt's items: their titles, names and link numbers."""
    items = []
    for _, inner in _ITEM.findall(data):
        found = {
            name: html.unescape(m.group(1)) if (m := rx.search(inner)) else "" for name, rx in _TAG.items()
        }
        items.append((found, _LINK.findall(inner)))
    titles = [found["title"] for found, _ in items]
    names = [n.strip() for found, _ in items for n in found["names"].split(",") if n.strip()]
    links = [int(number) for _, numbers in items for number in numbers[:1]]
    lead = titles[0] if titles else "AI"
    return {
        "title": f"AI Daily: {lead}",
        "description": lead,
        "summary": "; ".join(titles[:2]),
        "tags": list(dict.fromkeys(names))[:5],
        "storylines": [{"text": "; ".join(titles[:3]), "items": list(range(1, min(len(titles), 3) + 1))}]
        if titles
        else [],
        "context": ["; ".join(titles[3:6])] if len(titles) > 3 else [],
        "outlook": [f"Watch {titles[0]}."] if titles else [],
        "watchlist": titles[:3],
        "reading": [{"link": n, "note": "Worth reading in full."} for n in links[:3]],
        "background": [],
        "keywords": list(dict.fromkeys(names))[:10],
    }
