"""Benchmark email delivery as the list grows: speed beside the ceiling, and memory that stays flat.

    .venv/bin/python -m bench.email                                # 1,000 to 20,000 subscribers
    .venv/bin/python -m bench.email --subscribers 1000 --dkim      # one size, signed and unsigned
    .venv/bin/python -m bench.email --subscribers 1000,5000 --connections 8

(``bench/email.py`` is the entry point; this module holds the code, because a module named
``email`` cannot be imported beside the standard library's ``email`` package.)

For each list size, runs in fresh Python processes (so each peak memory is its own), all against
one aiosmtpd server (``python -m aiosmtpd``, a Sink handler) in a process of its own:

- **bare aiosmtplib**: the ceiling of this machine and server: one prebuilt message (the first
  recipient's bytes) sent with ``aiosmtplib.SMTP.sendmail`` over the same number of reused
  connections;
- **aidaily**: the real path: subscribers stored in SQLite and read a page at a time
  (``store.iter_subscriptions``, as ``aidaily deliver`` does), the ``EmailAdapter`` (60-item
  report compiled once, personalised links, a ``multipart/alternative`` message per recipient),
  ``deliver_all`` with the SQLite delivery ledger, ``SmtpSender``;
- **aidaily + DKIM** (``--dkim``): the same with every message signed (``core.platforms.dkim``, a
  2048-bit key made for the run).

Prints one Markdown table: subscribers, run, messages per second, share of the ceiling, CPU
milliseconds per message in the sending process (steady when other work on the machine makes the
wall clock noisy), peak resident memory (``ru_maxrss``) and its growth over the process's size
before the first message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on sys.path, and bench/email.py would shadow the standard
# library's `email` (aiosmtplib imports `email.message`): leave bench/ out, import from the root.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
FROM = "AI Daily <daily@example.org>"
PUBLIC = "https://daily.example.org"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_seconds() -> float:
    # This process's CPU time: unlike the wall clock, not inflated by other load on the machine.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _signer(workdir: Path):
    # The test suite's key maker: no openssl, and no `cryptography` in the environment.
    from test_dkim import rsa_key

    from core.platforms.dkim import DkimSigner

    return DkimSigner.from_file(rsa_key().write(workdir / "dkim.pem"), selector="bench", domain="example.org")


def _adapter(port: int, connections: int, signer=None):
    from core.links import Links
    from core.platforms.smtp import SmtpOptions, SmtpSender
    from delivery.email import EmailAdapter, SmtpMailer
    from delivery.email_render import EmailRenderer

    sender = SmtpSender(SmtpOptions("127.0.0.1", port, tls="none", connections=connections))
    adapter = EmailAdapter(
        SmtpMailer(sender),
        EmailRenderer(archive_url=lambda r: f"{PUBLIC}/reports/{r.date}/"),
        Links(PUBLIC, "bench-secret"),
        from_address=FROM,
        signer=signer,
    )
    return adapter, sender


async def _ours(port: int, count: int, connections: int, workdir: Path, dkim: bool) -> dict[str, float]:
    from fakes.reports import synthetic_report

    from app.channels import ChannelRun
    from core.models import Channel, Subscription, SubscriptionStatus
    from core.store import Store
    from delivery.dispatch import deliver_all

    report = synthetic_report()
    adapter, sender = _adapter(port, connections, _signer(workdir) if dkim else None)
    with Store.open(f"sqlite:///{workdir / 'bench.db'}") as store:
        for n in range(count):
            store.add_subscription(Subscription(Channel.EMAIL, f"r{n}@example.org"))
        baseline, cpu = _rss_mib(), _cpu_seconds()
        start = time.perf_counter()
        subscriptions = store.iter_subscriptions(Channel.EMAIL, SubscriptionStatus.CONFIRMED)
        run = ChannelRun(Channel.EMAIL)  # what `aidaily deliver` keeps: totals, a few results
        async with sender:
            await deliver_all(
                adapter, report, subscriptions, store.ledger, concurrency=connections * 2, on_result=run.add
            )
        wall = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu
    sent = run.totals.sent
    stats = {"sent": sent, "wall": wall, "cpu": cpu, "rss": _rss_mib(), "baseline": baseline}
    return stats | {"connects": sender.connects}


async def _bare(port: int, count: int, connections: int, workdir: Path, dkim: bool) -> dict[str, float]:
    import aiosmtplib
    from fakes.reports import synthetic_report

    from core.models import Channel, Subscription

    adapter, _sender = _adapter(port, connections)
    compiled = adapter.renderer.for_subscription(synthetic_report(), (), None)
    data = adapter.envelope(compiled, Subscription(Channel.EMAIL, "r0@example.org", id=1)).data
    baseline, cpu = _rss_mib(), _cpu_seconds()
    start = time.perf_counter()
    queue = iter(range(count))
    sent = 0

    async def worker() -> None:
        nonlocal sent
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as smtp:
            for n in queue:
                await smtp.sendmail("daily@example.org", [f"r{n}@example.org"], data)
                sent += 1

    await asyncio.gather(*(worker() for _ in range(connections)))
    wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    stats = {"sent": sent, "wall": wall, "cpu": cpu, "rss": _rss_mib(), "baseline": baseline}
    return stats | {"connects": connections}


def _child(args: argparse.Namespace) -> None:
    run = {"ours": _ours, "bare": _bare}[args.child]
    with tempfile.TemporaryDirectory() as workdir:
        stats = asyncio.run(run(args.port, int(args.subscribers), args.connections, Path(workdir), args.dkim))
    print(json.dumps(stats))


def _measure(mode: str, port: int, count: int, args: argparse.Namespace, *, dkim: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--port", str(port)]
    command += ["--subscribers", str(count), "--connections", str(args.connections)]
    command += ["--dkim"] if dkim else []
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the {mode} run of {count} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give list sizes such as 1000,5000") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give list sizes such as 1000,5000")
    return sizes


def _runs(port: int, args: argparse.Namespace) -> list[tuple[int, str, dict]]:
    rows = []
    for count in args.subscribers:
        rows.append((count, "bare aiosmtplib (ceiling)", _measure("bare", port, count, args)))
        rows.append((count, "aidaily email", _measure("ours", port, count, args)))
        if args.dkim:
            rows.append((count, "aidaily email + DKIM", _measure("ours", port, count, args, dkim=True)))
        print(f"... {count} subscribers done", file=sys.stderr)
    return rows


def _table(rows: list[tuple[int, str, dict]], args: argparse.Namespace) -> None:
    print(f"\n{args.connections} SMTP connections, 60-item report, aiosmtpd sink in its own process\n")
    print(
        "| subscribers | run | messages/s | of ceiling | CPU ms/message "
        "| peak RSS MiB | RSS growth MiB | connections |"
    )
    print("|---|---|---|---|---|---|---|---|")
    ceiling = 0.0
    for count, name, row in rows:
        rate = row["sent"] / row["wall"]
        ceiling = rate if name.startswith("bare") else ceiling
        assert row["sent"] == count, f"{name} sent {row['sent']:.0f} of {count}"
        print(
            f"| {count} | {name} | {rate:.0f} | {rate / ceiling:.0%} | {1000 * row['cpu'] / count:.1f} "
            f"| {row['rss']:.0f} "
            f"| {row['rss'] - row['baseline']:.0f} | {row['connects']:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=_sizes, default=[1_000, 5_000, 10_000, 20_000])
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--dkim", action="store_true", help="also measure with every message DKIM-signed")
    parser.add_argument("--child", choices=["ours", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.subscribers = args.subscribers[0]
        _child(args)
        return
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    )
    try:
        time.sleep(1.0)
        rows = _runs(port, args)
    finally:
        server.terminate()
        server.wait(10)
    _table(rows, args)


if __name__ == "__main__":
    main()
