"""The one module that imports ``openai``: building the SDK clients and one structured-JSON call.

Who uses it: the report writer (``core.report.writing.llm_writer``, asynchronous, many calls at once) and the
bot's answerer (``bot.llm_answer``, synchronous, called from the bots' worker threads). Both
ask for structured output (``response_format`` json_schema, strict: the form OpenAI, Ollama,
vLLM and llama.cpp all take) and validate the reply with a pydantic model of their own.

Retries: connection errors, timeouts, 429 and 5xx are retried inside the SDK (``max_retries``,
exponential backoff honouring ``Retry-After`` and ``retry-after-ms``). What still fails comes
back as a ``Reply`` with ``failure`` set, never as an exception: one failed call must not lose a
report or a chat answer. ``refused`` marks a 401, 403 or 404 (a wrong key or an unknown model),
after which every further call would fail alike.

Secrets: the key goes to the SDK only; failures are described by status and the server's
message, never with request headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import openai
from openai import AsyncOpenAI, OpenAI
from pydantic import BaseModel, ValidationError

from core.llm.schema import response_format

Message = dict[str, str]

# A wrong key or model name fails every call alike: the caller may stop asking after the first.
_REFUSED = (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError)
# Some local servers wrap JSON in a Markdown fence even when asked for a schema.
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


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

    def arguments(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": self.messages,
            "response_format": response_format(self.schema, self.answer),
        }


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
    refused: bool = False  # 401, 403 or 404: every further call would fail alike
    tokens_in: int = 0
    tokens_out: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.failure)


async def complete_json(client: AsyncOpenAI, request: JsonRequest) -> Reply:
    """One chat completion asking for ``request.answer`` as JSON (asynchronous client)."""
    try:
        completion = await client.chat.completions.create(**request.arguments())
    except openai.APIError as exc:
        return _failure(exc)
    return parse_completion(completion, request.answer)


def complete_json_sync(client: OpenAI, request: JsonRequest) -> Reply:
    """One chat completion asking for ``request.answer`` as JSON (synchronous client)."""
    try:
        completion = client.chat.completions.create(**request.arguments())
    except openai.APIError as exc:
        return _failure(exc)
    return parse_completion(completion, request.answer)


def _failure(exc: openai.APIError) -> Reply:
    status = getattr(exc, "status_code", None)
    described = f"HTTP {status}: {exc.message}" if status else f"{type(exc).__name__}: {exc.message}"
    return Reply(failure=described, refused=isinstance(exc, _REFUSED))


def parse_completion(completion: Any, answer: type[BaseModel]) -> Reply:
    """The completion's content and usage, with the content validated as ``answer`` when it can be."""
    usage = getattr(completion, "usage", None)
    counts = {
        "tokens_in": getattr(usage, "prompt_tokens", 0) or 0,  # servers may omit usage or its fields
        "tokens_out": getattr(usage, "completion_tokens", 0) or 0,
    }
    if not completion.choices:
        return Reply(error="the reply had no choices", **counts)
    choice = completion.choices[0]
    content = choice.message.content or ""
    if choice.finish_reason == "length":
        return Reply(content, error="the answer was cut off at the length limit", **counts)
    try:
        return Reply(content, answer.model_validate_json(_FENCE.sub("", content.strip())), **counts)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        return Reply(content, error=f"{where}: {first['msg']}", **counts)
