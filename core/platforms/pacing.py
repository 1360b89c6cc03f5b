"""Pacing sends to a platform's rate limits, so that a delivery meets no 429 in steady state.

``Pacer(Rate(count, period))`` lets at most ``count`` sends per ``period`` seconds through for
each key (a Slack channel, a Telegram chat), as a sliding window: ``Rate(1, 1.0)`` spaces sends
one second apart; ``Rate(20, 60.0)`` allows a burst of twenty, then one more each time the
oldest leaves the window. ``await pacer.wait(key)`` returns when a send may start, and counts it.

``pacer.hold(seconds)`` is for a 429's Retry-After: no key sends before it has passed, and each
key's window restarts from then (the retried request is itself a send, for some key we may not
know). ``await pacer.wait_hold()`` sleeps until the hold is over.

``after_answer`` adds a second rule for platforms that measure spacing where requests arrive
(Slack): the next send for a key also waits that long after the previous one was answered
(``pacer.answered(key)``). A request held up on its way (a new connection, a busy event loop)
arrives late; paced only from send times, the one after it would arrive too soon.

The clock and the sleep are injected, so tests run on scaled-down rates or a fake clock.
Keys are independent; combine two pacers (``await chat.wait(k); await group.wait(k)``) for two
limits on one key.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    period: float  # seconds

    @property
    def interval(self) -> float:
        """The average spacing between sends in steady state."""
        return self.period / self.count


class Pacer:
    """See the module docstring."""

    def __init__(
        self,
        rate: Rate,
        *,
        after_answer: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        self._after_answer = after_answer
        self._answered: dict[str, float] = {}
        self._hold_until = float("-inf")

    async def wait(self, key: str) -> None:
        """Wait until ``key`` may send, and count the send."""
        window = self._sent.setdefault(key, deque(maxlen=self.rate.count))
        while (delay := self._next_free(key, window) - self._clock()) > 0:
            await self._sleep(delay)
        window.append(self._clock())

    def answered(self, key: str) -> None:
        """The send for ``key`` has its answer (or failed): see ``after_answer``."""
        self._answered[key] = self._clock()

    def hold(self, seconds: float) -> None:
        """Nothing is sent for ``seconds``; then every key starts a fresh window."""
        until = self._clock() + max(seconds, 0.0)
        self._hold_until = max(self._hold_until, until)
        for window in self._sent.values():
            window.append(self._hold_until)

    async def wait_hold(self) -> None:
        while (delay := self._hold_until - self._clock()) > 0:
            await self._sleep(delay)

    def _next_free(self, key: str, window: deque[float]) -> float:
        free = max(self._hold_until, self._answered.get(key, float("-inf")) + self._after_answer)
        if len(window) == self.rate.count:
            free = max(free, window[0] + self.rate.period)
        return free


def unpaced() -> Pacer:
    """A pacer that never waits: for dry runs, which reach no platform."""
    return Pacer(Rate(1_000_000_000, 1e-9))
