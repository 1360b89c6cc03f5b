"""``/healthz`` and ``/metrics`` for load balancers, uptime checks and Prometheus.

``GET /healthz`` runs one trivial query (the newest report's date) and answers
``200 {"status": "ok", "database": "ok", "latest_report": "YYYY-MM-DD" | null}``, or
``503 {"status": "error", "database": "error", "latest_report": null}`` when the database cannot
answer. The reason stays in the server log as an exception type only: driver messages and URLs
can hold hosts, users or passwords, and this endpoint is public.

``GET /metrics`` is the Prometheus text format of a dedicated registry (``web.metrics``); the
store's gauges are read from the database during the scrape.

Wiring (the web app's composition root)::

    registry = metrics_registry(store)
    app = create_app(store, ..., extra_routes=[*archive_routes(...), *health_routes(store, registry)])
    instrument(app, registry)   # the HTTP request counter and histogram
"""

from __future__ import annotations

import logging

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from core.store import Store, StoreError
from web.metrics import metrics_registry

log = logging.getLogger(__name__)
_NO_STORE = {"Cache-Control": "no-store"}


def health_routes(store: Store, registry: CollectorRegistry | None = None) -> list[BaseRoute]:
    """``/healthz`` and ``/metrics``; ``registry`` defaults to a new ``metrics_registry(store)``."""
    endpoints = HealthEndpoints(store, registry or metrics_registry(store))
    return [
        Route("/healthz", endpoints.healthz, methods=["GET"], name="healthz"),
        Route("/metrics", endpoints.metrics, methods=["GET"], name="metrics"),
    ]


class HealthEndpoints:
    def __init__(self, store: Store, registry: CollectorRegistry) -> None:
        self.store = store
        self.registry = registry

    async def healthz(self, request: Request) -> Response:
        try:
            latest = await run_in_threadpool(self.store.latest_report_date)
        except (StoreError, SQLAlchemyError) as exc:
            log.warning("health check: the database failed (%s)", type(exc).__name__)
            body = {"status": "error", "database": "error", "latest_report": None}
            return JSONResponse(body, status_code=503, headers=_NO_STORE)
        body = {"status": "ok", "database": "ok", "latest_report": latest.isoformat() if latest else None}
        return JSONResponse(body, headers=_NO_STORE)

    async def metrics(self, request: Request) -> Response:
        # Collecting queries the store, which blocks: off the event loop.
        text = await run_in_threadpool(generate_latest, self.registry)
        return Response(text, media_type=CONTENT_TYPE_LATEST, headers=_NO_STORE)
