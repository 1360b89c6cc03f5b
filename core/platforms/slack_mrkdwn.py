"""Slack's mrkdwn: what is special in it, how a link is written, and how much one message holds.

Shared by the delivery adapter (``delivery.slack_format``) and the bot's replies
(``bot.slack_reply``): text from feeds is escaped for mrkdwn (``&``, ``<``, ``>``: nothing else
is special to Slack's parser, so ``<script>`` shows as text and ``<!channel>`` cannot ping
anyone); links are real ``<url|label>`` links with the label escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What must never be cut when a block is split: a link and an escaped character.
SLACK_ATOMS = re.compile(r"<[^<>\n]*>|&(?:amp|lt|gt);")


_LABEL_CHARS = 200  # a link label longer than this is clipped
_URL_CHARS = 2000  # a longer URL is shown as text, not linked (it could not be split safely)


@dataclass(frozen=True, slots=True)
class SlackLimits:
    """What one message may hold. Slack's hard limits are 50 blocks, 3,000 characters per section
    block and 150 per header; whole payloads fail near 12k characters (msg_blocks_too_long), so
    messages stay well under that."""

    max_blocks: int = 20
    max_chars: int = 8000  # all block text of one message
    section_chars: int = 3000
    header_chars: int = 150
    text_chars: int = 3000  # the notification fallback


DEFAULT_LIMITS = SlackLimits()


def escape(text: str) -> str:
    """Text for mrkdwn: Slack's three control characters as entities, nothing else changed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """A real mrkdwn link; the label alone (escaped) when ``url`` is not a usable http(s) URL."""
    label = escape(clip(" ".join(label.split()) or url, _LABEL_CHARS)).replace("|", "¦")
    if not re.match(r"https?://[^\s]+$", url) or len(url) > _URL_CHARS:
        return label
    # Inside <...> the URL must not carry the delimiters; & is escaped like everywhere else.
    safe = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace("&", "&amp;")
    return f"<{safe}|{label}>"


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
