"""A sliding-window rate limiter: at most ``limit`` hits per key in any ``window`` seconds.

It keeps, per key, the times of the hits it allowed (a sliding log), so a burst at the end of
one hour and another at the start of the next cannot add up to twice the limit, as they can
with fixed windows. State lives in memory: right for one process; several processes behind a
load balancer each enforce their own limit.

The clock is injected (``time.monotonic`` by default) so tests step time instead of sleeping.
``limited`` puts a limiter in front of an endpoint, counting hits by ``client_key``.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

Clock = Callable[[], float]
Endpoint = Callable[[Request], Awaitable[Response]]

# Providers that ignore dots in the local part and answer under both names (Gmail).
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}

# Every this many hits, keys whose hits have all left the window are dropped, so memory holds
# only the clients of the last window however many have come and gone.
_SWEEP_EVERY = 1024


class SlidingWindowLimiter:
    """``hit(key)`` records a hit and returns None, or, over the limit, the seconds to wait."""

    def __init__(self, limit: int, window: float = 3600.0, clock: Clock = time.monotonic) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._since_sweep = 0

    def hit(self, key: str) -> int | None:
        """Count a hit for ``key``; None if allowed, else whole seconds until one would be.

        A refused hit is not recorded: a client that keeps knocking is not locked out longer."""
        now = self.clock()
        self._maybe_sweep(now)
        hits = self._hits.setdefault(key, deque())
        self._forget_before(hits, now - self.window)
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.window - now))
        hits.append(now)
        return None

    def __len__(self) -> int:
        """Keys currently tracked."""
        return len(self._hits)

    def _maybe_sweep(self, now: float) -> None:
        self._since_sweep += 1
        if self._since_sweep < _SWEEP_EVERY:
            return
        self._since_sweep = 0
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]

    @staticmethod
    def _forget_before(hits: deque[float], horizon: float) -> None:
        while hits and hits[0] <= horizon:
            hits.popleft()


def client_key(request: Request) -> str:
    """Who a request counts against: its IPv4 address, or its IPv6 /64 (one home or server is
    given a whole /64, and could otherwise take a fresh address for every request). Behind a
    reverse proxy uvicorn puts the X-Forwarded-For client here (see ``app.web``)."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def limited(limiter: SlidingWindowLimiter, endpoint: Endpoint, refuse: Callable[[int], Response]) -> Endpoint:
    """``endpoint`` behind ``limiter`` per client; over the limit, ``refuse(seconds to wait)``."""

    async def guarded(request: Request) -> Response:
        wait = limiter.hit(client_key(request))
        return refuse(wait) if wait is not None else await endpoint(request)

    return guarded


def mailbox_key(address: str) -> str:
    """The inbox an address reaches, for counting sign-ups: case-folded, without a ``+tag``
    (Gmail, Outlook, Fastmail and most others deliver ``victim+7@`` to ``victim@``), and for Gmail
    without dots and under one domain name. Over-merging two real mailboxes only makes them share
    a limit; under-merging lets one inbox be flooded, so the rules lean towards merging."""
    local, _, domain = address.casefold().rpartition("@")
    if not local:
        return address.casefold()
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), _DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"
