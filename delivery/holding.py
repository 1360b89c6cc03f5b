"""Holding a subscription while delivering to it, and riding out a ledger that fails for a while.

**One live run per subscription and day.** ``held(ledger, day, subscription, policy)`` claims
the subscription's day in the ledger before anything of it is read, and waits while another
run holds it: two ``aidaily deliver`` of one day at once (a cron run overlapping a manual one,
the service beside a manual run) serve each subscription one after the other, and the second
finds everything sent. While held, the claim is renewed every third of ``policy.lease``; a
holder that died stops renewing, and once its lease has run out the waiting run takes over and
resumes from the ledger. On leaving, the claim is released (or, if the ledger is away, left to
expire).

**A ledger that fails.** Every ledger call goes through ``use``: anything it raises becomes a
``LedgerFailure`` (the database is away, the claim was lost), which ``delivery.dispatch``
retries with ``Backoff`` for ``policy.retry`` seconds before the subscription is reported as
failed. Only ``DeliveryStopped`` (the service is stopping) passes through unretried.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from core.models import Subscription
from delivery.base import DeliveryStopped, Ledger

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LedgerPolicy:
    """How long claims last and how long a failing ledger is retried (seconds)."""

    lease: float = 30.0  # a claim nobody renews for this long is taken over
    retry: float = 30.0  # one subscription retries a failing ledger this long, then fails
    first_backoff: float = 0.5
    max_backoff: float = 8.0

    @property
    def renew_every(self) -> float:
        return self.lease / 3

    @property
    def poll(self) -> float:
        """How often a waiting run asks for the claim again."""
        return min(1.0, self.lease / 4)

    def backoff(self, budget: float | None = None) -> Backoff:
        return Backoff(self.retry if budget is None else budget, self.first_backoff, self.max_backoff)


class Backoff:
    """Doubling sleeps (``first``, 2x, 4x ... at most ``most``) within ``budget`` seconds in all."""

    def __init__(self, budget: float, first: float = 0.5, most: float = 8.0) -> None:
        self.left = budget
        self.delay = first
        self.most = most

    async def wait(self) -> bool:
        """Sleep before the next attempt; False (without sleeping) once the budget is spent."""
        if self.left <= 0:
            return False
        delay = min(self.delay, self.left)
        self.left -= delay
        self.delay = min(self.delay * 2, self.most)
        await asyncio.sleep(delay)
        return True


class LedgerFailure(Exception):
    """A ledger call failed; ``planned`` and ``sent`` say how far the attempt had come."""

    def __init__(self, cause: BaseException, *, planned: int = 0, sent: int = 0) -> None:
        super().__init__(f"{type(cause).__name__}: {cause}")
        self.cause = cause
        self.planned = planned
        self.sent = sent


async def answer(value: T | Awaitable[T]) -> T:
    """A ledger call's answer: given now (a sync ledger) or awaited (``ThreadedLedger``)."""
    return await value if inspect.isawaitable(value) else value  # type: ignore[return-value]


async def use(call: Callable[[], T | Awaitable[T]]) -> T:
    """``call()`` (one ledger call), its failures as ``LedgerFailure``."""
    try:
        return await answer(call())
    except DeliveryStopped:
        raise
    except Exception as exc:
        raise LedgerFailure(exc) from exc


@asynccontextmanager
async def held(
    ledger: Ledger, day: date, subscription: Subscription, policy: LedgerPolicy
) -> AsyncIterator[None]:
    """Hold the subscription's claim for ``day`` for the duration; see the module docstring."""
    await _acquire(ledger, day, subscription, policy)
    renewing = asyncio.create_task(_renew(ledger, day, subscription, policy))
    try:
        yield
    finally:
        renewing.cancel()
        with suppress(asyncio.CancelledError):
            await renewing
        await _release(ledger, day, subscription)


async def _acquire(ledger: Ledger, day: date, subscription: Subscription, policy: LedgerPolicy) -> None:
    waited = False
    while not await use(lambda: ledger.claim(day, subscription, lease=policy.lease)):
        if not waited:
            # Not an error: its holder is delivering it now, or died and its lease runs out soon.
            log.info("%s: another delivery run holds %s; waiting for it", subscription.target, day)
            waited = True
        await asyncio.sleep(policy.poll)


async def _renew(ledger: Ledger, day: date, subscription: Subscription, policy: LedgerPolicy) -> None:
    while True:
        await asyncio.sleep(policy.renew_every)
        try:
            if not await answer(ledger.claim(day, subscription, lease=policy.lease)):
                # Taken over: the ledger refuses this run's next begin, so nothing more is sent.
                log.warning("%s: the claim on %s was taken over by another run", subscription.target, day)
                return
        except Exception as exc:  # the ledger is away: the next renewal may reach it
            log.warning("%s: could not renew the claim on %s: %s", subscription.target, day, exc)


async def _release(ledger: Ledger, day: date, subscription: Subscription) -> None:
    try:
        await answer(ledger.release(day, subscription))
    except Exception as exc:  # it expires by itself; until then another run waits for it
        log.warning("%s: claim on %s left to expire: %s", subscription.target, day, exc)
