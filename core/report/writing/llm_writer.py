"""The LLM writer: report items and the overview written by any OpenAI-compatible server.

Setup
-----
Set a key, and for anything but OpenAI a base URL and a model name. Without a key the built-in
extractive writer writes the report, and nothing here is used.

OpenAI::

    AIDAILY_OPENAI_API_KEY=sk-...
    AIDAILY_OPENAI_MODEL=gpt-4o-mini

Ollama (0.5 or newer enforces the JSON schema; the key is required by the SDK, ignored by Ollama)::

    ollama pull qwen2.5:7b
    AIDAILY_OPENAI_API_KEY=ollama
    AIDAILY_OPENAI_BASE_URL=http://127.0.0.1:11434/v1/
    AIDAILY_OPENAI_MODEL=qwen2.5:7b

vLLM (recent versions accept ``response_format`` json_schema)::

    vllm serve Qwen/Qwen2.5-7B-Instruct --api-key token-abc123
    AIDAILY_OPENAI_API_KEY=token-abc123
    AIDAILY_OPENAI_BASE_URL=http://127.0.0.1:8000/v1
    AIDAILY_OPENAI_MODEL=Qwen/Qwen2.5-7B-Instruct

llama.cpp (``llama-server``; the model name is ignored when one model is loaded; some builds
answered json_schema requests with "Either json_schema or grammar can be specified": update)::

    llama-server -m qwen2.5-7b-instruct-q4_k_m.gguf --port 8080
    AIDAILY_OPENAI_API_KEY=none
    AIDAILY_OPENAI_BASE_URL=http://127.0.0.1:8080/v1
    AIDAILY_OPENAI_MODEL=qwen2.5-7b

llama-cpp-python (``python -m llama_cpp.server``; it refuses json_schema and takes json_object
with a ``schema``, which the first call finds by itself)::

    python -m llama_cpp.server --model qwen2.5-7b-instruct-q4_k_m.gguf --n_ctx 8192
    AIDAILY_OPENAI_API_KEY=none
    AIDAILY_OPENAI_BASE_URL=http://127.0.0.1:8000/v1

Then ``aidaily build`` (or ``aidaily demo``), and ``aidaily show --stats`` for what it cost.
``AIDAILY_OPENAI_CONCURRENCY`` (calls at once, default 8; a local server on one GPU wants 1-4),
``AIDAILY_OPENAI_TIMEOUT`` (seconds per call) and ``AIDAILY_OPENAI_MAX_RETRIES`` tune it;
``AIDAILY_OPENAI_STRUCTURED`` (``auto``, ``json_schema``, ``json_object`` or ``prompt``) sets how
structured output is asked for instead of finding it out.

How it works
------------
* One call per item and one for the overview, each asking for structured output in the
  form the server takes (``core.llm.client``: json_schema, json_object with a schema, or the
  schema in the prompt; the first call finds it, without counting a refusal as a failure),
  built in ``core.report.writing.prompts`` and validated here with the pydantic models of
  ``core.report.writing.llm_replies``. Articles go in as escaped, delimited data the model is told never
  to obey. The model writes words only; sources, entities and importance come from our code
  (``assemble_item``), and further reading is picked by number from the items' own links.
* Size: with a cap on each answer (``max_tokens``, ``AIDAILY_OPENAI_MAX_TOKENS``) an item is
  asked for fewer bullets and names (``prompts.item_shape``), so it ends inside the cap; an answer
  cut off anyway is asked again for the smallest shape. A prompt the server refuses as longer than
  its model's context (HTTP 400 "maximum context length") is asked again shorter: the overview
  with half, then a quarter, of each item's share of the prompt.
* Faithful by construction: names and figures in an answer must occur in its sources, and it
  may contain no URL (``core.report.writing.faithful``). An answer that is not valid JSON for the
  schema, that names what the sources do not say, or (in an English report) that left Chinese
  untranslated, is asked again once, with the failure named. When neither answer passes whole,
  the last one whose title and summary pass is used without the bullets that failed (counted as
  ``trimmed``); else the topic falls back to the extractive writer, marked ``llm-fallback`` in
  the report and the store (the overview falls back to ``build_overview``). The report is
  always complete.
* Retries: connection errors, timeouts, 429 and 5xx are retried by the SDK (``max_retries``)
  with exponential backoff, honouring ``Retry-After`` and ``retry-after-ms``. A 401, 403 or 404
  (a wrong key, an unknown model), or a server that takes no structured-output mode, stops
  asking for the rest of the run with one error line: every call would fail alike. Other failures
  log one warning per distinct cause, the server's message clipped to one line. Why each item
  fell back is kept with the report's stats (``WriterStats.fell_back``), printed after the build
  and by ``aidaily show --stats``.
* Cache: each validated answer is stored by a hash of the prompt's inputs (the articles' URLs,
  titles and summaries, the model, ``PROMPT_VERSION`` and the language), so building a day again
  costs no calls for what was accepted. Answers that fell back are not cached: the next build
  asks again for those only.
* Stats: calls, tokens in and out (from ``usage``; servers that omit it count 0), cache hits,
  failures and fallbacks, through a ``UsageRecorder`` (``WriterStats`` per report).

The SDK client and the call itself live in ``core.llm.client``, the only module that imports
``openai`` (the bot's answerer uses it too).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from core.llm.client import AsyncOpenAI, JsonClient, JsonRequest, ModeBook, Reply, make_client
from core.models import EditedTopic, Item, Overview, WriterStats
from core.report.writing.faithful import Evidence, Problems, check, evidence, in_language
from core.report.writing.llm_replies import (
    OverviewAnswer,
    item_answer,
    item_from_answer,
    item_sources,
    overview_from_answer,
    overview_sources,
)
from core.report.writing.overview import build_overview
from core.report.writing.prompts import (
    ITEM_SCHEMA,
    OVERVIEW_SCHEMA,
    PROMPT_VERSION,
    Message,
    cut_off_message,
    invalid_answer_message,
    item_budget,
    item_messages,
    item_shape,
    overview_links,
    overview_messages,
    unsupported_message,
)
from core.report.writing.sentences import clip
from core.report.writing.summarize import extractive_item

__all__ = ["LLMSummarizer", "MemoryCache", "ModeBook", "ResponseCache", "UsageRecorder", "make_client"]

log = logging.getLogger(__name__)

#: Answers asked per item or overview: the first, and one more after an unusable one.
ANSWERS = 2


class ResponseCache(Protocol):
    """Where validated answers are kept by key (``core.store.Store`` is one)."""

    def cached_response(self, key: str) -> dict[str, Any] | None: ...

    def cache_response(self, key: str, model: str, response: dict[str, Any]) -> None: ...


class MemoryCache:
    """A ``ResponseCache`` in a dict, for runs without a store."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    def cached_response(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def cache_response(self, key: str, model: str, response: dict[str, Any]) -> None:
        self.entries.setdefault(key, response)


@dataclass(slots=True)
class UsageRecorder:
    """Counts what the writer spends; ``snapshot()`` gives them as ``WriterStats``."""

    model: str = ""
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cache_hits: int = 0
    failures: int = 0
    fallbacks: int = 0
    fell_back: list[tuple[str, str]] = field(default_factory=list)
    trimmed: int = 0

    def fallback(self, label: str, reason: str) -> None:
        """Count one answer written by the extractive writer instead, and say why."""
        self.fallbacks += 1
        self.fell_back.append((label, reason))

    def tokens(self, reply: Reply) -> None:
        """Add the tokens a reply cost (0 where the server omitted ``usage``)."""
        self.tokens_in += reply.tokens_in
        self.tokens_out += reply.tokens_out

    def snapshot(self) -> WriterStats:
        counts = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "fell_back"}
        return WriterStats(writer="llm", **counts, fell_back=tuple(self.fell_back))


@dataclass(frozen=True, slots=True)
class _Request:
    """One thing to ask: the messages, the answer's shape, and what the answer may draw on."""

    label: str  # for logs: the topic key, or "overview"
    key: str
    messages: list[Message]
    schema: str
    answer: type[BaseModel]
    sources: Evidence
    what: str  # "articles" or "items", as the follow-up names them
    language: str
    openers: bool = True  # check a lone capitalized word opening a sentence (see faithful.check)
    shorter: _Request | None = None  # the same, shorter, asked when this one is too long for the model

    def problems(self, answer: Any) -> Problems:
        """What is wrong with an answer: names, figures or links it should not have, its language."""
        found = check(answer.texts(), self.sources, openers=self.openers)
        if in_language(answer.prose(), self.language):
            return found
        return dataclasses.replace(found, language=self.language)


class LLMSummarizer:
    """A ``Summarizer`` on an OpenAI-compatible chat completions API; see the module docstring."""

    name = "llm"

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        model: str,
        cache: ResponseCache,
        concurrency: int = 8,
        usage: UsageRecorder | None = None,
        modes: ModeBook | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> None:
        self._llm = JsonClient(client, modes)
        self._model = model
        self._cache = cache
        self._gate = asyncio.Semaphore(concurrency)
        self._usage = usage or UsageRecorder()
        self._usage.model = model
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._stopped = ""  # why, once a failure that every call would repeat was seen
        self._warned: set[str] = set()  # causes already logged: one line each, not one per item

    def usage(self) -> WriterStats:
        """Counts since this writer was made (the pipeline stores the difference per report)."""
        return self._usage.snapshot()

    def fallback_reasons(self) -> dict[str, str]:
        """Why each topic (by key) or the overview fell back, since this writer was made."""
        return dict(self._usage.fell_back)

    @property
    def modes(self) -> ModeBook:
        """The structured-output modes found (or forced) for the servers this writer asked."""
        return self._llm.modes

    async def write_item(self, topic: EditedTopic, *, language: str) -> Item:
        shape = item_shape(self._max_tokens)
        messages = item_messages(topic, language=language, shape=shape)
        articles = [[a.url, a.title, a.summary] for a in topic.topic.articles]
        request = _Request(
            label=topic.topic.key,
            key=self._key("item", language, articles, messages),
            messages=messages,
            schema=ITEM_SCHEMA,
            answer=item_answer(shape),
            sources=evidence(item_sources(topic, language)),
            what="articles",
            language=language,
        )
        answer = await self._answer(request)
        if answer is None:
            return extractive_item(topic, language=language, writer="llm-fallback")
        return item_from_answer(topic, answer, language)

    async def write_overview(
        self, items: Sequence[Item], *, day: date, language: str, articles_count: int
    ) -> Overview:
        base = build_overview(items, day=day, language=language, articles_count=articles_count)
        sources = evidence(overview_sources(items, day, articles_count))
        urls = [link.url for _, link in overview_links(items)]
        request = None
        for budget in sorted(_overview_budgets(len(items))):  # the shortest first: each the next's fallback
            messages = overview_messages(
                items, day=day, language=language, articles_count=articles_count, budget=budget
            )
            request = _Request(
                label="overview",
                key=self._key("overview", language, urls, messages),
                messages=messages,
                schema=OVERVIEW_SCHEMA,
                answer=OverviewAnswer,
                sources=sources,
                what="items",
                language=language,
                openers=False,  # free prose written from checked items: "Expect", "Worth" are words
                shorter=request,
            )
        answer = await self._answer(request)
        if answer is None:
            return base
        return overview_from_answer(answer, base, items, language)

    # --- asking -------------------------------------------------------------------------------

    def _key(self, kind: str, language: str, inputs: Any, messages: list[Message]) -> str:
        """The cache key: a hash of everything the answer depends on."""
        parts = [kind, PROMPT_VERSION, self._model, language, inputs, messages]
        if self._temperature is not None:  # unset, keys stay those answers were stored under
            parts.append(self._temperature)
        return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()

    async def _answer(self, request: _Request) -> Any:
        """A usable answer from the cache or the model, or None (the caller falls back)."""
        cached = self._from_cache(request)
        if cached is not None:
            self._usage.cache_hits += 1
            return cached
        try:
            answer, reason = await self._ask(request)
        except Exception:  # a bug in handling one answer must not lose the report
            log.warning("LLM writer failed on %s; using the fallback", request.label, exc_info=True)
            self._usage.failures += 1
            answer, reason = None, "the writer failed on the answer"
        if answer is None:
            self._usage.fallback(request.label, reason)
            return None
        self._cache.cache_response(request.key, self._model, answer.model_dump(mode="json"))
        return answer

    def _from_cache(self, request: _Request) -> Any:
        data = self._cache.cached_response(request.key)
        if data is None:
            return None
        try:
            answer = request.answer.model_validate(data)
        except ValidationError:
            return None  # stored by another version of the answer model: ask again
        # Checked again: the check may have grown stricter since the answer was stored.
        return None if request.problems(answer) else answer

    async def _ask(self, request: _Request) -> tuple[Any, str]:
        """The answer, or None and why there is none.

        An answer that fails the checks is asked again once, with what failed named. When no
        answer passes whole, the last one whose title and summary pass is used without the
        bullets that failed (``_trimmed``): dropping a bullet loses one fact, falling back loses
        the model's whole item.
        """
        messages = list(request.messages)
        why, kept = "", None
        for _ in range(ANSWERS):
            reply = await self._call(messages, request)
            if reply.failed and reply.too_long and request.shorter is not None and kept is None:
                return await self._ask(request.shorter)
            if reply.failed:
                why = reply.failure
                break
            follow_up, why = _judge(reply, request)
            if follow_up is None:
                return reply.answer, ""
            self._usage.failures += 1
            kept = _trimmed(reply.answer, request) or kept
            messages += [{"role": "assistant", "content": clip(reply.content, 4000)}, follow_up]
        else:
            why = f"asked {ANSWERS} times: {why}"
        if kept is None:
            return None, why
        self._usage.trimmed += 1
        log.info("answer for %s used without the bullets that failed: %s", request.label, why)
        return kept, ""

    async def _call(self, messages: list[Message], request: _Request) -> Reply:
        """One chat completion (the SDK retries transport errors, 429 and 5xx inside it)."""
        async with self._gate:
            if self._stopped:
                return Reply(failure=f"not asked: {self._stopped}")
            asked = JsonRequest(
                self._model, messages, request.schema, request.answer, self._max_tokens, self._temperature
            )
            reply = await self._llm.complete(asked)
        if not reply.asked:  # the server's refusal was already seen: no call was made
            return dataclasses.replace(reply, failure=f"not asked: {reply.failure}")
        self._usage.calls += 1
        if reply.failed:
            self._failed(request, reply)
        else:
            self._usage.tokens(reply)
        return reply

    def _failed(self, request: _Request, reply: Reply) -> None:
        """Count a failed call and say so: once per run for a refusal, once per cause otherwise."""
        self._usage.failures += 1
        if reply.refused:
            if not self._stopped:  # calls under way when it came may be refused too: one line
                self._stopped = reply.failure
                log.error("LLM server refused the call (%s); writing the rest without it", reply.failure)
        elif reply.failure not in self._warned:
            self._warned.add(reply.failure)
            log.warning("LLM call for %s failed: %s (further alike not logged)", request.label, reply.failure)


def _overview_budgets(count: int) -> set[int]:
    """Characters per item in the overview prompt: the usual share, then half and a quarter of it,
    for servers whose context the usual prompt overflows (a 60-item day is about 9,000 tokens)."""
    usual = item_budget(count)
    return {usual, max(usual // 2, 120), max(usual // 4, 80)}


def _trimmed(answer: Any, request: _Request) -> Any:
    """``answer`` without the parts that fail the checks, when what is left passes them all."""
    if answer is None:
        return None
    trimmed = answer.without(lambda text: bool(check([text], request.sources, openers=request.openers)))
    return None if request.problems(trimmed) else trimmed


def _judge(reply: Reply, request: _Request) -> tuple[Message | None, str]:
    """(None, "") when the answer can be used; else the follow-up and what is wrong with it."""
    if reply.answer is None:
        log.info("invalid answer for %s: %s", request.label, reply.error)
        if reply.cut_off:
            return cut_off_message("item" if request.schema == ITEM_SCHEMA else "overview"), reply.error
        return invalid_answer_message(reply.error), reply.error
    problems = request.problems(reply.answer)
    if problems:
        described = problems.describe()
        log.info("unfaithful answer for %s: %s", request.label, described)
        return unsupported_message(problems, request.what), described
    return None, ""
