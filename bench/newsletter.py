"""Benchmark email delivery: N confirmed subscribers against a local aiosmtpd, beside the ceiling.

    .venv/bin/python bench/newsletter.py                      # 10,000 subscribers, 4 connections
    .venv/bin/python bench/newsletter.py --subscribers 1000 --connections 8

Two runs, each in a fresh Python process (so each peak memory is its own), against one aiosmtpd
server (``python -m aiosmtpd``, a Sink handler) in a process of its own:

- **aidaily**: the real path: subscribers stored in SQLite, ``store.subscriptions``, the
  ``EmailAdapter`` (60-item report, compiled once, personalised links, a ``multipart/alternative``
  message built per recipient), ``deliver_all`` with the SQLite delivery ledger, ``SmtpSender``;
- **bare aiosmtplib**: the same number of messages, one prebuilt message (the first recipient's
  bytes), sent with ``aiosmtplib.SMTP.sendmail`` over the same number of reused connections: the
  ceiling of this machine and server.

Prints a Markdown table: messages, seconds, messages per second, share of the ceiling, and the
peak resident memory of the process (``ru_maxrss``) with its growth over the baseline.
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _ours(port: int, count: int, connections: int, workdir: Path) -> dict[str, float]:
    from fakes.reports import synthetic_report

    from core.models import Channel, Subscription, SubscriptionStatus
    from core.store import Store
    from delivery.dispatch import deliver_all
    from delivery.email import EmailAdapter, Links, SmtpMailer
    from delivery.email_render import EmailRenderer
    from delivery.smtp import SmtpOptions, SmtpSender

    report = synthetic_report()
    with Store.open(f"sqlite:///{workdir / 'bench.db'}") as store:
        for n in range(count):
            store.add_subscription(Subscription(Channel.EMAIL, f"r{n}@example.org"))
        baseline = _rss_mib()
        start = time.perf_counter()
        subscriptions = store.subscriptions(Channel.EMAIL, SubscriptionStatus.CONFIRMED)
        sender = SmtpSender(SmtpOptions("127.0.0.1", port, tls="none", connections=connections))
        adapter = EmailAdapter(
            SmtpMailer(sender),
            EmailRenderer(archive_url=lambda r: f"https://daily.example.org/reports/{r.date}/"),
            Links("https://daily.example.org", "bench-secret"),
            from_address="AI Daily <daily@example.org>",
        )
        async with sender:
            results = await deliver_all(
                adapter, report, subscriptions, store.ledger, concurrency=connections * 2
            )
        wall = time.perf_counter() - start
    sent = sum(r.sent for r in results)
    return {"sent": sent, "wall": wall, "rss": _rss_mib(), "baseline": baseline, "connects": sender.connects}


async def _bare(port: int, count: int, connections: int, workdir: Path) -> dict[str, float]:
    import aiosmtplib
    from fakes.reports import synthetic_report

    from core.models import Channel, Subscription
    from delivery.email import EmailAdapter, Links, SmtpMailer
    from delivery.email_render import EmailRenderer
    from delivery.smtp import SmtpOptions, SmtpSender

    adapter = EmailAdapter(
        SmtpMailer(SmtpSender(SmtpOptions("127.0.0.1", port))),
        EmailRenderer(),
        Links("https://daily.example.org", "bench-secret"),
        from_address="AI Daily <daily@example.org>",
    )
    report = synthetic_report()
    compiled = adapter.renderer.for_subscription(report, (), None)
    data = adapter.envelope(compiled, Subscription(Channel.EMAIL, "r0@example.org", id=1)).data
    baseline = _rss_mib()
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
    wall = time.perf_counter() - start
    return {"sent": sent, "wall": wall, "rss": _rss_mib(), "baseline": baseline, "connects": connections}


def _child(args: argparse.Namespace) -> None:
    run = {"ours": _ours, "bare": _bare}[args.child]
    with tempfile.TemporaryDirectory() as workdir:
        stats = asyncio.run(run(args.port, args.subscribers, args.connections, Path(workdir)))
    print(json.dumps(stats))


def _measure(mode: str, port: int, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, "--port", str(port)]
    command += ["--subscribers", str(args.subscribers), "--connections", str(args.connections)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--child", choices=["ours", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    )
    try:
        time.sleep(1.0)
        bare = _measure("bare", port, args)
        ours = _measure("ours", port, args)
    finally:
        server.terminate()
        server.wait(10)
    print(
        f"\n{args.subscribers} confirmed subscribers, {args.connections} SMTP connections, 60-item report\n"
    )
    print("| run | sent | seconds | messages/s | of ceiling | peak RSS MiB | growth MiB | connections |")
    print("|---|---|---|---|---|---|---|---|")
    ceiling = bare["sent"] / bare["wall"]
    for name, row in (("bare aiosmtplib (ceiling)", bare), ("aidaily email", ours)):
        rate = row["sent"] / row["wall"]
        print(
            f"| {name} | {row['sent']:.0f} | {row['wall']:.1f} | {rate:.0f} | {rate / ceiling:.0%} "
            f"| {row['rss']:.0f} | {row['rss'] - row['baseline']:.0f} | {row['connects']:.0f} |"
        )


if __name__ == "__main__":
    main()
