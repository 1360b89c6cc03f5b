"""The one module that imports ``openai``: building the SDK clients and one structured-JSON call.

Who uses it: the report writer (``core.report.writing.llm_writer``, asynchronous, many calls at once) and the
bot's answerer (``bot.llm_answer``, synchronous, called from the bots' worker threads). Both
ask for an answer as JSON and validate the reply with a pydantic model of their own.

Structured output: servers take it in different forms (``core.llm.schema``: json_schema,
json_object with a ``schema`` key, or the schema pasted into the prompt). ``JsonClient`` and
``SyncJsonClient`` find out which with the first call to a server: a mode refused with 400, 422
or 500 and a message naming ``response_format`` (llama-cpp-python's server answers json_schema
with HTTP 500 "Input should be 'text' or 'json_object'") is followed at once by the next mode,
with the SDK's retries off for the probe so a refusal is not asked three times. What was found is
remembered per base URL and model in a ``ModeBook`` (shared by the writer and the answerer, and
kept in a small JSON file when given one); ``ModeBook(forced=...)`` tries that mode alone. A
server that refuses both response_formats and answers the schema-in-the-prompt request with 400
or 422 takes no mode at all: a refusal for good.

Retries: connection errors, timeouts, 429 and 5xx are retried inside the SDK (``max_retries``,
exponential backoff honouring ``Retry-After`` and ``retry-after-ms``). What still fails comes
back as a ``Reply`` with ``failure`` set, never as an exception: one failed call must not lose a
report or a chat answer. ``refused`` marks a failure every further call would repeat: a 401, 403
or 404 (a wrong key or an unknown model), or a server that takes no structured-output mode.

Secrets and noise: the key goes to the SDK only; failures are described by status and the
server's message clipped to one line (some servers send a whole Python traceback as the
message), never with request headers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
from openai import AsyncOpenAI, OpenAI
from pydantic import BaseModel, ValidationError

from core.llm.schema import MODES, Mode, response_format, schema_instruction

Message = dict[str, str]

log = logging.getLogger(__name__)

# A wrong key or model name fails every call alike: the caller may stop asking after the first.
_REFUSED = (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError)
# Some local servers wrap JSON in a Markdown fence even when asked for a schema.
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")
# How servers say they do not take a response_format: OpenAI and vLLM with 400, FastAPI servers
# with 422, llama-cpp-python with 500 and pydantic's "Input should be 'text' or 'json_object'".
_MODE_STATUSES = {400, 422, 500}
_MODE_WORDS = re.compile(r"response_format|json_schema|json_object|grammar", re.IGNORECASE)
# How servers say a prompt does not fit the model's context (OpenAI, vLLM and llama-cpp-python:
# "maximum context length is 8192 tokens"; others "prompt is too long", "too many tokens").
_LENGTH_WORDS = re.compile(r"context|token|length|too long", re.IGNORECASE)
# Statuses (besides no status at all: a timeout or a lost connection) the SDK would retry.
_TRANSIENT = {408, 409, 429}
#: Characters of a server's error message kept in a failure's description.
MESSAGE_CHARS = 200


def make_client(*, api_key: str, base_url: str | None, timeout: float, max_retries: int) -> AsyncOpenAI:
    """The asynchronous SDK client for an OpenAI-compatible server (the report writer's)."""
    return AsyncOpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)


def make_sync_client(*, api_key: str, base_url: str | None, timeout: float, max_retries: int) -> OpenAI:
    """The synchronous SDK client (the bot's answerer; thread-safe, one per process)."""
    return OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)


@dataclass(frozen=True, slots=True)
class JsonRequest:
    """One structured-output call: the messages and the answer's shape (schema name and model)."""

    model: str
    messages: list[Message]
    schema: str
    answer: type[BaseModel]
    max_tokens: int | None = None  # a cap on the answer (small local models may ramble)
    temperature: float | None = None  # None: the server's default (some models take no other)

    def arguments(self, mode: Mode = "json_schema") -> dict[str, Any]:
        arguments: dict[str, Any] = {"model": self.model, "messages": self.messages}
        if mode == "prompt":
            arguments["messages"] = _with_schema(self.messages, schema_instruction(self.answer))
        else:
            arguments["response_format"] = response_format(self.schema, self.answer, mode)
        if self.max_tokens:
            arguments["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            arguments["temperature"] = self.temperature
        return arguments


def _with_schema(messages: list[Message], instruction: str) -> list[Message]:
    """The messages with the schema appended to the system message (or in one of its own)."""
    if messages and messages[0].get("role") == "system":
        first = {**messages[0], "content": f"{messages[0]['content']}\n\n{instruction}"}
        return [first, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


@dataclass(frozen=True, slots=True)
class Reply:
    """What one call gave: the content and the validated answer, or why there is none.

    ``error`` says why valid content could not be used (not JSON of the schema, cut off);
    ``failure`` says why there was no content at all (the server failed after the SDK's retries).
    """

    content: str = ""
    answer: Any = None
    error: str = ""
    failure: str = ""
    refused: bool = False  # every further call would fail alike (see the module docstring)
    mode_refused: bool = False  # the server does not take this request's response_format
    mode: str = ""  # the structured-output mode the call was made in
    retry_in: float = 0.0  # seconds the server asked to wait before asking again (Retry-After)
    asked: bool = True  # False: a refusal for good already seen, told without sending the call
    cut_off: bool = False  # the server stopped at max_tokens: the content is the start of an answer
    status: int | None = None  # the HTTP status of a failure (None: a timeout, a lost connection)
    tokens_in: int = 0
    tokens_out: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.failure)

    @property
    def too_long(self) -> bool:
        """The request was refused for its length ("maximum context length is 8192 tokens"): a
        shorter prompt may be taken, the same one never."""
        return self.status in (400, 413, 422) and _LENGTH_WORDS.search(self.failure) is not None


# --- which mode a server takes ----------------------------------------------------------------


def server_of(client: AsyncOpenAI | OpenAI, model: str) -> str:
    """The key a mode is remembered by: base URL without credentials, and the model."""
    url = client.base_url
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path.rstrip('/')} {model}"


class ModeBook:
    """Which structured-output mode each server (base URL + model) takes; thread-safe.

    ``forced`` is the one mode to try (a setting); its first call is still made as a probe, so a
    server refusing it is told once, not retried. ``path``, when given, is a JSON file the modes
    found are kept in, so the next run does not probe again; a file that cannot be read or
    written only costs a probe. A forced book keeps no file.
    """

    def __init__(self, *, forced: Mode | None = None, path: Path | None = None) -> None:
        self.forced = forced
        self._path = None if forced else path
        self._lock = threading.Lock()
        self._found: dict[str, Mode] = self._load()
        self._refused: dict[str, set[Mode]] = {}  # in this process: not asked again by a probe

    def candidates(self, server: str) -> tuple[Mode, ...]:
        """The modes a probe of ``server`` tries, in order."""
        if self.forced:
            return (self.forced,)
        with self._lock:
            refused = self._refused.get(server, set())
            return tuple(m for m in MODES if m not in refused)

    def refuse(self, server: str, mode: Mode) -> None:
        """``server`` refused ``mode``: forget it if it was the one found, and probe without it."""
        with self._lock:
            self._refused.setdefault(server, set()).add(mode)
            if self._found.get(server) == mode:
                del self._found[server]
                self._save()

    def mode(self, server: str) -> Mode | None:
        """The mode ``server`` was found to take, or None while it is to be found."""
        with self._lock:
            return self._found.get(server)

    def remember(self, server: str, mode: Mode) -> None:
        with self._lock:
            if self._found.get(server) == mode:
                return
            self._found[server] = mode
            self._save()

    def _load(self) -> dict[str, Mode]:
        if self._path is None:
            return {}
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if v in MODES} if isinstance(data, dict) else {}

    def _save(self) -> None:
        if self._path is None:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            part = self._path.with_name(f"{self._path.name}.{os.getpid()}.part")
            part.write_text(json.dumps(self._found, indent=1, sort_keys=True), encoding="utf-8")
            part.replace(self._path)
        except OSError as exc:
            log.debug("could not keep the LLM modes in %s: %s", self._path, exc)


def _no_mode(refusals: list[str]) -> Reply:
    return Reply(
        failure="the server took no structured-output mode: " + one_line("; ".join(refusals)), refused=True
    )


def _forced_refused(reply: Reply) -> Reply:
    failure = f"the server refuses the structured-output mode {reply.mode} set for it: {reply.failure}"
    return Reply(failure=failure, refused=True, mode=reply.mode)


def _refuses_prompt(reply: Reply) -> bool:
    """The last mode, the schema in the prompt, refused as a bad request: no mode is left.

    Not when the request was too long for the model (about this request, not the mode)."""
    return reply.mode == "prompt" and reply.status in (400, 422) and not reply.too_long


def _transient(reply: Reply) -> bool:
    """A failure the SDK would have retried (a timeout, a lost connection, 429, 5xx)."""
    return reply.status is None or reply.status in _TRANSIENT or reply.status >= 500


class JsonClient:
    """Structured-output calls on an ``AsyncOpenAI`` client, in the mode its server takes."""

    def __init__(self, client: AsyncOpenAI, modes: ModeBook | None = None) -> None:
        self.sdk = client
        self.modes = modes or ModeBook()
        self._probing = asyncio.Lock()  # one call finds the mode while the others wait for it
        self._refused: dict[str, Reply] = {}  # refusals for good: the calls waiting are told, not sent

    async def complete(self, request: JsonRequest) -> Reply:
        server = server_of(self.sdk, request.model)
        known = self.modes.mode(server)
        if known is not None:
            reply = await self._create(request, known, self.sdk)
            if not reply.mode_refused:
                return reply
            if self.modes.forced:
                return _forced_refused(reply)
            self.modes.refuse(server, known)  # the server changed: find its mode again
        async with self._probing:
            mode = self.modes.mode(server)  # found by another call while this one waited
            if mode is None:
                if server in self._refused:
                    return dataclasses.replace(self._refused[server], asked=False)
                reply = await self._probe(request, server)
                if reply.refused:
                    self._refused[server] = reply
                return reply
        return await self._create(request, mode, self.sdk)  # outside the lock: calls run at once

    async def _probe(self, request: JsonRequest, server: str) -> Reply:
        """The call made in each mode in turn until one is taken (that one is remembered)."""
        refusals = []
        for mode in self.modes.candidates(server):
            reply = await self._create(request, mode, self.sdk.with_options(max_retries=0))
            if reply.mode_refused:
                self.modes.refuse(server, mode)
                refusals.append(f"{mode}: {reply.failure}")
                continue
            if _refuses_prompt(reply):
                return _no_mode([*refusals, f"prompt: {reply.failure}"])
            if reply.failed and _transient(reply) and self.sdk.max_retries:
                # Not about the mode: the retries the probe went without, after the wait asked for.
                await asyncio.sleep(reply.retry_in)
                retrying = self.sdk.with_options(max_retries=self.sdk.max_retries - 1)
                reply = await self._create(request, mode, retrying)
            if not reply.failed:
                self.modes.remember(server, mode)
            return reply
        return _forced_refused(reply) if self.modes.forced else _no_mode(refusals)

    async def _create(self, request: JsonRequest, mode: Mode, sdk: AsyncOpenAI) -> Reply:
        try:
            completion = await sdk.chat.completions.create(**request.arguments(mode))
        except openai.APIError as exc:
            return _failure(exc, mode)
        return parse_completion(completion, request.answer, mode)


class SyncJsonClient:
    """``JsonClient`` for a synchronous ``OpenAI`` client (safe to share between threads)."""

    def __init__(self, client: OpenAI, modes: ModeBook | None = None) -> None:
        self.sdk = client
        self.modes = modes or ModeBook()
        self._probing = threading.Lock()
        self._refused: dict[str, Reply] = {}

    def complete(self, request: JsonRequest) -> Reply:
        server = server_of(self.sdk, request.model)
        known = self.modes.mode(server)
        if known is not None:
            reply = self._create(request, known, self.sdk)
            if not reply.mode_refused:
                return reply
            if self.modes.forced:
                return _forced_refused(reply)
            self.modes.refuse(server, known)  # the server changed: find its mode again
        with self._probing:
            mode = self.modes.mode(server)
            if mode is None:
                if server in self._refused:
                    return dataclasses.replace(self._refused[server], asked=False)
                reply = self._probe(request, server)
                if reply.refused:
                    self._refused[server] = reply
                return reply
        return self._create(request, mode, self.sdk)

    def _probe(self, request: JsonRequest, server: str) -> Reply:
        refusals = []
        for mode in self.modes.candidates(server):
            reply = self._create(request, mode, self.sdk.with_options(max_retries=0))
            if reply.mode_refused:
                self.modes.refuse(server, mode)
                refusals.append(f"{mode}: {reply.failure}")
                continue
            if _refuses_prompt(reply):
                return _no_mode([*refusals, f"prompt: {reply.failure}"])
            if reply.failed and _transient(reply) and self.sdk.max_retries:
                time.sleep(reply.retry_in)
                retrying = self.sdk.with_options(max_retries=self.sdk.max_retries - 1)
                reply = self._create(request, mode, retrying)
            if not reply.failed:
                self.modes.remember(server, mode)
            return reply
        return _forced_refused(reply) if self.modes.forced else _no_mode(refusals)

    def _create(self, request: JsonRequest, mode: Mode, sdk: OpenAI) -> Reply:
        try:
            completion = sdk.chat.completions.create(**request.arguments(mode))
        except openai.APIError as exc:
            return _failure(exc, mode)
        return parse_completion(completion, request.answer, mode)


# --- replies ----------------------------------------------------------------------------------


def _failure(exc: openai.APIError, mode: Mode) -> Reply:
    status = getattr(exc, "status_code", None)
    raw = _server_text(exc)
    message = one_line(raw)
    described = f"HTTP {status}: {message}" if status else f"{type(exc).__name__}: {message}"
    refuses_mode = mode != "prompt" and status in _MODE_STATUSES and bool(_MODE_WORDS.search(raw))
    return Reply(
        failure=described,
        refused=isinstance(exc, _REFUSED),
        mode_refused=refuses_mode,
        mode=mode,
        retry_in=_retry_in(exc),
        status=status,
    )


#: The SDK's first backoff, and the longest wait a server may ask for (as the SDK caps it).
_BACKOFF = 0.5
_MAX_WAIT = 60.0


def _retry_in(exc: openai.APIError) -> float:
    """Seconds to wait before asking again: ``retry-after-ms`` or ``retry-after``, else the SDK's."""
    response = getattr(exc, "response", None)
    headers = response.headers if response is not None else {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            seconds = float(headers.get(name, "")) * scale
        except ValueError:
            continue
        if 0 <= seconds <= _MAX_WAIT:
            return seconds
    return _BACKOFF


def _server_text(exc: openai.APIError) -> str:
    """What the server said: the ``error.message`` of its body, else the SDK's description."""
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return body["message"]
    if isinstance(body, str) and body:
        return body
    return exc.message


# Where a traceback begins in a server's message: Python's header, or its first frame line
# (llama-cpp-python 0.3 appends frames without the header).
_TRACEBACK = re.compile(
    r"^\s*(?:Traceback \(most recent call last\)|File \"[^\"]*\", line \d+)", re.MULTILINE
)


def one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    """A server's message as one short line, without the traceback some servers append to it."""
    found = _TRACEBACK.search(text)
    if found:
        head = text[: found.start()]
        lines = [line for line in text[found.start() :].splitlines() if line.strip()]
        text = head if head.strip() else (lines[-1] if lines else "")
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def parse_completion(completion: Any, answer: type[BaseModel], mode: Mode = "json_schema") -> Reply:
    """The completion's content and usage, with the content validated as ``answer`` when it can be."""
    usage = getattr(completion, "usage", None)
    counts = {
        "tokens_in": getattr(usage, "prompt_tokens", 0) or 0,  # servers may omit usage or its fields
        "tokens_out": getattr(usage, "completion_tokens", 0) or 0,
        "mode": mode,
    }
    if not completion.choices:
        return Reply(error="the reply had no choices", **counts)
    choice = completion.choices[0]
    content = choice.message.content or ""
    if choice.finish_reason == "length":
        return Reply(content, error="the answer was cut off at the length limit", cut_off=True, **counts)
    try:
        return Reply(content, answer.model_validate_json(_FENCE.sub("", content.strip())), **counts)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        return Reply(content, error=f"{where}: {one_line(str(first['msg']))}", **counts)
