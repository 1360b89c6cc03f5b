"""Two ``aidaily serve`` instances on one PostgreSQL database over compressed days: once each?

    .venv/bin/python -m bench.instances postgresql+psycopg://postgres@127.0.0.1:5432/test [--days 5]

Runs the real service twice (two processes) in a scratch schema against the loopback Slack,
Telegram and SMTP fakes of the tests, one simulated day every ``--period`` seconds, and prints a
Markdown table per day: which instance ran it, how many times, what it read and built, and per
channel the messages the platform received against the ledger's rows. "once" is yes when the
day has exactly one run and every platform message matches one ledger row.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from serving import site  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from test_serve_soak import assert_each_day_once  # noqa: E402

from core.store import Store  # noqa: E402
from core.store.db import open_engine  # noqa: E402

COLUMNS = ("day", "instance", "leader", "runs", "attempts", "seconds", "articles new/read", "items")
CHANNELS = ("slack", "telegram", "email")


def table(serving, runs, elected_pid: int) -> str:
    rows = ["| " + " | ".join((*COLUMNS, *CHANNELS)) + " |", "|" + "---|" * (len(COLUMNS) + len(CHANNELS))]
    with Store.open(serving.database_url) as store:
        stored = store.recent_runs(100)
    for run in runs:
        s = run.summary
        cells = (
            run.day,
            run.instance,
            "yes" if run.instance.endswith(f":{elected_pid}") else "no",
            sum(r.day == run.day for r in stored),
            run.attempts,
            f"{(run.finished_at - run.started_at).total_seconds():.1f}",
            f"{s.articles_new}/{s.articles_fetched}",
            s.items,
            *(s.messages[c].sent if c in s.messages else 0 for c in CHANNELS),
        )
        rows.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url")
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--period", type=int, default=5, help="seconds a simulated day (divides 60)")
    args = parser.parse_args()
    schema = f"bench_serve_{uuid.uuid4().hex[:8]}"
    admin = open_engine(args.postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(args.postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        run_two(url.render_as_string(hide_password=False), args.days, args.period)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def run_two(url: str, days: int, period: int) -> None:
    with site(Path(tempfile.mkdtemp()), url, period=period, days=days, lead_in=5) as serving:
        first, second = serving.start(), serving.start()
        runs = serving.wait_days(days, timeout=period * days + 60)
        leaders = [i for i in (first, second) if any(e["event"] == "leader.elected" for e in i.events())]
        first.terminate()
        second.terminate()
        assert_each_day_once(serving, runs)  # raises if any day ran twice or any message was doubled
        print(table(serving, runs, leaders[0].process.pid))
        print(
            f"\nplatforms received: Slack {len(serving.slack.messages)}, Telegram "
            f"{len(serving.telegram.messages)}, email {len(serving.smtp.messages)}; leaders while both ran: "
            f"{len(leaders)}; every message matches one ledger row: yes"
        )


if __name__ == "__main__":
    main()
