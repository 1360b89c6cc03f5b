"""Telegram HTML: escaping, links, and measuring a message against Telegram's limits.

**Limits.** Telegram counts a message's length in UTF-16 code units of the text *after* entity
parsing (tags removed, ``&lt;`` read as one ``<``): at most 4096. Two further limits are not in
the Bot API documentation but are real (tdlib/telegram-bot-api issues #165 and #820): formatting
past the 100th entity of a message is silently dropped (a lost link!), and a message whose
entities are too large as a whole is refused with ``Entities_too_long``; :class:`Limits` keeps
under both with margin (at most 100 tags, at most 8192 characters of HTML source).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from core.platforms.text import utf16_len
from core.report.rendering.markdown import link_target
from core.report.writing.items import clean_text

ELLIPSIS = "…"
_LINK_LABEL_UNITS = 120  # a link is never split, so its label must stay short


@dataclass(frozen=True, slots=True)
class Limits:
    """What one message may hold. Tests pass smaller values to exercise splitting."""

    text: int = 4096  # UTF-16 code units after entity parsing (MessageLimit.MAX_TEXT_LENGTH)
    entities: int = 100  # formatting past the 100th entity is dropped by Telegram
    source: int = 8192  # characters of HTML; well under the ~9500 where Entities_too_long starts


LIMITS = Limits()


def escape(text: str) -> str:
    """Feed text safe in Telegram HTML: one line, ``&``, ``<`` and ``>`` as entities."""
    return html.escape(clean_text(text), quote=False)


def link(label: str, url: str) -> str:
    """``<a href>`` for an http(s) URL; the escaped label alone for anything else."""
    text = truncate(clean_text(label), _LINK_LABEL_UNITS) or "link"
    target = link_target(url)
    if target is None:
        return escape(text)
    return f'<a href="{html.escape(target, quote=True)}">{escape(text)}</a>'


def bold(text_html: str) -> str:
    return f"<b>{text_html}</b>" if text_html else ""


_TAG = re.compile(r"<[^>]*>")
_OPENING_TAG = re.compile(r"<[^/>][^>]*>")


def visible_text(message_html: str) -> str:
    """The text Telegram shows for ``message_html`` (our own HTML: tags removed, unescaped)."""
    return html.unescape(_TAG.sub("", message_html))


@dataclass(frozen=True, slots=True)
class Size:
    units: int
    entities: int
    source: int

    def fits(self, limits: Limits) -> bool:
        return self.units <= limits.text and self.entities <= limits.entities and self.source <= limits.source


def entity_count(message_html: str) -> int:
    """The entities Telegram counts in ``message_html``: one per opening tag."""
    return len(_OPENING_TAG.findall(message_html))


def measure(message_html: str) -> Size:
    return Size(utf16_len(visible_text(message_html)), entity_count(message_html), len(message_html))


def fits(message_html: str, limits: Limits = LIMITS) -> bool:
    return measure(message_html).fits(limits)


def truncate(text: str, units: int) -> str:
    """Plain ``text`` cut to at most ``units`` UTF-16 units, with an ellipsis when cut."""
    if utf16_len(text) <= units:
        return text
    out, used = [], utf16_len(ELLIPSIS)
    for cluster in CLUSTER.findall(text):
        used += utf16_len(cluster)
        if used > units:
            break
        out.append(cluster)
    return "".join(out).rstrip() + ELLIPSIS


# One user-perceived character, roughly: a code point with its combining marks, variation
# selectors, skin tones and zero-width-joined followers (so an emoji family is never cut).
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
CLUSTER = re.compile(rf"(?:\u200d|.)[{_MARKS}]*(?:\u200d.[{_MARKS}]*)*", re.S)
