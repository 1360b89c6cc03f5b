"""The Slack bot's 👍 / 👎: the buttons under each delivered item (``delivery.slack_format``).

A press arrives as a ``block_actions`` interaction (over Socket Mode, or signed to
``/slack/events``: bolt checks the signature and its age before anything here runs). It is
acknowledged at once, recorded in a worker thread (``bot.feedback.press``) for the reader
``TEAM:USER``, and answered with an ephemeral message through the interaction's response URL:
only the one who pressed sees it, and the digest itself is not changed (one channel's readers
each have their own vote). A press Slack delivers again (a lost acknowledgement) carries the same
``trigger_id`` and counts once, unanswered the second time.

The app needs Interactivity turned on ("Interactivity & Shortcuts"; in HTTP mode with the
request URL ``{AIDAILY_PUBLIC_URL}/slack/events``), as ``deploy/slack-app-manifest.json`` has it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.feedback import Ballot, press
from core.models import Channel, VoteOutcome

log = logging.getLogger(__name__)

#: The action ids of the two buttons (``delivery.slack_format``).
VOTE_ACTIONS = re.compile(r"^aidaily_vote_(up|down)$")


def register_votes(app: AsyncApp, ballot: Ballot) -> None:
    """Record the presses of the vote buttons in ``ballot``."""

    async def on_vote(ack: Callable[..., Any], body: dict[str, Any], respond: Callable[..., Any]) -> None:
        await ack()
        user = body.get("user") or {}
        team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
        actions = body.get("actions") or [{}]
        reader, event = f"{team}:{user.get('id', '')}", body.get("trigger_id") or actions[0].get("action_ts")
        if not user.get("id"):
            return
        outcome, line = await asyncio.to_thread(
            press, ballot, Channel.SLACK, reader, actions[0].get("value"), event=event
        )
        if outcome is VoteOutcome.REPLAYED:
            return  # the first delivery of this press was answered
        if body.get("response_url"):
            await respond(text=line, response_type="ephemeral", replace_original=False)

    app.action(VOTE_ACTIONS)(on_vote)
