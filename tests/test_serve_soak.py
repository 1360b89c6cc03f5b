"""The real ``aidaily serve`` over several compressed days: each day built once, delivered once.

A firing every few seconds is one simulated day (``AIDAILY_SCHEDULE`` with ``AIDAILY_SIMULATE_*``).
Feeds carry news for each day; Slack, Telegram and email subscriptions are served by the loopback
fakes. What must hold: one run per day, each succeeded, one report per day, and every
subscription got every message of every day exactly once; a weekly subscription on each channel
got one digest, on the weekly day, and nothing on the others.
"""

from __future__ import annotations

from collections import Counter

import pytest
from serving import WEEKLY_CHANNEL, WEEKLY_CHAT, WEEKLY_EMAIL, site

from core.models import RunStatus
from core.store import Store

DAYS = 5
PERIOD = 5  # seconds a simulated day: longer than one day's run (fetch, build, paced delivery)


def assert_each_day_once(serving, runs) -> None:
    """Each of ``runs`` (consecutive days) ran once and delivered once (the service may have begun
    a later day by the time it stopped: later days are held to "nothing twice" only)."""
    assert all(r.status is RunStatus.SUCCEEDED and r.attempts == 1 for r in runs), runs
    with Store.open(serving.database_url) as store:
        assert {r.day for r in runs} <= set(store.report_dates())
        for run in runs:
            records = store.delivery_records(run.day)
            assert all(r.status.value == "sent" and r.attempts == 1 for r in records)
            daily = {r.subscription_id for r in records if not r.key.startswith("weekly/")}
            assert len(daily) == 3  # slack, telegram, email
        assert_platforms_match_the_ledger(serving, store)
        assert_one_digest_a_week(serving, store, runs)


def assert_one_digest_a_week(serving, store, runs) -> None:
    """The weekly subscriptions got one digest each, on the weekly day (which ran), and nothing of
    any other day: not in the ledger, not on the platforms."""
    assert serving.weekly_day in {r.day for r in runs}
    weekly = {s.id for s in store.subscriptions() if s.cadence.value == "weekly"}
    for run in serving.runs():  # every day begun, not only the first ones
        records = store.delivery_records(run.day)
        theirs = {r.subscription_id for r in records if r.key.startswith("weekly/")}
        assert theirs == (weekly if run.day == serving.weekly_day else set()), run.day
        assert not [r for r in records if r.subscription_id in weekly and not r.key.startswith("weekly/")]
    assert len(weekly) == 3
    [mail] = serving.smtp.to(WEEKLY_EMAIL)
    assert str(mail.message["Subject"]).startswith("AI 週報")
    assert [m.text.startswith("AI 週報") for m in serving.slack.top_level(WEEKLY_CHANNEL)].count(True) == 1
    headers = [
        m for m in serving.telegram.messages if m.chat_id == WEEKLY_CHAT and m.text.startswith("AI 週報")
    ]
    assert len(headers) == 1


def assert_platforms_match_the_ledger(serving, store) -> None:
    """Every message a platform holds is one ledger row marked sent, with its id: nothing twice."""
    sent = [r for run in serving.runs() for r in store.delivery_records(run.day) if r.status.value == "sent"]
    by_id = {s.id: s for s in store.subscriptions()}
    # (chat, id): a Telegram message id is unique within its chat only.
    ids: dict[str, list[tuple[str, str | None]]] = {channel: [] for channel in ("slack", "telegram", "email")}
    for record in sent:
        subscription = by_id[record.subscription_id]
        ids[subscription.channel.value].append((subscription.address, record.platform_id))
    assert sorted(ids["slack"]) == sorted((m.channel, m.ts) for m in serving.slack.messages)
    telegram = [(str(m.chat_id), str(m.message_id)) for m in serving.telegram.messages]
    assert sorted(ids["telegram"]) == sorted(telegram)
    assert len(ids["email"]) == len(serving.smtp.messages)
    assert not any(Counter(found).most_common(1)[0][1] > 1 for found in ids.values() if found)


def test_five_days_on_one_instance(tmp_path):
    url = f"sqlite:///{tmp_path / 'aidaily.db'}"
    with site(tmp_path, url, period=PERIOD, days=DAYS, lead_in=4, weekly=True) as serving:
        instance = serving.start()
        runs = serving.wait_days(DAYS, timeout=PERIOD * DAYS + 40)
        assert instance.terminate() == 0
    assert_each_day_once(serving, runs)
    sent = sum(r.summary.messages["slack"].sent for r in runs)
    assert sent == len(serving.slack.messages)  # the weekly digest counted in its day's run
    assert all(r.summary.items > 0 for r in runs) and runs[0].summary.articles_new > 0
    names = [e["event"] for e in instance.events()]
    assert names.count("run.started") == names.count("run.finished") >= DAYS
    assert names.count("run.skipped") == 0
    assert "service.stopped" in names


@pytest.mark.postgres
def test_two_instances_on_one_postgresql_run_each_day_once(tmp_path, postgres_url):
    with site(tmp_path, postgres_url, period=PERIOD, days=DAYS, lead_in=5, weekly=True) as serving:
        first, second = serving.start(), serving.start()
        runs = serving.wait_days(DAYS, timeout=PERIOD * DAYS + 40)
        elected = [i for i in (first, second) if any(e["event"] == "leader.elected" for e in i.events())]
        assert first.terminate() == 0 and second.terminate() == 0
    assert_each_day_once(serving, runs)
    # One scheduler all along (when the leader stops at the end, the follower may take over).
    assert len(elected) == 1
    assert {r.instance.rsplit(":", 1)[1] for r in runs} == {str(elected[0].process.pid)}
