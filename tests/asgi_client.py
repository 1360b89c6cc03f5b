"""Talking HTTP to our Starlette apps in tests: in process through httpx's ASGI transport, or over
a real socket to uvicorn serving the app on 127.0.0.1 and a port the OS picks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Self

import httpx
import uvicorn
from starlette.types import ASGIApp


def get(app: ASGIApp, path: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
    """``GET path`` from ``app`` in process (no redirects followed)."""

    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path, headers=dict(headers or {}))

    return asyncio.run(request())


class UvicornThread:
    """``app`` served by uvicorn on 127.0.0.1:0 in a daemon thread, for the length of a ``with``."""

    def __init__(self, app: ASGIApp) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``, the port uvicorn was given by the OS."""
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"
