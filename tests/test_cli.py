"""The command line as a user meets it: one-line errors, redacted secrets, the demo end to end."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from cli import Done, aidaily, in_process_of_its_own
from fakes.telegram_server import TelegramServer

ROOT = Path(__file__).resolve().parent.parent


def assert_one_line_error(done: Done, fragment: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert fragment in lines[0]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path


def test_the_console_module_runs_in_a_process(workdir):
    assert_one_line_error(in_process_of_its_own("show", "--date", "2026-13-45", cwd=workdir), "bad date")


def test_bad_date(workdir):
    assert_one_line_error(aidaily("show", "--date", "2026-13-45", cwd=workdir), "bad date")


def test_unknown_format(workdir):
    assert_one_line_error(aidaily("show", "--format", "pdf", cwd=workdir), "unknown format")


def test_unreachable_database(workdir):
    env = {"AIDAILY_DATABASE_URL": "postgresql+psycopg://postgres:pw123@127.0.0.1:1/test"}
    done = aidaily("show", cwd=workdir, env=env)
    assert_one_line_error(done, "cannot reach database")
    assert "pw123" not in done.stderr


def test_unknown_source(workdir):
    assert_one_line_error(aidaily("fetch", "--source", "Nope", cwd=workdir), "unknown source 'Nope'")


def test_broken_sources_file(workdir):
    (workdir / "sources.toml").write_text("[[sources]]\nname = 'x'\n", encoding="utf-8")
    done = aidaily("fetch", cwd=workdir, env={"AIDAILY_SOURCES_FILE": "sources.toml"})
    assert_one_line_error(done, "'url' is required")


def test_no_report_yet(workdir):
    assert_one_line_error(aidaily("show", cwd=workdir), "no reports stored yet")


def test_config_show_redacts_secrets(workdir):
    done = aidaily("config", "show", cwd=workdir, env={"AIDAILY_TELEGRAM_BOT_TOKEN": "123:secret-token"})
    assert done.returncode == 0
    assert "secret-token" not in done.stdout
    assert "AIDAILY_TELEGRAM_BOT_TOKEN" in done.stdout and "**********" in done.stdout


def test_config_show_masks_the_database_password(workdir):
    url = "postgresql+psycopg://aidaily:pw-4711@db.example.org:5432/aidaily"
    done = aidaily("config", "show", cwd=workdir, env={"AIDAILY_DATABASE_URL": url})
    assert done.returncode == 0
    assert "pw-4711" not in done.stdout
    assert "postgresql+psycopg://aidaily:***@db.example.org:5432/aidaily" in done.stdout


@pytest.mark.parametrize("command", ["web", "serve"])
def test_the_site_refuses_to_start_without_a_secret_key(workdir, command):
    env = {"AIDAILY_PUBLIC_URL": "https://daily.example.org", "AIDAILY_WEB_PORT": str(free_port())}

    done = aidaily(command, cwd=workdir, env=env, timeout=30)

    assert_one_line_error(done, "AIDAILY_SECRET_KEY is not set")


def free_port() -> int:
    with socket.socket() as probe:  # a port nobody else uses now
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_with_a_token_telegram_rejects_ends_with_one_line(workdir):
    wrong = "999999:WRONG-token_that_the_server_rejects"
    with TelegramServer() as telegram:
        env = {
            "AIDAILY_TELEGRAM_BOT_TOKEN": wrong,
            "AIDAILY_TELEGRAM_API_URL": telegram.base_url,
            "AIDAILY_SECRET_KEY": "cli-test-secret-key",
            "AIDAILY_WEB_PORT": str(free_port()),
        }
        done = aidaily("serve", cwd=workdir, env=env, timeout=60)

    assert done.returncode != 0 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "the Telegram bot could not start" in last and "InvalidToken" in last
    assert wrong not in done.stderr


@pytest.mark.parametrize("command", [["deliver"], ["serve"], ["bot", "slack"], ["config", "show"]])
@pytest.mark.parametrize("name", ["AIDAILY_SLACK_BOT_TOKEN", "AIDAILY_SMTP_HOST"])
def test_a_setting_left_empty_is_one_line(workdir, command, name):
    done = aidaily(*command, cwd=workdir, env={name: "", "AIDAILY_WEB_PORT": str(free_port())}, timeout=30)
    assert_one_line_error(done, f"{name}: is set but empty")


@pytest.mark.parametrize("command", [["show"], ["serve"], ["worker"], ["deliver"]])
@pytest.mark.parametrize(
    "url",
    ["postgresql://aidaily:pw-0815@db.example.org:notaport/aidaily", "postgresql://aidaily:pw-0815@[::1/x"],
)
def test_a_malformed_database_url_is_one_line_without_its_password(workdir, command, url):
    done = aidaily(*command, cwd=workdir, env={"AIDAILY_DATABASE_URL": url}, timeout=30)
    assert_one_line_error(done, "AIDAILY_DATABASE_URL: cannot parse it")
    assert "pw-0815" not in done.stderr


def test_demo_writes_the_report_and_show_reads_it_back(workdir):
    done = aidaily("demo", cwd=workdir)
    assert done.returncode == 0, done.stderr
    md_files = sorted((workdir / "out").glob("*.md"))
    json_files = sorted((workdir / "out").glob("*.json"))
    assert len(md_files) == 1 and len(json_files) == 1
    assert str(md_files[0].relative_to(workdir)) in done.stdout
    # The malformed feed is reported as skipped, and the run still succeeded.
    assert re.search(r"skipped.*KDnuggets", done.stderr)
    env = {"AIDAILY_DATABASE_URL": "sqlite:///data/demo.db"}
    shown = aidaily("show", "--format", "json", cwd=workdir, env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == json.loads(json_files[0].read_text(encoding="utf-8"))
    markdown = aidaily("show", cwd=workdir, env=env)
    assert markdown.stdout == md_files[0].read_text(encoding="utf-8")
