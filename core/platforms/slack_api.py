"""Slack's Web API pace: one message a second per channel, and retrying a 429 after Retry-After.

Shared by the delivery adapter (``delivery.slack``) and the bot (``bot.slack_bot``), whose
replies go through the same ``Pacer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from core.platforms.pacing import Pacer, Rate

#: Slack's guidance for chat.postMessage: about one message per second per channel.
SLACK_RATE = Rate(1, 1.0)


def slack_pacer(seconds: float = SLACK_RATE.period) -> Pacer:
    """One message per ``seconds`` per channel, as Slack measures it: also at least 90% of that
    after the previous message's answer, so a request delayed on its way does not bring the next
    one too close behind it."""
    return Pacer(Rate(1, seconds), after_answer=0.9 * seconds)


class RetryAfterHandler(AsyncRetryHandler):
    """Retries a 429 once its Retry-After has passed. The wait goes through the pacer, so that no
    other send slips in before the retry and every channel restarts its spacing after it.
    Retry-After may be fractional (our test fakes scale time down); Slack sends whole seconds."""

    def __init__(self, pacer: Pacer, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self.pacer.hold(retry_after(response.headers if response else {}))
        await self.pacer.wait_hold()
        state.next_attempt_requested = True
        state.increment_current_attempt()


def retry_after(headers: Mapping[str, Any], default: float = 1.0) -> float:
    """Seconds from a Retry-After header (values may be lists, as slack_sdk keeps them)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(float(text), 0.0)
            except (TypeError, ValueError):
                return default
    return default
