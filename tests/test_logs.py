"""Structured logs: one JSON object a line, and no secret of the settings ever printed."""

from __future__ import annotations

import io
import json
import logging

import pytest

from core.config import load_settings
from core.logs import MASK, configure_logging, event

TOKEN = "xoxb-1234-very-secret-token"


@pytest.fixture
def logged(monkeypatch, tmp_path):
    """Configure logging as ``aidaily serve`` does, into a buffer; restore the root afterwards."""
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "AIDAILY_SLACK_BOT_TOKEN": TOKEN,
        "AIDAILY_SMTP_PASSWORD": "hunter2-smtp",
        "AIDAILY_DATABASE_URL": "postgresql+psycopg://aidaily:db-pass-42@db.example.org/aidaily",
    }.items():
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buffer = io.StringIO()
    settings = load_settings()
    configure_logging(settings.log_level, settings.secret_values(), buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_an_event_is_one_json_line_with_its_fields(logged):
    event(logging.getLogger("app.service.daily"), "run.finished", run_id=7, day="2026-11-22", seconds=1.5)
    (line,) = logged()
    assert line["event"] == "run.finished" and line["level"] == "info"
    assert line["logger"] == "app.service.daily"
    assert (line["run_id"], line["day"], line["seconds"]) == (7, "2026-11-22", 1.5)
    assert line["time"].endswith("+00:00")


def test_a_token_in_a_message_prints_as_asterisks(logged):
    logging.getLogger("slack_sdk").warning("posting with Authorization: Bearer %s failed", TOKEN)
    (line,) = logged()
    assert TOKEN not in json.dumps(line)
    assert line["event"] == f"posting with Authorization: Bearer {MASK} failed"


def test_secrets_in_fields_and_tracebacks_are_masked_too(logged):
    log = logging.getLogger("app.service.daily")
    event(log, "run.delivered", error="smtp login hunter2-smtp refused", tried=["db-pass-42", 3])
    try:
        raise RuntimeError(f"cannot connect with {TOKEN}")
    except RuntimeError:
        log.exception("run failed")
    text = json.dumps(logged())
    for secret in (TOKEN, "hunter2-smtp", "db-pass-42"):
        assert secret not in text
    delivered, failed = logged()
    assert delivered["error"] == f"smtp login {MASK} refused" and delivered["tried"] == [MASK, 3]
    assert "RuntimeError: cannot connect with " + MASK in failed["traceback"]


def test_libraries_log_through_the_same_handler(logged):
    logging.getLogger("apscheduler.scheduler").info('Added job "daily" to job store "default"')
    logging.getLogger("httpx").info("HTTP Request: GET https://feeds.example.org 200")  # quieted
    (line,) = logged()
    assert line["logger"] == "apscheduler.scheduler"
