"""A report as Slack messages: the pure half of the Slack adapter (no I/O, no client).

``plan(report, subscription, archive_url=..., limits=...)`` returns the ordered messages of
``delivery.base``: a ``header`` for the day, then for each non-empty section the subscription
wants a parent ``section:<key>`` (heading and the item titles) and its thread replies
``section:<key>/part:<n>`` holding the items in order, packed into as few messages as the limits
allow. Each payload is ``chat.postMessage`` parameters without ``channel`` / ``thread_ts``:
Block Kit ``blocks``, a plain ``text`` fallback for notifications, and unfurling off.

With ``votes=True`` each item ends with an ``actions`` block of two buttons, 👍 and 👎, whose
values name the item (``core.platforms.votes``); the Slack bot records the presses
(``bot.slack_feedback``). The briefs, the insight and the reading list carry none.

Text from feeds is escaped for mrkdwn (``&``, ``<``, ``>``: nothing else is special to Slack's
parser, so ``<script>`` shows as text and ``<!channel>`` cannot ping anyone); links are real
``<url|label>`` links with the label escaped. Each item is one section block (split at
paragraph, line, then word boundaries when it passes 3,000 characters, never inside a link).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.models import (
    INSIGHT_SECTION,
    READING_SECTION,
    Brief,
    Item,
    ItemRef,
    Report,
    Subscription,
    VoteValue,
)
from core.platforms.slack_mrkdwn import DEFAULT_LIMITS, SLACK_ATOMS, SlackLimits, clip, escape, link
from core.platforms.text import pack, split_text
from core.platforms.votes import EMOJI, button_data, votable
from core.report.rendering.labels import Labels, labels_for
from delivery.base import OutgoingMessage


@dataclass(frozen=True, slots=True)
class _Chrome:
    counts: str  # .format(items=..., articles=..., topics=...)
    read_online: str
    threads_hint: str
    in_thread: str  # .format(items=...)
    in_thread_plain: str  # the same for the insight and the reading list, which have no items
    more: str  # .format(count=...)
    votes: tuple[str, str] = ("Useful", "Not useful")  # what a screen reader says for 👍 and 👎


_CHROME = {
    "zh-TW": _Chrome(
        counts="{items} 則重點，來自 {articles} 篇文章、{topics} 個主題",
        read_online="在網頁上閱讀完整報告",
        threads_hint="每個段落都有自己的討論串：點開即可閱讀各則內容與來源。",
        in_thread="{items} 則，完整內容在討論串中",
        in_thread_plain="完整內容在討論串中",
        more="…另有 {count} 則，見討論串",
        votes=("有幫助", "沒有幫助"),
    ),
    "en": _Chrome(
        counts="{items} stories from {articles} articles and {topics} topics",
        read_online="Read the full report on the web",
        threads_hint="Each section has its own thread: open it for the stories and their sources.",
        in_thread="{items} stories, in full in the thread",
        in_thread_plain="In full in the thread",
        more="…and {count} more in the thread",
    ),
}


def plan(
    report: Report,
    subscription: Subscription,
    *,
    archive_url: Callable[[date], str] | None = None,
    limits: SlackLimits = DEFAULT_LIMITS,
    votes: bool = False,
) -> list[OutgoingMessage]:
    """Every message of ``report`` for ``subscription``, parents before their replies; ``votes``:
    with 👍 / 👎 buttons under each item."""
    language = subscription.language or report.language
    labels, chrome = labels_for(language), _CHROME["en" if labels_for(language).language == "en" else "zh-TW"]
    url = archive_url(report.date) if archive_url else None
    messages = [_header(report, chrome, url, limits)]
    for key, heading, units in _sections(report, labels, report.date if votes else None):
        if units and subscription.wants(key):
            messages += _thread(key, heading, units, chrome, limits)
    return messages


# --- the header -------------------------------------------------------------------------------


def _header(report: Report, chrome: _Chrome, archive: str | None, limits: SlackLimits) -> OutgoingMessage:
    counts = chrome.counts.format(
        items=len(report.items), articles=report.articles_count, topics=report.topics_count
    )
    lines = [f"*{report.date.isoformat()}*  ·  {escape(counts)}"]
    if archive:
        lines.append(link(archive, chrome.read_online))
    if report.description.strip():
        lines.append("\n" + split_text(escape(report.description.strip()), 1000, atoms=SLACK_ATOMS)[0])
    blocks = [
        _header_block(report.title, limits),
        _section_block("\n".join(lines)),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(chrome.threads_hint)}]},
    ]
    return OutgoingMessage("header", None, _payload(escape(_dated_title(report)), blocks))


def _dated_title(report: Report) -> str:
    """The notification text: the title, with the date unless the title already carries it."""
    day = report.date
    if day.isoformat() in report.title or day.strftime("%Y/%m/%d") in report.title:
        return report.title
    return f"{report.title} — {day.isoformat()}"


# --- sections as (key, heading, units) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Unit:
    """One item (or insight part, or reading entry) as the mrkdwn of a reply, and its title."""

    title: str
    mrkdwn: str
    vote: ItemRef | None = None  # the item its 👍 / 👎 buttons name, when it has them


def _sections(report: Report, labels: Labels, votes_on: date | None) -> list[tuple[str, str, list[_Unit]]]:
    sections = [
        (
            s.key,
            labels.sections.get(s.key, s.heading),
            [_item_unit(n, i, labels, votes_on) for n, i in enumerate(s.items, 1)]
            + _brief_units(s.more, labels),
        )
        for s in report.sections
    ]
    sections.append((INSIGHT_SECTION.key, labels.insight_heading, _insight_units(report, labels)))
    sections.append((READING_SECTION.key, labels.reading_heading, _reading_units(report, labels)))
    return sections


def _item_unit(number: int, item: Item, labels: Labels, votes_on: date | None = None) -> _Unit:
    title = clip(" ".join(item.title.split()), 300)
    lines = [f"*{number}. {escape(title)}*", escape(item.summary.strip())]
    lines += _bullets(labels.details, item.details) + _bullets(labels.use_cases, item.use_cases)
    if entities := [escape(e) for e in item.entities if e.strip()]:
        lines.append(f"*{labels.entities}*{labels.colon}{labels.list_separator.join(entities)}")
    importance = labels.importance_name(item.importance)
    reason = f" — {escape(item.importance_reason.strip())}" if item.importance_reason.strip() else ""
    lines.append(f"*{labels.importance}*{labels.colon}{escape(importance)}{reason}")
    if item.sources:
        links = " · ".join(link(s.url, s.name) for s in item.sources)
        lines.append(f"*{labels.sources}*{labels.colon}{links}")
    if item.follow_up:
        note = labels.follow_up_text.format(
            date=f"{item.follow_up.date:%Y/%m/%d}", title=item.follow_up.title
        )
        lines.append(f"_{labels.follow_up}{labels.colon}{escape(note)}_")
    vote = ItemRef(votes_on, item.topic_key) if votes_on and votable(item) else None
    return _Unit(f"{number}. {title}", "\n".join(line for line in lines if line), vote)


BRIEFS_PER_REPLY = 10


def _brief_units(briefs: Sequence[Brief], labels: Labels) -> list[_Unit]:
    """The section's 更多報導 as replies of ten linked lines each (a reply's blocks have a size cap)."""
    heading = labels.more_stories.format(count=len(briefs))
    units = []
    for start in range(0, len(briefs), BRIEFS_PER_REPLY):
        lines = [_brief_line(b, labels) for b in briefs[start : start + BRIEFS_PER_REPLY]]
        units.append(_Unit(heading, "\n".join([f"*{heading}*", *lines] if start == 0 else lines)))
    return units


def _brief_line(brief: Brief, labels: Labels) -> str:
    title = clip(" ".join(brief.title.split()), 300)
    line = f"{labels.colon}{escape(brief.line.strip())}" if brief.line.strip() else ""
    return f"• {link(brief.url, title)}{line}"


def _bullets(label: str, texts: Sequence[str]) -> list[str]:
    lines = [f"• {escape(t.strip())}" for t in texts if t.strip()]
    return [f"*{label}*", *lines] if lines else []


def _insight_units(report: Report, labels: Labels) -> list[_Unit]:
    insight = report.insight
    parts = [
        (labels.trends, insight.trends),
        (labels.context, insight.context),
        (labels.outlook, insight.outlook),
    ]
    units = [
        _Unit(name, f"*{name}*\n" + "\n\n".join(escape(p) for p in texts)) for name, texts in parts if texts
    ]
    if insight.watchlist:
        lines = [f"{n}. {escape(entry)}" for n, entry in enumerate(insight.watchlist, 1)]
        units.append(_Unit(labels.watchlist, f"*{labels.watchlist}*\n" + "\n".join(lines)))
    return units


def _reading_units(report: Report, labels: Labels) -> list[_Unit]:
    reading = report.reading
    units = []
    for entry in reading.articles:
        note = f" — {escape(entry.note)}" if entry.note.strip() else ""
        units.append(_Unit(entry.title, f"• {link(entry.url, entry.title)}{note}"))
    if reading.background:
        lines = [f"• *{escape(term)}*{labels.colon}{escape(text)}" for term, text in reading.background]
        units.append(_Unit(labels.reading_background, f"*{labels.reading_background}*\n" + "\n".join(lines)))
    if reading.keywords:
        keywords = "  ".join(f"`{escape(k)}`" for k in reading.keywords)
        units.append(_Unit(labels.reading_keywords, f"*{labels.reading_keywords}*\n{keywords}"))
    return units


# --- a section's parent and its thread ---------------------------------------------------------


def _thread(
    key: str, heading: str, units: list[_Unit], chrome: _Chrome, limits: SlackLimits
) -> list[OutgoingMessage]:
    parent_key = f"section:{key}"
    messages = [OutgoingMessage(parent_key, key, _parent_payload(key, heading, units, chrome, limits))]
    for number, group in enumerate(_replies(units, chrome, limits), 1):
        titles = "\n".join(escape(title) for title, _ in group)
        blocks = [block for _, unit_blocks in group for block in unit_blocks]
        payload = _payload(_clip_mrkdwn(titles, limits.text_chars), blocks)
        messages.append(OutgoingMessage(f"{parent_key}/part:{number}", key, payload, parent=parent_key))
    return messages


def _parent_payload(
    key: str, heading: str, units: list[_Unit], chrome: _Chrome, limits: SlackLimits
) -> dict[str, Any]:
    budget = limits.max_chars - 500  # room for the header and the context line
    lines: list[str] = []
    for unit in units:
        line = escape(clip(unit.title, 300))
        if sum(len(x) + 1 for x in lines) + len(line) > budget:
            lines.append(escape(chrome.more.format(count=len(units) - len(lines))))
            break
        lines.append(line)
    texts = split_text("\n".join(lines), limits.section_chars, atoms=SLACK_ATOMS)
    counted = key not in (INSIGHT_SECTION.key, READING_SECTION.key)
    hint = escape(chrome.in_thread.format(items=len(units)) if counted else chrome.in_thread_plain)
    blocks = [_header_block(heading, limits), *map(_section_block, texts)]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": hint}]})
    return _payload(escape(f"{heading}: {hint}"), blocks)


# (fallback title, blocks) for each unit, then grouped into messages.
_Piece = tuple[str, list[dict[str, Any]]]


def _replies(units: list[_Unit], chrome: _Chrome, limits: SlackLimits) -> list[list[_Piece]]:
    pieces: list[_Piece] = []
    for unit in units:
        texts = split_text(unit.mrkdwn, limits.section_chars, atoms=SLACK_ATOMS)
        buttons = 1 if unit.vote else 0
        # An item too big for one message (very rare) travels in consecutive messages.
        chunks = pack(texts, lambda group, b=buttons: _fits(len(group) + b, sum(map(len, group)), limits))
        for n, chunk in enumerate(chunks, 1):
            blocks = [_section_block(text) for text in chunk]
            if unit.vote and n == len(chunks):  # the buttons follow the whole item
                blocks.append(_vote_block(unit.vote, chrome))
            pieces.append((unit.title, blocks))

    def fits(group: list[_Piece]) -> bool:
        blocks = [block for _, unit_blocks in group for block in unit_blocks]
        return _fits(len(blocks), sum(map(_chars, blocks)), limits)

    return pack(pieces, fits)


def _chars(block: dict[str, Any]) -> int:
    """The text a block shows: a section's mrkdwn, or its buttons' labels."""
    if block["type"] == "section":
        return len(block["text"]["text"])
    return sum(len(element["text"]["text"]) for element in block.get("elements", ()))


def _fits(blocks: int, chars: int, limits: SlackLimits) -> bool:
    return blocks <= limits.max_blocks and chars <= limits.max_chars


# --- Block Kit ---------------------------------------------------------------------------------


def _payload(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def _header_block(text: str, limits: SlackLimits) -> dict[str, Any]:
    # plain_text is not parsed, so it is not escaped; Slack caps a header at 150 characters.
    plain = clip(" ".join(text.split()), limits.header_chars)
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


def _vote_block(ref: ItemRef, chrome: _Chrome) -> dict[str, Any]:
    """👍 and 👎 for one item; the block id is the item's, so a message's ids differ."""
    buttons = [
        {
            "type": "button",
            "action_id": f"aidaily_vote_{value.value}",
            "text": {"type": "plain_text", "text": EMOJI[value], "emoji": True},
            "value": button_data(ref, value),
            "accessibility_label": label,
        }
        for value, label in zip(VoteValue, chrome.votes, strict=True)
    ]
    return {"type": "actions", "block_id": f"vote:{ref.date.isoformat()}:{ref.key}", "elements": buttons}


def _section_block(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _clip_mrkdwn(text: str, limit: int) -> str:
    """Like ``_clip``, for escaped text: never cuts an entity or a link."""
    pieces = split_text(text, limit - 1, atoms=SLACK_ATOMS)
    return pieces[0] + "…" if len(pieces) > 1 else text
