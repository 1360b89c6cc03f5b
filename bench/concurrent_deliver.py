"""Two ``aidaily deliver`` of one day at once, N times: does anything arrive twice, or never?

    .venv/bin/python -m bench.concurrent_deliver postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.concurrent_deliver URL --runs 10 --email 200 --chats 3 --items 2

Each run takes a fresh scratch schema, stores one report, subscribes ``--email`` addresses and
``--chats`` Slack channels and ``--chats`` Telegram chats, and starts ``--processes`` real
``aidaily deliver`` processes together against the loopback fakes of the tests (fake Slack and
Telegram at real platform pacing, aiosmtpd). Then it counts at the fakes what arrived against
what was planned. Prints a Markdown table, one row per run and a total: seconds, exit statuses,
messages planned and arrived, duplicates (arrivals beyond the first), missing (planned, never
arrived), and ledger rows attempted more than once (a message taken for a crashed run's).
Goal: 0 duplicates, 0 missing, exit 0 for every process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from concurrent_delivery import Tally, count, deliver_at_once, planned, prepare, settings_for  # noqa: E402
from fakes.delivery_world import DeliveryWorld  # noqa: E402
from fakes.reports import DAY, synthetic_report  # noqa: E402

from bench.serve import fresh_schema  # noqa: E402
from core.store import Store  # noqa: E402

COLUMNS = (
    "run",
    "seconds",
    "exit",
    "planned",
    "arrived",
    "duplicates",
    "missing",
    "unplanned",
    "resent rows",
)


@dataclass(frozen=True, slots=True)
class Row:
    seconds: float
    exits: tuple[int, ...]
    tally: Tally
    resent: int

    def cells(self, label: str) -> tuple[object, ...]:
        t = self.tally
        exits = ",".join(map(str, self.exits))
        return (
            label,
            f"{self.seconds:.1f}",
            exits,
            t.planned,
            t.arrived,
            t.duplicates,
            t.missing,
            t.unplanned,
            self.resent,
        )


def one_run(postgres_url: str, args: argparse.Namespace) -> Row:
    report = synthetic_report({"research": args.items}, extras=False)
    with fresh_schema(postgres_url) as url, DeliveryWorld(scale=1.0) as world:
        workdir = Path(tempfile.mkdtemp(prefix="bench-deliver-"))
        subscriptions = prepare(url, world, report, email=args.email, chats=args.chats)
        wanted = planned(report, subscriptions, settings_for(url, world, workdir / "plan"))
        started = time.monotonic()
        finished = deliver_at_once(url, world, workdir, processes=args.processes)
        seconds = time.monotonic() - started
        tally = count(world, wanted)
        with Store.open(url) as store:
            resent = sum(1 for r in store.delivery_records(DAY) if r.attempts > 1)
    for process in finished:
        if process.returncode != 0:
            print(process.stdout[-2000:], process.stderr[-2000:], file=sys.stderr)
    return Row(seconds, tuple(p.returncode for p in finished), tally, resent)


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(c) for c in row.cells(str(n))) + " |" for n, row in enumerate(rows, 1)]
    total = Tally(*(sum(getattr(r.tally, f) for r in rows) for f in Tally.__dataclass_fields__))
    failed = sum(code != 0 for r in rows for code in r.exits)
    summary = Row(sum(r.seconds for r in rows), (failed,), total, sum(r.resent for r in rows))
    cells = summary.cells("total")
    lines.append("| " + " | ".join(str(c) for c in (*cells[:2], f"{failed} non-zero", *cells[3:])) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--email", type=int, default=200)
    parser.add_argument("--chats", type=int, default=3, help="Slack channels, and as many Telegram chats")
    parser.add_argument("--items", type=int, default=2, help="research items in the report")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    rows = []
    for n in range(args.runs):
        rows.append(one_run(args.postgres_url, args))
        print(f"run {n + 1}/{args.runs}: {rows[-1].cells(str(n + 1))}", file=sys.stderr, flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
