"""What every fake server shares: an HTTP server on 127.0.0.1, a port the OS picks, a daemon thread.

A fake subclasses ``LoopbackServer``, calls ``super().__init__(Handler, name=...)`` and is used as
a context manager. Its handler reaches the fake through ``self.server.owner``. ``closing`` is set
on exit, so a handler sleeping on a scripted delay wakes up instead of holding shutdown.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], *, name: str) -> None:
        self.closing = threading.Event()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._http.daemon_threads = True
        self._http.request_queue_size = 128  # clients that connect at once are not refused
        self._http.owner = self  # type: ignore[attr-defined]
        # A short poll interval: shutdown waits for it, and tests start and stop many servers.
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, name=name, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.closing.set()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"
