"""Structured logs: one JSON object a line, one line an event, secrets replaced by asterisks.

``configure_logging(settings)`` is called once, by the composition root of a long-running
process (``aidaily serve``); it puts one handler on the root logger, so the lines of APScheduler,
httpx and our own modules look alike. Our modules log events with ``event()``::

    event(log, "run.finished", run_id=7, day="2026-11-22", seconds=41.2, status="succeeded")

which prints ``{"time": ..., "level": "info", "logger": ..., "event": "run.finished", "run_id": 7,
...}``. ``SecretRedactor`` rewrites every record before it is printed (message, fields and
traceback): each secret value of the settings (tokens, passwords, keys, the database password)
becomes ``**********``, whichever module logged it and however it got into the text.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.config import Settings

MASK = "**********"
_FIELDS = "event_fields"  # the LogRecord attribute that carries an event's fields


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log the event ``name`` with ``fields`` (JSON-able values) as one structured line."""
    logger.log(level, name, extra={_FIELDS: fields})


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold: SecretStr fields and the database URL's password."""
    values = [v.get_secret_value() for v in settings.__dict__.values() if isinstance(v, SecretStr)]
    with suppress(ArgumentError):  # an unparsable URL is refused when the store opens
        values.append(make_url(settings.database_url).password or "")
    # Longest first, so a secret that contains another is masked whole.
    return sorted({v for v in values if v}, key=len, reverse=True)


class SecretRedactor(logging.Filter):
    """Replaces secret values in a record's message, fields and traceback; keeps every record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        fields = getattr(record, _FIELDS, None)
        if fields:
            setattr(record, _FIELDS, {k: self._value(v) for k, v in fields.items()})
        return True

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict | list | tuple):
            return json.loads(self.redact(json.dumps(value, ensure_ascii=False, default=str)))
        return value


class JsonFormatter(logging.Formatter):
    """One JSON object a record: time (UTC), level, logger, event (the message) and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(getattr(record, _FIELDS, None) or {})
        if record.exc_text:
            line["traceback"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Route every logger through one redacting JSON handler on ``stream`` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(SecretRedactor(secrets_of(settings)))
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # Libraries that narrate every request at INFO would drown the run's own events.
    for noisy in ("httpx", "apscheduler.executors", "aiosmtplib", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
