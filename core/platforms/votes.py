"""The 👍 / 👎 under delivered items: what a button carries, for delivery (which draws the buttons)
and the bots and the site (which read the presses).

A button's data is ``vote:<up|down>:<YYYY-MM-DD>:<topic key>`` (``button_data``): the item as
``ItemRef`` names it, at most 64 bytes, Telegram's limit on ``callback_data``. ``read_button``
reads it back, or says None for anything else: the data of a press is the client's to send,
so it is parsed strictly (a hostile or stale press names no item, or an item the store then
does not know, and nothing is recorded).
"""

from __future__ import annotations

import re
from datetime import date

from core.models import Item, ItemRef, VoteValue

EMOJI = {VoteValue.UP: "👍", VoteValue.DOWN: "👎"}
#: Topic keys are 12 hex digits (``core.report.editing.cluster.topic_key``); this leaves room.
ITEM_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")
_DATA = re.compile(r"vote:(up|down):(\d{4}-\d{2}-\d{2}):(" + ITEM_KEY.pattern + ")")


def votable(item: Item) -> bool:
    """Whether ``item`` can carry buttons: its key fits a button's data."""
    return ITEM_KEY.fullmatch(item.topic_key) is not None


def button_data(ref: ItemRef, value: VoteValue) -> str:
    return f"vote:{value.value}:{ref.date.isoformat()}:{ref.key}"


def read_button(data: object) -> tuple[ItemRef, VoteValue] | None:
    """The item and vote ``data`` names, or None when it is not a button of ours."""
    match = _DATA.fullmatch(data) if isinstance(data, str) else None
    if match is None:
        return None
    day = read_day(match.group(2))
    return (ItemRef(day, match.group(3)), VoteValue(match.group(1))) if day else None


def read_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        return None
