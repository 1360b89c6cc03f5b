"""``/healthz`` and ``/metrics`` over HTTP, on both databases: the health answer with a working
and a broken database, the store's gauges after subscriptions, a report and deliveries are
stored, the HTTP request metrics by route template, and registries that do not collide.
"""

from __future__ import annotations

import shutil
from datetime import date

import prometheus_client
import pytest
from asgi_client import get
from factories import article
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from starlette.applications import Starlette
from test_web_archive import save

from core.models import Channel, Subscription, SubscriptionStatus
from core.store import Store
from web.archive import archive_routes
from web.health import health_routes
from web.metrics import instrument, metrics_registry

DAY = date(2026, 3, 2)


def health_app(store: Store) -> Starlette:
    registry = metrics_registry(store)
    app = Starlette(routes=[*archive_routes(store, public_url=""), *health_routes(store, registry)])
    instrument(app, registry)
    return app


def scrape(app: Starlette) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """``/metrics`` parsed by prometheus_client's own parser: (sample name, labels) -> value."""
    response = get(app, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(pairs.items())


def break_database(store: Store) -> None:
    """The reports table disappears under the running app (a restore gone wrong, a dropped schema)."""
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "DROP TABLE reports CASCADE"
                if store.engine.dialect.name != "sqlite"
                else "DROP TABLE reports"
            )
        )


def test_healthz_ok_with_and_without_reports(store):
    app = health_app(store)
    empty = get(app, "/healthz")
    assert empty.status_code == 200
    assert empty.json() == {"status": "ok", "database": "ok", "latest_report": None}
    assert empty.headers["cache-control"] == "no-store"
    save(store, DAY)
    save(store, date(2026, 3, 1))
    assert get(app, "/healthz").json()["latest_report"] == "2026-03-02"


def test_healthz_503_when_the_database_breaks(store):
    app = health_app(store)
    break_database(store)
    response = get(app, "/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "latest_report": None}
    metrics = scrape(app)
    assert metrics[("aidaily_store_up", labels())] == 0
    assert not any(name == "aidaily_reports_stored" for name, _ in metrics)


def test_healthz_503_when_the_sqlite_file_is_gone(tmp_path):
    folder = tmp_path / "data"
    with Store.open(f"sqlite:///{folder / 'aidaily.db'}") as store:
        app = health_app(store)
        assert get(app, "/healthz").status_code == 200
        shutil.rmtree(folder)
        store.engine.dispose()  # pooled connections kept the deleted file open
        response = get(app, "/healthz")
    assert response.status_code == 503
    assert "aidaily.db" not in response.text and str(tmp_path) not in response.text


def add_subscriptions(store: Store) -> dict[str, Subscription]:
    wanted = {
        "slack-a": Subscription(Channel.SLACK, "C01"),
        "slack-b": Subscription(Channel.SLACK, "C02"),
        "telegram": Subscription(Channel.TELEGRAM, "-1001"),
        "email-pending": Subscription(Channel.EMAIL, "a@example.org", status=SubscriptionStatus.PENDING),
        "email-gone": Subscription(Channel.EMAIL, "b@example.org", status=SubscriptionStatus.UNSUBSCRIBED),
    }
    return {key: store.add_subscription(sub)[0] for key, sub in wanted.items()}


def deliver(store: Store, subs: dict[str, Subscription], day: date) -> None:
    """Ledger entries as a delivery leaves them: Slack sent three, Telegram failed one, one in flight."""
    ledger = store.ledger
    for sub, key in [("slack-a", "header"), ("slack-a", "section:research"), ("slack-b", "header")]:
        ledger.begin(day, subs[sub], key, section=None, parent=None)
        ledger.sent(day, subs[sub], key, f"ts-{sub}-{key}")
    ledger.begin(day, subs["telegram"], "header", section=None, parent=None)
    ledger.failed(day, subs["telegram"], "header", "chat not found", permanent=True)
    ledger.begin(day, subs["telegram"], "section:research", section="research", parent="header")


def test_metrics_hold_the_store_counts(store):
    subs = add_subscriptions(store)
    report = save(store, DAY)
    save(store, date(2026, 3, 1))
    store.add_articles([article("Open weights model ships"), article("Chip export rules tighten")])
    deliver(store, subs, date(2026, 3, 1))  # an older day: not the latest
    deliver(store, subs, DAY)
    store.ledger.begin(DAY, subs["slack-b"], "section:tools", section="tools", parent="header")
    metrics = scrape(health_app(store))
    assert metrics[("aidaily_store_up", labels())] == 1
    assert metrics[("aidaily_reports_stored", labels())] == 2
    assert metrics[("aidaily_articles_stored", labels())] == 2
    assert metrics[("aidaily_latest_report_date_timestamp_seconds", labels())] == 1772409600  # 2026-03-02
    generated = metrics[("aidaily_latest_report_generated_timestamp_seconds", labels())]
    assert generated == report.generated_at.timestamp()
    subscriptions = {
        (dict(key)["channel"], dict(key)["status"]): value
        for (name, key), value in metrics.items()
        if name == "aidaily_subscriptions"
    }
    assert subscriptions[("slack", "confirmed")] == 2 and subscriptions[("telegram", "confirmed")] == 1
    assert subscriptions[("email", "pending")] == 1 and subscriptions[("email", "unsubscribed")] == 1
    assert subscriptions[("email", "confirmed")] == 0 and sum(subscriptions.values()) == 5
    assert metrics[("aidaily_latest_delivery_date_timestamp_seconds", labels())] == 1772409600
    deliveries = "aidaily_deliveries_latest_day"
    assert metrics[(deliveries, labels(channel="slack", status="sent"))] == 3
    assert metrics[(deliveries, labels(channel="slack", status="sending"))] == 1
    assert metrics[(deliveries, labels(channel="telegram", status="failed"))] == 1
    assert metrics[(deliveries, labels(channel="telegram", status="sending"))] == 1
    assert metrics[(deliveries, labels(channel="email", status="sent"))] == 0


def test_metrics_of_an_empty_store_and_the_process(store):
    metrics = scrape(health_app(store))
    assert metrics[("aidaily_reports_stored", labels())] == 0
    names = {name for name, _ in metrics}
    assert "aidaily_latest_report_date_timestamp_seconds" not in names  # absent, not a fake zero
    assert "aidaily_deliveries_latest_day" not in names
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"} <= names


def test_http_requests_are_counted_by_route_template(sqlite_store):
    save(sqlite_store, DAY)
    app = health_app(sqlite_store)
    for path in ("/reports/2026-03-02/", "/reports/2026-03-02/", "/reports/1999-01-01/", "/wp-login.php"):
        get(app, path)
    metrics = scrape(app)
    requests = "aidaily_http_requests_total"
    assert metrics[(requests, labels(method="GET", route="/reports/{day}/", status="200"))] == 2
    assert metrics[(requests, labels(method="GET", route="/reports/{day}/", status="404"))] == 1
    assert metrics[(requests, labels(method="GET", route="<unmatched>", status="404"))] == 1
    count = metrics[
        ("aidaily_http_request_duration_seconds_count", labels(method="GET", route="/reports/{day}/"))
    ]
    assert count == 3
    assert not any("2026-03-02" in dict(key).get("route", "") for _, key in metrics)


def test_two_apps_keep_separate_registries_and_leave_the_global_one_alone(tmp_path):
    with (
        Store.open(f"sqlite:///{tmp_path / 'a.db'}") as one,
        Store.open(f"sqlite:///{tmp_path / 'b.db'}") as two,
    ):
        save(one, DAY)
        first, second = health_app(one), health_app(two)
        get(first, "/healthz")
        a, b = scrape(first), scrape(second)
    assert a[("aidaily_reports_stored", labels())] == 1 and b[("aidaily_reports_stored", labels())] == 0
    healthz = ("aidaily_http_requests_total", labels(method="GET", route="/healthz", status="200"))
    assert a[healthz] == 1 and healthz not in b
    assert prometheus_client.REGISTRY.get_sample_value("aidaily_reports_stored") is None


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_health_routes_stand_alone(sqlite_store, path):
    assert get(Starlette(routes=health_routes(sqlite_store)), path).status_code == 200
