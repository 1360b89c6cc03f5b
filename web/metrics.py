"""Prometheus metrics: what the store holds, read at scrape time, and the web app's HTTP traffic.

Everything lives in a ``CollectorRegistry`` of its own (``metrics_registry(store)``), never
prometheus_client's global one: two apps in one process (tests, or the service beside a
one-off CLI run) would otherwise collide on metric names, and the global registry would mix in
whatever else the process imported.

``StoreCollector`` asks the store for its counts on every scrape (a few aggregate queries), so
the numbers are the database's, not one process's memory: several web workers agree.

- ``aidaily_store_up``: 1 when the counts could be read; 0 (and none of the others) when not
- ``aidaily_reports_stored``, ``aidaily_articles_stored``
- ``aidaily_latest_report_date_timestamp_seconds``: the newest report's date (00:00 UTC), unix time
- ``aidaily_latest_report_generated_timestamp_seconds``: when it was generated (alert when old)
- ``aidaily_subscriptions{channel,status}``: every channel and status, zeros included
- ``aidaily_latest_delivery_date_timestamp_seconds``: the newest report date in the delivery ledger
- ``aidaily_deliveries_latest_day{channel,status}``: that day's ledger entries (messages)
- ``aidaily_http_requests_total{method,route,status}``: requests by route template, not raw path
- ``aidaily_http_request_duration_seconds{method,route}``: time to the end of the response

plus prometheus_client's process, platform and garbage-collector metrics. The HTTP metrics
come from ``RequestMetrics``, an ASGI middleware: ``instrument(app, registry)`` adds it.
Requests that match no route are counted under the route ``<unmatched>``, so scanners probing
random paths cannot grow the number of series.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.models import Channel, DeliveryStatus, SubscriptionStatus
from core.store import Store, StoreError
from core.store.archive import StoreCounts

log = logging.getLogger(__name__)
UNMATCHED = "<unmatched>"


def metrics_registry(store: Store) -> CollectorRegistry:
    """A new registry with the store's gauges and the process, platform and GC metrics."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    registry.register(StoreCollector(store))
    return registry


class StoreCollector(Collector):
    """The store's counts as gauges, read from the database at each scrape."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def describe(self) -> Iterable[Metric]:
        # Declared empty so registering does not run collect(), which would query the database.
        return []

    def collect(self) -> Iterable[Metric]:
        try:
            counts = self.store.store_counts()
        except (StoreError, SQLAlchemyError) as exc:
            # The type only: a driver's message can hold the database host or user.
            log.warning("metrics: cannot read the store (%s)", type(exc).__name__)
            yield _gauge("aidaily_store_up", "1 when the store could be read", 0)
            return
        yield _gauge("aidaily_store_up", "1 when the store could be read", 1)
        yield from _store_gauges(counts)


def _store_gauges(counts: StoreCounts) -> Iterable[Metric]:
    yield _gauge("aidaily_reports_stored", "Reports in the store", counts.reports)
    yield _gauge("aidaily_articles_stored", "Articles in the store", counts.articles)
    if counts.latest_report is not None:
        yield _gauge(
            "aidaily_latest_report_date_timestamp_seconds",
            "Date of the newest report (00:00 UTC) as unix time",
            _day_start(counts.latest_report),
        )
    if counts.latest_generated_at is not None:
        yield _gauge(
            "aidaily_latest_report_generated_timestamp_seconds",
            "When the newest report was generated, as unix time",
            counts.latest_generated_at.timestamp(),
        )
    yield _labelled(
        "aidaily_subscriptions",
        "Subscriptions by channel and status",
        counts.subscriptions,
        [s.value for s in SubscriptionStatus],
    )
    yield from _delivery_gauges(counts)


def _delivery_gauges(counts: StoreCounts) -> Iterable[Metric]:
    if counts.latest_delivery_day is None:
        return
    yield _gauge(
        "aidaily_latest_delivery_date_timestamp_seconds",
        "Newest report date with delivery ledger entries (00:00 UTC) as unix time",
        _day_start(counts.latest_delivery_day),
    )
    yield _labelled(
        "aidaily_deliveries_latest_day",
        "Messages in the delivery ledger for the newest delivered report date, by channel and status",
        counts.deliveries,
        [s.value for s in DeliveryStatus],
    )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(
    name: str, documentation: str, values: dict[tuple[str, str], int], statuses: list[str]
) -> GaugeMetricFamily:
    """A gauge per (channel, status): every known pair (zero when absent), then any other stored."""
    family = GaugeMetricFamily(name, documentation, labels=["channel", "status"])
    known = {(channel.value, status) for channel in Channel for status in statuses}
    for channel, status in sorted(known | set(values)):
        family.add_metric([channel, status], values.get((channel, status), 0))
    return family


def _day_start(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


class HttpMetrics:
    """The request counter and latency histogram, registered once in ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "aidaily_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "aidaily_http_request_duration_seconds",
            "Seconds from request to the end of the response, by method and route template",
            ["method", "route"],
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)


class RequestMetrics:
    """ASGI middleware that counts and times every HTTP request into ``HttpMetrics``."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raises before responding
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.observe(scope["method"], route_template(scope), status, seconds)


def route_template(scope: Scope) -> str:
    """The path template of the route that serves ``scope`` (``/reports/{day}/``), or ``<unmatched>``."""
    app = scope.get("app")
    routes = app.router.routes if isinstance(app, Starlette) else []
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", UNMATCHED) or UNMATCHED
        if match == Match.PARTIAL and partial is None:  # the path matched, the method did not
            partial = getattr(route, "path", None)
    return partial or UNMATCHED


def instrument(app: Starlette, registry: CollectorRegistry) -> HttpMetrics:
    """Count and time ``app``'s requests into ``registry``; call before the app serves."""
    metrics = HttpMetrics(registry)
    app.add_middleware(RequestMetrics, metrics=metrics)
    return metrics
