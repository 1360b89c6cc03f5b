"""The distribution: a wheel built from this tree installs into a fresh venv and runs the demo.

Only an editable install used to be able to migrate or render the newsletter (the migrations and
templates sat outside every package). The wheel is built without build isolation and installed
without its dependencies, which the fresh venv borrows from this one through a ``.pth`` line, so
the test needs no network.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    files = run("git", "ls-files", "-z", cwd=ROOT).split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    dist = tmp_path_factory.mktemp("dist")
    pip = (sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet")
    run(*pip, "--wheel-dir", dist, source, cwd=source)
    return next(dist.glob("aidaily-*.whl"))


def test_the_wheel_carries_every_package_the_migrations_and_the_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {p.parent.relative_to(ROOT).as_posix() for p in ROOT.glob("*/**/__init__.py")}
    packages = {p for p in packages if p.split("/")[0] in ("app", "core", "delivery", "bot", "web")}
    assert {p for p in packages if f"{p}/__init__.py" not in names} == set()
    migrations = {n for n in names if n.startswith("core/store/migrations/versions/") and n.endswith(".py")}
    assert len(migrations) == len(list((ROOT / "alembic" / "versions").glob("*.py")))
    assert {"core/store/migrations/env.py", "core/store/migrations/script.py.mako"} <= names
    assert {"delivery/templates/email/report.mjml", "delivery/templates/email/report.txt"} <= names
    assert any(n.startswith("app/demo/feeds/") for n in names)
    assert any(n.startswith("web/templates/") for n in names)
    assert "core/bilingual.tsv" in names  # the bot's bilingual lexicon, read with importlib.resources


def test_a_fresh_venv_with_the_wheel_runs_the_demo_from_another_directory(wheel, tmp_path):
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    site = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    ).strip()
    # Dependencies from this venv; its editable aidaily is not activated (a bare path runs no .pth).
    (Path(site) / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        "--ignore-installed",
        wheel,
        cwd=tmp_path,
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": str(fresh / "bin"), "HOME": str(tmp_path)}
    run(fresh / "bin" / "aidaily", "demo", cwd=elsewhere, env=env)

    assert list((elsewhere / "out").glob("*.md")) and list((elsewhere / "out").glob("*.html"))
    where = "import json, core, core.store.db as d, delivery.email_render as r; "
    where += "print(json.dumps([core.__file__, str(d.ALEMBIC_DIR), str(r.TEMPLATES)]))"
    paths = json.loads(run(python, "-c", where, cwd=elsewhere, env=env))
    assert all(p.startswith(site) for p in paths), paths
