"""``aidaily demo``: the whole pipeline on bundled feeds, with no network and no keys.

The sample feeds are served from a local HTTP server so the real fetch path (httpx, conditional
GET, feedparser) runs. Unless ``AIDAILY_DATABASE_URL`` is set, the demo keeps its own SQLite file,
started afresh each run so the demo never mixes with a real store.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console

from app.building import build_day, ingest_sources
from app.channels import preview_channels
from app.demo.server import DemoFeedServer
from app.progress import RichObserver
from app.report_output import print_build, print_ingest, write_outputs
from core.config import Settings
from core.models import Channel, Report, Subscription
from core.store.store import Store

DEMO_DATABASE = Path("data/demo.db")
#: What the demo subscribes, so a user sees what each channel would receive. Always a dry run:
#: these addresses are made up.
DEMO_SUBSCRIPTIONS = (
    Subscription(Channel.SLACK, "C0DEMOAIDAILY"),
    Subscription(Channel.TELEGRAM, "-1001234567890"),
    Subscription(Channel.EMAIL, "reader@example.org"),
)


def run_demo(settings: Settings, out: Console, err: Console) -> None:
    database_url = _demo_database(settings)
    now = datetime.now(UTC)
    with DemoFeedServer(now=now) as server, Store.open(database_url) as store, RichObserver(err) as observer:
        ingested, result = asyncio.run(_run(store, settings, server, now, observer))
    print_ingest(ingested, out, err)
    print_build(result, out)
    md_path, json_path = write_outputs(result, settings.out_dir)
    out.print(f"\nWrote [bold]{md_path}[/] and [bold]{json_path}[/].")
    _preview_deliveries(result.report, settings, database_url, out)
    out.print(f"Read it with:  less {md_path}")
    out.print(
        f"Query it with: AIDAILY_DATABASE_URL={database_url} .venv/bin/aidaily show --format json",
        soft_wrap=True,
    )


async def _run(store: Store, settings: Settings, server: DemoFeedServer, now: datetime, observer):
    # The bundled feeds are served on loopback: the one private address the demo fetches from.
    loopback = urlsplit(server.base_url).hostname or "127.0.0.1"
    ingested = await ingest_sources(store, settings, server.sources(), observer, allow_private=(loopback,))
    return ingested, await build_day(store, settings, None, now, observer)


def _demo_database(settings: Settings) -> str:
    if "database_url" in settings.model_fields_set:
        return settings.database_url
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{DEMO_DATABASE}"


def _preview_deliveries(report: Report, settings: Settings, database_url: str, out: Console) -> None:
    if database_url == f"sqlite:///{DEMO_DATABASE}":  # never add made-up addresses to a real store
        with Store.open(database_url) as store:
            for subscription in DEMO_SUBSCRIPTIONS:
                store.add_subscription(subscription)
    for run in asyncio.run(preview_channels(report, settings, DEMO_SUBSCRIPTIONS)):
        calls = run.totals.sent
        out.print(
            f"Wrote [bold]{run.calls_file}[/]: what a delivery to {run.channel.value.capitalize()} "
            f"sends ({calls} {'call' if calls == 1 else 'calls'})."
        )
        if run.channel == Channel.EMAIL:
            page = settings.out_dir / f"{report.date.isoformat()}"
            out.print(f"Wrote [bold]{page}.html[/] and [bold]{page}.txt[/]: the newsletter email.")
