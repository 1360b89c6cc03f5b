"""A fake Slack Socket Mode endpoint: a WebSocket on 127.0.0.1 (port 0), served by aiohttp.

Socket Mode apps call ``apps.connections.open`` with their ``xapp-`` token and connect to the
WebSocket URL it returns; Slack then says ``hello`` and pushes envelopes (``events_api``,
``slash_commands``, ...) that the app must acknowledge with their ``envelope_id``, optionally
with a response payload (a slash command's immediate answer). Pair it with ``SlackServer``::

    with SocketModeServer() as socket, SlackServer(TOKEN) as slack:
        slack.enable_socket_mode("xapp-test", socket.url)
        ...                                   # start the app's Socket Mode handler
        socket.wait_connected()
        envelope_id = socket.send("events_api", {"event": {...}, ...})
        socket.ack(envelope_id)               # the app's acknowledgement (waits for it)

The server runs its own event loop in a daemon thread, so tests drive it from any thread.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from types import TracebackType
from typing import Any, Self

from aiohttp import WSMsgType, web


class SocketModeServer:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="slack-socket-fake", daemon=True)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._socket: web.WebSocketResponse | None = None
        self._connected = threading.Event()
        self._acks: dict[str, dict[str, Any]] = {}
        self._acked = threading.Condition()
        self._ids = itertools.count(1)
        self.connections = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/link/?ticket=fake"

    def __enter__(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    # What a test does

    def wait_connected(self, timeout: float = 10) -> None:
        assert self._connected.wait(timeout), "the app never opened the Socket Mode connection"

    def send(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False) -> str:
        """Push one envelope to the connected app; returns its envelope_id."""
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        self.wait_connected()
        asyncio.run_coroutine_threadsafe(self._send(envelope), self._loop).result(timeout=10)
        return envelope_id

    def ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        """The app's acknowledgement of ``envelope_id`` (waits for it)."""
        with self._acked:
            assert self._acked.wait_for(lambda: envelope_id in self._acks, timeout), (
                f"{envelope_id} not acked"
            )
            return self._acks[envelope_id]

    # Serving

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def _stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _send(self, envelope: dict[str, Any]) -> None:
        assert self._socket is not None
        await self._socket.send_str(json.dumps(envelope))

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._socket = socket
        self.connections += 1
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {}}))
        self._connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self._record(json.loads(message.data))
        return socket

    def _record(self, data: dict[str, Any]) -> None:
        if "envelope_id" in data:
            with self._acked:
                self._acks[data["envelope_id"]] = data
                self._acked.notify_all()
