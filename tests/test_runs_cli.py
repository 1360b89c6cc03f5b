"""``aidaily runs`` and ``aidaily serve`` as a user meets them: the table, the JSON, one-line errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from test_cli import aidaily, assert_one_line_error

from core.models import ChannelCounts, RunSummary, WriterStats
from core.store import Store

DAY = date(2026, 11, 22)
STARTED = datetime(2026, 11, 21, 22, 40, tzinfo=UTC)


def _store_runs(url: str) -> None:
    summary = RunSummary(
        articles_fetched=120,
        articles_new=48,
        topics=31,
        items=17,
        llm=WriterStats(writer="llm", model="gpt-4o-mini", calls=18, tokens_in=15000, tokens_out=2400),
        messages={"slack": ChannelCounts(sent=5, skipped=2), "email": ChannelCounts(sent=40, failed=1)},
        failed_feeds=("KDnuggets: HTTP 503",),
        seconds={"fetch": 3.2, "build": 41.0, "deliver": 12.5},
    )
    with Store.open(url) as store:
        done = store.claim_run("daily", DAY - timedelta(days=1), "web-1:4242", STARTED, timedelta(minutes=10))
        store.finish_run(done.id, "web-1:4242", STARTED + timedelta(seconds=57), summary)
        failed = store.claim_run("daily", DAY, "web-2:77", STARTED + timedelta(days=1), timedelta(minutes=10))
        store.finish_run(failed.id, "web-2:77", STARTED + timedelta(days=1, seconds=9), RunSummary(), "boom")


def test_runs_lists_each_day_newest_first_with_its_summary(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _store_runs(url)
    env = {"AIDAILY_DATABASE_URL": url}
    table = aidaily("runs", cwd=tmp_path, env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    newest = next(i for i, line in enumerate(lines) if "2026-11-22" in line)
    older = next(i for i, line in enumerate(lines) if "2026-11-21" in line)
    assert newest < older
    assert "failed" in lines[newest] and "boom" in lines[newest]
    for shown in (
        "succeeded",
        "web-1:4242",
        "57.0",
        "48/120",
        "18 (15000/2400)",
        "slack 5/0/2",
        "email 40/1/0",
    ):
        assert shown in lines[older], shown
    assert "KDnuggets: HTTP 503" in table.stdout
    as_json = json.loads(aidaily("runs", "--json", "--limit", "1", cwd=tmp_path, env=env).stdout)
    assert [r["day"] for r in as_json] == ["2026-11-22"]
    assert as_json[0]["status"] == "failed" and as_json[0]["error"] == "boom"
    assert as_json[0]["summary"]["messages"] == {}


def test_runs_without_any_says_how_they_come(tmp_path):
    done = aidaily("runs", cwd=tmp_path, env={"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    assert done.returncode == 0 and "no runs yet" in done.stdout


def test_serve_with_a_bad_schedule_is_one_line(tmp_path):
    env = {"AIDAILY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", "AIDAILY_SCHEDULE": "0 40 6 * *"}
    assert_one_line_error(aidaily("serve", cwd=tmp_path, env=env), "six fields")


def test_serve_against_an_unreachable_database_is_one_line(tmp_path):
    env = {"AIDAILY_DATABASE_URL": "postgresql+psycopg://aidaily:pw-777@127.0.0.1:1/aidaily"}
    done = aidaily("serve", cwd=tmp_path, env=env)
    assert_one_line_error(done, "cannot reach database")
    assert "pw-777" not in done.stderr
