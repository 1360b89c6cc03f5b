"""JSON schemas for structured output, in the three forms servers take it.

An answer shape is a pydantic model of the caller's; this module turns it into what a request
carries, leaving length limits to pydantic on our side:

* ``json_schema``: ``response_format`` of type json_schema, strict (OpenAI, vLLM, Ollama 0.5+,
  llama.cpp's ``llama-server``);
* ``json_object``: ``response_format`` of type json_object with the schema under ``schema``
  (llama-cpp-python's server, which refuses json_schema but turns this schema into a grammar);
  here, and in the prompt, a list's ``maxItems`` is kept, so the grammar ends a list where our
  prompt asked it to end, and a small model cannot spend its tokens on a sixth bullet;
* ``prompt``: no ``response_format``; the schema pasted into the system message (any server).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel

Mode = Literal["json_schema", "json_object", "prompt"]
#: The order a server is asked in: the strictest form first.
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "prompt")


def response_format(name: str, answer: type[BaseModel], mode: Mode = "json_schema") -> dict[str, Any] | None:
    """The ``response_format`` of a structured-output request for ``answer`` (None in prompt mode)."""
    if mode == "json_schema":
        schema = {"name": name, "strict": True, "schema": strict_schema(answer)}
        return {"type": "json_schema", "json_schema": schema}
    if mode == "json_object":
        return {"type": "json_object", "schema": strict_schema(answer, limits=True)}
    return None


def schema_instruction(answer: type[BaseModel]) -> str:
    """What the system message says in prompt mode, where nothing but the prompt asks for JSON."""
    schema = json.dumps(strict_schema(answer, limits=True), ensure_ascii=False, separators=(",", ":"))
    return (
        "Reply with one JSON object and nothing else: no Markdown fence, no text before or after it. "
        f"It must match this JSON schema:\n{schema}"
    )


# Keywords OpenAI's strict mode, Ollama and llama.cpp grammars all accept; pydantic's length
# limits and titles are left out of the schema and checked by pydantic on our side.
_SCHEMA_KEYS = frozenset(
    {"type", "properties", "items", "required", "additionalProperties", "description", "enum"}
)
# With ``limits``: a list's bound, which llama-cpp-python's grammar enforces (OpenAI's strict mode
# is not sent it: one keyword it did not take would cost every request its mode).
_LIMIT_KEYS = _SCHEMA_KEYS | {"maxItems"}


def strict_schema(answer: type[BaseModel], *, limits: bool = False) -> dict[str, Any]:
    """A JSON schema for strict mode: every property required, no extra ones, no ``$ref``."""
    schema = answer.model_json_schema()
    return _strict(schema, schema.get("$defs", {}), _LIMIT_KEYS if limits else _SCHEMA_KEYS)


def _strict(node: Any, defs: dict[str, Any], keys: frozenset[str]) -> Any:
    if isinstance(node, list):
        return [_strict(n, defs, keys) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _strict(defs[node["$ref"].rsplit("/", 1)[-1]], defs, keys)
    out = {k: _strict(v, defs, keys) for k, v in node.items() if k in keys}
    if out.get("type") == "object":
        out["properties"] = {k: _strict(v, defs, keys) for k, v in node.get("properties", {}).items()}
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out
