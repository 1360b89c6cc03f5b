"""What the bots do with a press of 👍 or 👎, the same in Slack and Telegram.

The Slack and Telegram bots (``bot.slack_feedback``, ``bot.telegram_feedback``) only read the
press: its button data (``core.platforms.votes``), who pressed (the reader) and the platform's id
of the press (so a redelivered press counts once). ``press`` records it through a ``Ballot``
(the store) and says, in one short line, what became of it; only the one who pressed sees that
line (an ephemeral message in Slack, a toast in Telegram).

Pressing the other button changes a vote, pressing the same one again withdraws it, as
reactions do in both apps. Votes feed the editor's ranking of later days
(``core.report.editing.taste``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from core.models import Channel, Vote, VoteOutcome, VoteReceipt, VoteValue
from core.platforms.votes import EMOJI, read_button
from core.text import has_cjk, shorten

log = logging.getLogger(__name__)

#: A title quoted in a reply: Telegram shows at most 200 characters in a callback's answer.
TITLE_CHARS = 80

_SAID = {
    "en": {
        VoteValue.UP: "{emoji} Thanks: “{title}” was useful to you. Stories like it will rank higher.",
        VoteValue.DOWN: "{emoji} Noted: “{title}” was not useful to you. Stories like it will rank lower.",
        VoteOutcome.CLEARED: "Your vote on “{title}” is withdrawn.",
        VoteOutcome.REPLAYED: "That press was counted already.",
        VoteOutcome.UNKNOWN_ITEM: "That story is no longer in the reports; nothing was recorded.",
        "failed": "Sorry, your vote could not be recorded; please try again in a minute.",
    },
    "zh": {
        VoteValue.UP: "{emoji} 謝謝！已記下「{title}」對您有幫助，之後會優先呈現類似的新聞。",
        VoteValue.DOWN: "{emoji} 已記下「{title}」對您沒有幫助，之後類似的新聞會排在後面。",
        VoteOutcome.CLEARED: "已取消您對「{title}」的評價。",
        VoteOutcome.REPLAYED: "這次點擊已經記錄過了。",
        VoteOutcome.UNKNOWN_ITEM: "這則新聞已不在報告中，沒有記錄任何評價。",
        "failed": "抱歉，評價未能記錄，請稍後再試。",
    },
}


class Ballot(Protocol):
    """Where votes go: ``core.store.Store``."""

    def record_vote(self, vote: Vote, now: datetime) -> VoteReceipt: ...


def press(
    ballot: Ballot,
    channel: Channel,
    reader: str,
    data: object,
    *,
    event: str | None,
    language: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[VoteOutcome | None, str]:
    """Record the press of the button with ``data`` by ``reader``; (what it did, the line to show).
    Blocking (the store): the bots call it in a worker thread. The outcome is None when the vote
    could not be recorded (a store failure, logged)."""
    parsed = read_button(data)
    if parsed is None:
        return VoteOutcome.UNKNOWN_ITEM, said(VoteReceipt(VoteOutcome.UNKNOWN_ITEM), language)
    ref, value = parsed
    try:
        receipt = ballot.record_vote(Vote(ref, channel, reader, value, event=event), clock())
    except Exception:
        log.exception("could not record a %s vote on %s %s", channel.value, ref.date, ref.key)
        return None, _SAID[_language(language, "")]["failed"]
    return receipt.outcome, said(receipt, language)


def said(receipt: VoteReceipt, language: str | None = None) -> str:
    """The line that tells the reader what their press did, in ``language`` ("zh" or "en"; by
    default the title's)."""
    words = _SAID[_language(language, receipt.title)]
    title = shorten(" ".join(receipt.title.split()), TITLE_CHARS)
    if receipt.outcome in (VoteOutcome.RECORDED, VoteOutcome.CHANGED, VoteOutcome.UNCHANGED):
        value = receipt.value or VoteValue.UP
        return words[value].format(emoji=EMOJI[value], title=title)
    return words[receipt.outcome].format(title=title)


def _language(language: str | None, title: str) -> str:
    if language in _SAID:
        return language
    return "zh" if has_cjk(title) else "en"
