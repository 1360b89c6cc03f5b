"""JSON schemas for structured output: the strict form every OpenAI-compatible server accepts.

An answer shape is a pydantic model of the caller's; this module turns it into the schema a
request carries, leaving length limits to pydantic on our side.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def response_format(name: str, answer: type[BaseModel]) -> dict[str, Any]:
    """The ``response_format`` of a structured-output request for ``answer``."""
    schema = {"name": name, "strict": True, "schema": strict_schema(answer)}
    return {"type": "json_schema", "json_schema": schema}


# Keywords OpenAI's strict mode, Ollama and llama.cpp grammars all accept; pydantic's length
# limits and titles are left out of the schema and checked by pydantic on our side.
_SCHEMA_KEYS = {"type", "properties", "items", "required", "additionalProperties", "description", "enum"}


def strict_schema(answer: type[BaseModel]) -> dict[str, Any]:
    """A JSON schema for strict mode: every property required, no extra ones, no ``$ref``."""
    schema = answer.model_json_schema()
    return _strict(schema, schema.get("$defs", {}))


def _strict(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strict(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _strict(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    out = {k: _strict(v, defs) for k, v in node.items() if k in _SCHEMA_KEYS}
    if out.get("type") == "object":
        out["properties"] = {k: _strict(v, defs) for k, v in node.get("properties", {}).items()}
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out
