"""A chat bot :class:`~bot.conversation.Reply` as Telegram HTML messages.

The reply is plain text; here it becomes what Telegram shows: every line escaped (stored item text
is data, so ``<b>`` or "ignore previous instructions" arrive as the characters typed), the source
URLs of the items the answer cites turned into ``<a href>`` links labelled with the source's name
("OpenAI https://openai.com/…" reads "OpenAI", linked), and the cited sources the text does not
show listed at the end. The paragraphs are packed into as few messages as Telegram's limits allow
(4096 UTF-16 units after parsing, 100 entities) by the delivery's own splitter, so a long answer
is several messages, never a refused one. Only URLs of cited items become links: a URL quoted in
some stored text stays text (Telegram may still show it as a plain URL).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.answer import language_of
from bot.conversation import Reply
from core.platforms.telegram_html import LIMITS, Limits, bold, escape, link
from core.platforms.telegram_split import pack

_SOURCES = {"en": "Sources:", "zh": "來源："}
_NOTHING = "…"  # Telegram refuses an empty message; a reply with no text shows this


def render_reply(reply: Reply, limits: Limits = LIMITS) -> list[str]:
    """The HTML messages of ``reply``, in order, each within ``limits``."""
    sources = cited_sources(reply)
    blocks = [_paragraph(p, sources) for p in re.split(r"\n\s*\n", reply.text.strip())]
    unshown = {url: name for url, name in sources.items() if url not in reply.text}
    if unshown:
        blocks.append(_sources_block(unshown, language_of(reply.text)))
    return pack([b for b in blocks if b], limits) or [escape(_NOTHING)]


def cited_sources(reply: Reply) -> dict[str, str]:
    """URL -> source name of every valid source of the items the reply cites, in citation order."""
    items = reply.answer.items if reply.answer is not None else ()
    sources: dict[str, str] = {}
    for found in items:
        for source in found.item.sources:
            if source.valid:
                sources.setdefault(source.url, source.name)
    return sources


def _paragraph(text: str, sources: dict[str, str]) -> str:
    return "\n".join(_line(line, sources) for line in text.split("\n"))


def _line(line: str, sources: dict[str, str]) -> str:
    """One line escaped, with each cited URL (and the source name just before it) as a link."""
    pattern = _url_pattern(sources)
    if pattern is None:
        return escape(line)
    out, position = [], 0
    for match in pattern.finditer(line):
        url = match.group()
        before = line[position : match.start()]
        name = sources[url]
        before = before.removesuffix(f"{name} ") if before.endswith(f"{name} ") else before
        out += [_escaped_keeping_edges(before), link(name, url)]
        position = match.end()
    out.append(_escaped_keeping_edges(line[position:]))
    return "".join(out)


def _url_pattern(sources: Iterable[str]) -> re.Pattern[str] | None:
    urls = sorted(sources, key=len, reverse=True)  # the longest first: one URL may prefix another
    return re.compile("|".join(map(re.escape, urls))) if urls else None


def _escaped_keeping_edges(text: str) -> str:
    """``escape`` trims the text; beside a link, its edge spaces are part of the line."""
    if not text:
        return ""
    lead = " " if text[0].isspace() else ""
    tail = " " if text[-1].isspace() and text.strip() else ""
    return f"{lead}{escape(text)}{tail}"


def _sources_block(sources: dict[str, str], language: str) -> str:
    lines = [bold(escape(_SOURCES[language]))]
    lines += [f"• {link(name, url)}" for url, name in sources.items()]
    return "\n".join(lines)
