"""The Telegram Bot API's pace: per chat, per group and overall limits on one shared ``Pacer``.

Shared by the delivery adapter (``delivery.telegram``) and the bot (``bot.telegram_bot``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from core.platforms.pacing import Pacer, Rate

DEFAULT_API_URL = "https://api.telegram.org/bot"


class Pacing:
    """Telegram's limits on the shared :class:`~core.platforms.pacing.Pacer`: 1 message/s per chat,
    20/min per group or channel (FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP), 30/s overall.

    ``scale`` is real seconds per Telegram second: tests pass 0.01, so a group's minute passes
    in 0.6 s and a ``retry_after`` of 3 in 30 ms. ``clock`` and ``sleep`` are injectable too.
    """

    def __init__(
        self,
        scale: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.scale = scale
        self._overall = Pacer(Rate(30, 1.0 * scale), clock=clock, sleep=sleep)
        self._chat = Pacer(Rate(1, 1.0 * scale), clock=clock, sleep=sleep)
        self._group = Pacer(Rate(20, 60.0 * scale), clock=clock, sleep=sleep)

    async def wait(self, chat: str) -> None:
        """Wait until a message to ``chat`` is within every limit, and count it as sent now.

        The order matters. Each pacer counts a message when its own wait returns, so the one
        that may wait longest, the group's, goes last and counts the moment the message really
        leaves. Counted earlier (before the per-chat second), its window would let the 21st
        message out up to a second too soon."""
        await self._overall.wait("*")
        await self._chat.wait(chat)
        if is_group(chat):
            await self._group.wait(chat)

    def hold(self, seconds: float) -> None:
        """After flood control: nothing goes to any chat for ``seconds`` (Telegram's), as PTB's
        own AIORateLimiter does, since a 429 may come from the overall limit."""
        for pacer in (self._overall, self._chat, self._group):
            pacer.hold(seconds * self.scale)


def is_group(chat: str) -> bool:
    """Groups, supergroups and channels: negative ids or public @usernames (PTB's own rule)."""
    return chat.startswith(("-", "@"))
