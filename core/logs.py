"""Structured logs: one JSON object a line, one line an event, secrets replaced by asterisks.

``configure_logging(level, secrets)`` is called once, by the composition root of a long-running
process (``aidaily serve``); it puts one handler on the root logger, so the lines of APScheduler,
httpx and our own modules look alike. Our modules log events with ``event()``::

    event(log, "run.finished", run_id=7, day="2026-11-22", seconds=41.2, status="succeeded")

which prints ``{"time": ..., "level": "info", "logger": ..., "event": "run.finished", "run_id": 7,
...}``. ``hide_in_logs`` masks every record when it is made (message, fields and traceback):
each secret value of the settings (tokens, passwords, keys, the database password) becomes
``**********`` and a link's ``token=`` value ``[redacted]``, whichever module logged it and
however it got into the text. Every composition root installs it (``app.cli`` when it reads the
settings); this is the one redaction of the code base.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, TextIO

MASK = "**********"
_FIELDS = "event_fields"  # the LogRecord attribute that carries an event's fields


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log the event ``name`` with ``fields`` (JSON-able values) as one structured line."""
    # Fields join the record after the record factory ran, so they are masked here.
    logger.log(level, name, extra={_FIELDS: {k: _REDACTIONS.value(v) for k, v in fields.items()}})


# A signed link's token is the reader's key to their subscription: access logs must not keep it.
_LINK_TOKEN = re.compile(r"((?:^|[?&])(?:token|form_token)=)[^&\s\"]*")


class Redactions:
    """Secret values and link tokens, masked in every log record when it is made.

    One object per process, because logging is per process: a record factory applies it, so it
    holds for every logger and handler, the ones a library configures later included (uvicorn's
    access log, httpx's request lines with the Telegram token in the URL, pytest's caplog)."""

    def __init__(self) -> None:
        self._secrets: list[str] = []

    def add(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self._secrets = sorted({*self._secrets, *(s for s in secrets if s)}, key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return _LINK_TOKEN.sub(r"\1[redacted]", text)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict | list | tuple):
            return json.loads(self.text(json.dumps(value, ensure_ascii=False, default=str)))
        return value

    def record(self, record: logging.LogRecord) -> None:
        with suppress(Exception):  # a record whose arguments do not format stays as it is
            message = record.getMessage()
            masked = self.text(message)
            if masked != message:
                record.msg, record.args = masked, ()
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_text = self.text(text)  # formatters print exc_text when it is set


_REDACTIONS = Redactions()


def hide_in_logs(secrets: Iterable[str] = ()) -> None:
    """Mask ``secrets`` (and, always, link tokens) in every log record from now on.

    Every composition root calls it with the settings' secrets (``Settings.secret_values``); a module that
    receives a secret the settings do not hold (a Slack installation's token) adds it too."""
    _REDACTIONS.add(secrets)
    factory = logging.getLogRecordFactory()
    if getattr(factory, "redacts", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _REDACTIONS.record(record)
        return record

    redacting_factory.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)


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


def configure_logging(
    level: str, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Route every logger through one JSON handler on ``stream`` (stderr by default), ``secrets``
    masked."""
    hide_in_logs(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries that narrate every request at INFO would drown the run's own events.
    # The SDK narrates each retry ("Retrying request to /chat/completions"): our failure line says it.
    for noisy in ("httpx", "openai", "apscheduler.executors", "aiosmtplib", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
