"""The pacer spaces sends per key, honours holds, and runs on a fake clock."""

from __future__ import annotations

import asyncio

from core.platforms.pacing import Pacer, Rate, unpaced


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _times(pacer: Pacer, clock: FakeClock, keys: list[str]) -> list[float]:
    async def run() -> list[float]:
        times = []
        for key in keys:
            await pacer.wait(key)
            times.append(round(clock.now - 100.0, 6))
        return times

    return asyncio.run(run())


def test_one_per_second_per_key():
    clock = FakeClock()
    pacer = Pacer(Rate(1, 1.0), clock=clock, sleep=clock.sleep)
    assert _times(pacer, clock, ["a", "a", "a"]) == [0.0, 1.0, 2.0]


def test_keys_are_independent():
    clock = FakeClock()
    pacer = Pacer(Rate(1, 1.0), clock=clock, sleep=clock.sleep)
    assert _times(pacer, clock, ["a", "b", "a", "b"]) == [0.0, 0.0, 1.0, 1.0]


def test_a_window_allows_a_burst_then_spaces():
    clock = FakeClock()
    pacer = Pacer(Rate(3, 60.0), clock=clock, sleep=clock.sleep)
    assert _times(pacer, clock, ["g"] * 5) == [0.0, 0.0, 0.0, 60.0, 60.0]


def test_a_hold_stops_every_key_and_restarts_their_windows():
    clock = FakeClock()
    pacer = Pacer(Rate(1, 1.0), clock=clock, sleep=clock.sleep)
    _times(pacer, clock, ["a"])
    pacer.hold(5.0)
    asyncio.run(pacer.wait_hold())
    assert clock.now == 105.0
    # The retried request went out at 105 for some key: every key waits a full interval after it.
    assert _times(pacer, clock, ["a", "b"]) == [6.0, 6.0]


def test_unpaced_never_waits():
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = unpaced()
    pacer._sleep = sleep  # dry runs reach no platform: nothing to wait for

    async def run() -> None:
        for _ in range(1000):
            await pacer.wait("a")

    asyncio.run(run())
    assert slept == []


def test_after_answer_keeps_a_late_request_from_bringing_the_next_too_close():
    clock = FakeClock()
    pacer = Pacer(Rate(1, 1.0), after_answer=0.9, clock=clock, sleep=clock.sleep)

    async def run() -> list[float]:
        times = []
        for latency in (0.5, 0.01, 0.01):
            await pacer.wait("a")
            times.append(round(clock.now - 100.0, 6))
            await clock.sleep(latency)  # the request travels, then is answered
            pacer.answered("a")
        return times

    # The first answer came at 0.5: the next send waits until 0.5 + 0.9, not just until 1.0.
    assert asyncio.run(run()) == [0.0, 1.4, 2.4]
