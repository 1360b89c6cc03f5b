"""The systemd unit and its environment file: they parse, and they name what exists."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import typer

from app.cli import app
from core.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def unit(name: str = "aidaily.service") -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def test_the_worker_unit_runs_workers_like_the_service_runs_serve():
    worker, service = unit("aidaily-worker@.service")["Service"], unit()["Service"]
    program, *args = shlex.split(worker["ExecStart"])
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert args == ["worker"] and args[0] in commands and program == shlex.split(service["ExecStart"])[0]
    same = ("User", "EnvironmentFile", "WorkingDirectory", "KillSignal", "Restart", "ProtectSystem")
    assert all(worker[key] == service[key] for key in same)


def test_the_unit_parses_and_starts_an_existing_command():
    service = unit()["Service"]
    program, *args = shlex.split(service["ExecStart"])
    assert program == "/opt/aidaily/.venv/bin/aidaily"  # the console script of pyproject.toml
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert args and args[0] in commands and args[0] == "serve"
    assert set(unit().sections()) == {"Unit", "Service", "Install"}


def test_the_unit_stops_gracefully_and_restarts_on_failure():
    service = unit()["Service"]
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/aidaily/aidaily.env"
    grace = Settings.model_fields["shutdown_grace"].default
    assert float(service["TimeoutStopSec"]) > grace
    assert float(service["TimeoutStopSec"]) > float(_env_example()["AIDAILY_SHUTDOWN_GRACE"])


def test_the_unit_is_hardened_and_writes_only_its_state():
    service = unit()["Service"]
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == "/var/lib/aidaily" == service["WorkingDirectory"]
    assert service["User"] == "aidaily"
    env = _env_example()
    assert env["AIDAILY_OUT_DIR"].startswith("/var/lib/aidaily/")
    assert env["AIDAILY_CACHE_DIR"].startswith("/var/lib/aidaily/")


def test_the_env_example_names_only_real_settings():
    text = (DEPLOY / "aidaily.env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*(AIDAILY_[A-Z_]+)=", text, flags=re.MULTILINE))
    assert named and all(name.removeprefix("AIDAILY_").lower() in Settings.model_fields for name in named)


def _env_example() -> dict[str, str]:
    lines = (DEPLOY / "aidaily.env.example").read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {key: value for key, value in pairs}
