"""The ``aidaily`` command run in this process: the console script's ``main()``, its argv, working
directory, environment and exit status, without the second or two a new interpreter costs.

The process boundary itself is tested once (``test_cli.test_the_console_module_runs_in_a_process``)
and by the wheel test; everything else about the command line runs here.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from app.cli import main
from app.cli.common import err, out


@dataclass(frozen=True, slots=True)
class Done:
    """What a finished command left: the shape of ``subprocess.CompletedProcess``."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


ROOT = Path(__file__).resolve().parent.parent


def aidaily(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float | None = None) -> Done:
    """Run ``aidaily ARGS`` in ``cwd`` with the AIDAILY_* environment ``env`` only; with a
    ``timeout``, in a process of its own (for a command that might not return)."""
    if timeout is not None:
        return in_process_of_its_own(*args, cwd=cwd, env=env, timeout=timeout)
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        _environment(env or {}),
        _directory(cwd),
        _wide_consoles(),
        redirect_stdout(stdout),
        redirect_stderr(stderr),
    ):
        code = _exit_status(args)
    return Done(args, code, stdout.getvalue(), stderr.getvalue())


def in_process_of_its_own(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> Done:
    """``python -m app.cli ARGS`` in a new interpreter, on this checkout's code."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AIDAILY_")}
    clean.update(env or {})
    clean["COLUMNS"] = "200"
    # This checkout's code, not whatever an editable install elsewhere points at.
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), clean.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "app.cli", *args]
    done = subprocess.run(command, cwd=cwd, env=clean, capture_output=True, text=True, timeout=timeout)
    return Done(args, done.returncode, done.stdout, done.stderr)


def _exit_status(args: tuple[str, ...]) -> int:
    saved, sys.argv = sys.argv, ["aidaily", *args]
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # what the interpreter would print for an escaped exception
        traceback.print_exc()
        return 1
    finally:
        sys.argv = saved
    return 0


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("AIDAILY_")]:
        del os.environ[name]
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def _directory(path: Path) -> Iterator[None]:
    saved = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(saved)


@contextmanager
def _wide_consoles() -> Iterator[None]:
    # As COLUMNS=200 does for a new process: tables and lines are not wrapped at 80.
    saved = [(console, console._width) for console in (out, err)]
    for console, _ in saved:
        console.width = 200
    try:
        yield
    finally:
        for console, width in saved:
            console._width = width
