"""Weekly subscriptions: one digest a week, on every channel, exactly once, none on other days.

The daily job of the service (``app.service.daily.DailyJob``) runs day after day over stored
reports, delivering through the real clients to the loopback fakes (Slack, Telegram, aiosmtpd);
the ledger and the platforms must agree that each weekly subscription got one digest on each
``AIDAILY_WEEKLY_DAY`` and nothing else. The soak test of ``aidaily serve`` (test_serve_soak.py)
checks the same of the real process.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fakes.delivery_world import PUBLIC_URL, DeliveryWorld
from fakes.reports import synthetic_report
from fakes.slack_server import links
from test_cli import aidaily, assert_one_line_error

from app.channels import deliver_channels
from app.service.clock import Firing, WallClock
from app.service.daily import DailyJob
from app.service.queue import enqueue_fanout
from app.service.worker import run_worker
from app.weekly import WEEKDAYS, digest_ending
from core.config import Settings
from core.models import Cadence, Channel, Report, RunStatus, Subscription
from core.platforms.pacing import unpaced
from core.report.rendering.markdown import render_markdown
from core.store import Store
from delivery.dispatch import MemoryLedger, deliver
from delivery.dryrun import CallLog
from delivery.slack import DryRunApi, SlackAdapter

ZONE = ZoneInfo("Asia/Taipei")
FIRST = date(2026, 11, 3)  # a Tuesday
DAYS = 15
WEEKLY_DAY = FIRST + timedelta(days=3)  # so the weekly days are the 4th and the 11th
CHAT = -1001234500077


def day_report(day: date) -> Report:
    """A small report of ``day``: three research stories, the first of them the same story every
    day (one topic and article URLs), so the digest must tell it once."""
    base = synthetic_report({"research": 3}, extras=False, seed=day.toordinal())
    items = tuple(
        item if n == 0 else dataclasses.replace(item, topic_key=f"{day}-{n}", sources=_own(item.sources, day))
        for n, item in enumerate(base.section("research").items)
    )
    made = datetime.combine(day, time(6, 40), tzinfo=ZONE)
    sections = tuple(dataclasses.replace(s, items=items) if s.key == "research" else s for s in base.sections)
    return dataclasses.replace(
        base, date=day, title=f"AI 日報 {day}", generated_at=made, window_start=made - timedelta(days=1),
        window_end=made, sections=sections,
    )  # fmt: skip


def _own(sources, day):
    return tuple(dataclasses.replace(s, url=f"{s.url}&day={day}") for s in sources)


@pytest.fixture
def world() -> Iterator[DeliveryWorld]:
    with DeliveryWorld(scale=0.02) as running:
        yield running


def settings_for(url: str, world: DeliveryWorld, tmp_path: Path, **extra: object) -> Settings:
    return world.settings(url, tmp_path / "out", weekly_day=WEEKDAYS[WEEKLY_DAY.weekday()], **extra)


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def store_days(store: Store, days: int = DAYS) -> list[date]:
    dates = [FIRST + timedelta(days=n) for n in range(days)]
    for day in dates:
        report = day_report(day)
        store.save_report(report, render_markdown(report))
    return dates


def subscribe(store: Store, world: DeliveryWorld) -> dict[str, Subscription]:
    for channel in ("C0DAILY01", "C0WEEKLY1"):
        world.slack.add_channel(channel)
    world.telegram.add_chat(CHAT)
    wanted = {
        "slack daily": Subscription(Channel.SLACK, "C0DAILY01", sections=("research",)),
        "slack weekly": Subscription(Channel.SLACK, "C0WEEKLY1", cadence=Cadence.WEEKLY),
        "telegram weekly": Subscription(Channel.TELEGRAM, str(CHAT), cadence=Cadence.WEEKLY),
        "email weekly": Subscription(Channel.EMAIL, "weekly@example.org", cadence=Cadence.WEEKLY),
        "email daily": Subscription(Channel.EMAIL, "daily@example.org"),
    }
    return {name: store.add_subscription(sub)[0] for name, sub in wanted.items()}


def run_days(store: Store, settings: Settings, dates: list[date]) -> None:
    async def days() -> None:
        job = DailyJob(store, settings, [], WallClock(ZONE, settings.build_time))
        for day in dates:
            run = await job.run(
                Firing(day, datetime.combine(day, time(6, 40), tzinfo=ZONE)), datetime.now(ZONE)
            )
            assert run is not None and run.status is RunStatus.SUCCEEDED, run

    asyncio.run(days())


def test_the_daily_job_delivers_one_digest_a_week_to_weekly_subscriptions_and_none_otherwise(
    store, world, tmp_path
):
    dates = store_days(store)
    subs = subscribe(store, world)
    settings = settings_for(url_of(store), world, tmp_path)
    run_days(store, settings, dates)
    weekly_days = [d for d in dates if d.weekday() == WEEKLY_DAY.weekday()]
    assert weekly_days == [WEEKLY_DAY, WEEKLY_DAY + timedelta(days=7)]

    delivered: dict[str, Counter[date]] = {name: Counter() for name in subs}
    names = {sub.id: name for name, sub in subs.items()}
    for day in dates:
        for record in store.delivery_records(day):
            assert record.status.value == "sent" and record.attempts == 1
            name = names[record.subscription_id]
            assert record.key.startswith("weekly/") == name.endswith("weekly"), record
            delivered[name][day] += record.key.endswith("header") or record.key.endswith("email")
    for name in ("slack weekly", "telegram weekly", "email weekly"):
        assert delivered[name] == Counter(dict.fromkeys(weekly_days, 1)), name  # one digest, on those days
    for name in ("slack daily", "email daily"):
        assert delivered[name] == Counter(dict.fromkeys(dates, 1)), name

    # What the platforms hold agrees: two digests each, titled as a week.
    assert len([m for m in world.slack.top_level("C0WEEKLY1") if m.text.startswith("AI 週報")]) == 2
    mails = Counter(
        str(m.message["Subject"]).startswith("AI 週報") for m in world.smtp.to("weekly@example.org")
    )
    assert mails == Counter({True: 2}) and len(world.smtp.to("daily@example.org")) == DAYS
    headers = [m for m in world.telegram.messages if m.chat_id == CHAT and m.text.startswith("AI 週報")]
    assert len(headers) == 2


def test_the_digest_tells_each_story_once_and_links_to_its_daily_reports(store, world, tmp_path):
    dates = store_days(store, days=7)
    settings = settings_for(url_of(store), world, tmp_path, weekly_items=20)
    digest = digest_ending(store, settings, dates[-1])
    recurring = [i for i in digest.items if i.topic_key == "research-0"]
    assert len(recurring) == 1 and len(digest.items) == 1 + 2 * 7
    world.slack.add_channel("C0WEEKLY1")
    store.add_subscription(Subscription(Channel.SLACK, "C0WEEKLY1", cadence=Cadence.WEEKLY))
    asyncio.run(deliver_channels(store, digest, settings, [Channel.SLACK]))
    targets = {url for m in world.slack.messages for url, _ in links(m.mrkdwn())}
    assert {f"{PUBLIC_URL}/reports/{day}/" for day in dates} <= targets
    header = world.slack.top_level("C0WEEKLY1")[0]
    assert not any("/reports/" in url for url, _ in links(header.mrkdwn()))  # no one day's page
    # Votes name an item of a day: a digest's items are voted on in the daily reports.
    assert settings.feedback_buttons
    assert not [b for m in world.slack.messages for b in m.blocks if b["type"] == "actions"]


def test_a_digest_is_sent_once_even_to_a_subscription_that_had_that_days_report(tmp_path):
    report = day_report(WEEKLY_DAY)
    digest = dataclasses.replace(report, title="AI 週報", cadence=Cadence.WEEKLY)
    calls = CallLog(tmp_path / "calls.jsonl")
    adapter = SlackAdapter(DryRunApi(calls), unpaced())
    ledger = MemoryLedger()
    daily = Subscription(Channel.SLACK, "C0SWITCH1", id=1)
    weekly = dataclasses.replace(daily, cadence=Cadence.WEEKLY)

    async def scenario() -> list[tuple[int, int, int]]:
        results = [
            await deliver(adapter, report, daily, ledger),  # the day's report, while still daily
            await deliver(adapter, digest, daily, ledger),  # a daily subscription takes no digest
            await deliver(adapter, digest, weekly, ledger),  # now weekly: the digest, apart
            await deliver(adapter, digest, weekly, ledger),  # again: nothing twice
            await deliver(adapter, report, weekly, ledger),  # and no more daily reports
        ]
        return [(r.planned, r.sent, r.already_sent) for r in results]

    with calls:
        assert asyncio.run(scenario()) == [(3, 3, 0), (0, 0, 0), (3, 3, 0), (3, 0, 3), (0, 0, 0)]
    assert len(calls.calls) == 6
    keys = ("header", "section:research", "section:research/part:1")
    assert sorted(ledger.records[(WEEKLY_DAY, daily.target)]) == sorted(
        [*keys, *(f"weekly/{k}" for k in keys)]
    )


def test_deliver_weekly_from_the_cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store.open(url) as store:
        store_days(store, days=3)
        store.add_subscription(Subscription(Channel.SLACK, "C0WEEKLY1", cadence=Cadence.WEEKLY))
        store.add_subscription(Subscription(Channel.SLACK, "C0DAILY01"))
    env = {"AIDAILY_DATABASE_URL": url}
    end = FIRST + timedelta(days=2)
    done = aidaily("deliver", "--weekly", "--date", end.isoformat(), "--dry-run", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "out" / f"{end}.slack.jsonl").read_text(encoding="utf-8")
    assert "C0WEEKLY1" in calls and "C0DAILY01" not in calls and "AI 週報" in calls
    empty = aidaily("deliver", "--weekly", "--date", "2020-01-06", cwd=tmp_path, env=env)
    assert_one_line_error(empty, "no reports in the week ending 2020-01-06")


@pytest.mark.postgres
def test_workers_deliver_the_weekly_digest_to_weekly_subscriptions_only(postgres_url, world, tmp_path):
    with Store.open(postgres_url) as store:
        dates = store_days(store, days=7)
        subs = subscribe(store, world)
    settings = settings_for(postgres_url, world, tmp_path)
    asyncio.run(enqueue_fanout(settings, dates[-1], [Channel.SLACK, Channel.EMAIL], Cadence.WEEKLY))
    again = asyncio.run(enqueue_fanout(settings, dates[-1], [Channel.SLACK], Cadence.WEEKLY))
    assert [(e.queued, e.reason) for e in again] == [(False, "already queued")]

    async def scenario() -> None:
        task = asyncio.create_task(run_worker(settings, concurrency=2))
        for _ in range(600):
            if world.smtp.to("weekly@example.org") and len(world.slack.top_level("C0WEEKLY1")) >= 2:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # anything extra would arrive now
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert len(world.smtp.to("weekly@example.org")) == 1 and not world.smtp.to("daily@example.org")
    assert not world.slack.top_level("C0DAILY01")
    with Store.open(postgres_url) as store:
        records = store.delivery_records(dates[-1])
    assert {r.subscription_id for r in records} == {subs["slack weekly"].id, subs["email weekly"].id}
    assert all(r.key.startswith("weekly/") and r.attempts == 1 for r in records)
