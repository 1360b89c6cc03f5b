"""A bot ``Reply`` as a Slack message: Block Kit within Slack's limits, with a plain fallback.

The reply's text is plain (``bot.conversation``); here it becomes section blocks of escaped
mrkdwn (``delivery.slack_format.escape``: stored text can neither ping ``<!channel>`` nor forge
a link), split at paragraph, line, then word boundaries under 3,000 characters a block. When the
reply answers a question, the items it cites follow as real links (``<url|source>``) under their
titles, so a reader reaches the articles in one click. ``text`` carries the plain fallback that
notifications and screen readers use. A reply too long for one message (a pasted essay echoed
back, a very long item) is cut at a block boundary with a visible "…", never rejected by Slack.
"""

from __future__ import annotations

import re
from typing import Any

from bot.conversation import COMMANDS, Reply
from core.platforms.slack_mrkdwn import DEFAULT_LIMITS, SLACK_ATOMS, SlackLimits, escape, link
from core.platforms.text import split_text
from core.store.report_items import ReportedItem
from core.text import fold

#: Cited items listed under an answer; the answer text names the rest.
MAX_CITED = 5
_CUT = "…"
# The help text names commands as Telegram does ("/today"); in Slack they are "/aidaily today".
_COMMAND = re.compile(r"(?<![\w/])/(" + "|".join(name for name, _ in COMMANDS) + r")\b")


def reply_message(
    reply: Reply, *, command: str = "/aidaily", limits: SlackLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """``chat.postMessage`` / ``respond()`` parameters (without channel and thread) for ``reply``."""
    text = reply.text if reply.answer is not None else _COMMAND.sub(rf"{command} \1", reply.text)
    escaped = escape(text.strip() or _CUT)
    body = _pieces(escaped, limits.section_chars, limits.max_chars)
    cited = _citations(reply.answer.items if reply.answer else (), limits)
    blocks = [_section(t) for t in _fit(body, cited, limits)]
    blocks += [_section(t) for t in cited]
    fallback = _pieces(escaped, limits.text_chars - 1, limits.text_chars)
    fallback_text = fallback[0] + (_CUT if len(fallback) > 1 else "")
    return {"text": fallback_text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def _pieces(mrkdwn: str, limit: int, shown: int) -> list[str]:
    """``mrkdwn`` in pieces of at most ``limit``, enough to fill ``shown`` characters. Text far
    beyond what one message shows is dropped before splitting (splitting is not free), and the
    piece where it was dropped becomes the mark of the cut."""
    if len(mrkdwn) <= shown + limit:
        return split_text(mrkdwn, limit, atoms=SLACK_ATOMS)
    pieces = split_text(mrkdwn[: shown + limit], limit, atoms=SLACK_ATOMS)
    return [*pieces[:-1], _CUT]


def _fit(texts: list[str], cited: list[str], limits: SlackLimits) -> list[str]:
    """The leading blocks that fit in one message beside the citations; a cut is marked."""
    budget = limits.max_chars - sum(map(len, cited)) - len(_CUT)
    room = limits.max_blocks - len(cited) - 1  # one block kept for the mark
    kept: list[str] = []
    for text in texts:
        if len(kept) == room or sum(map(len, kept)) + len(text) > budget:
            return [*kept, _CUT]
        kept.append(text)
    return kept


def _citations(items: tuple[ReportedItem, ...], limits: SlackLimits) -> list[str]:
    """One line per cited item (its title, date and source links), packed into section blocks."""
    lines = [_cited_line(found) for found in _distinct(items)[:MAX_CITED]]
    lines = [line for line in lines if line]
    return split_text("\n".join(lines), limits.section_chars, atoms=SLACK_ATOMS) if lines else []


def _cited_line(found: ReportedItem) -> str:
    links = [link(source.url, source.name) for source in found.item.sources if source.valid]
    if not links:
        return ""
    title = escape(" ".join(found.item.title.split())[:200])
    return f"• *{title}* ({found.date.isoformat()}) — {' · '.join(links)}"


def _distinct(items: tuple[ReportedItem, ...]) -> list[ReportedItem]:
    """Items once each: the same story may be stored in two reports under the same title."""
    seen: set[str] = set()
    out = []
    for found in items:
        key = fold(found.item.title)
        if key not in seen:
            seen.add(key)
            out.append(found)
    return out


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}
