"""One-line briefs of the stories past a section's cap (the section's 更多報導 list).

A reader is owed every on-topic story of the day, but a section of fifty papers is not read: the
editor keeps the strongest as items and the rest become briefs, a title, one sentence and a link.
Briefs are always written by the extractive writer, whatever writes the items: they cost no
model calls, and the model's budget goes to the stories a reader reads in full.
"""

from __future__ import annotations

import re

from core.models import Brief, EditedTopic
from core.report.writing.sentences import clip
from core.report.writing.summarize import extractive_item
from core.text import has_cjk, match_key

LINE_LIMIT = 120
# The first sentence of a summary, Chinese or English (a Chinese summary may go on with a quote).
_FIRST_SENTENCE = re.compile(r"^(.+?[。！？]|.+?[.!?](?=\s|$))")


def brief_of(edited: EditedTopic, *, language: str) -> Brief:
    item = extractive_item(edited, language=language)
    url = item.sources[0].url if item.sources else edited.topic.lead.url
    return Brief(item.title, _line(item.title, item.summary, language), url)


def _line(title: str, summary: str, language: str) -> str:
    """The summary's first sentence, unless it only says the title again or is in another language
    (a reader of a Chinese report gets a Chinese title alone rather than an English line)."""
    line = _first_sentence(summary)
    if match_key(line).startswith(match_key(title)) or match_key(title).startswith(match_key(line)):
        return ""
    if language.startswith("zh") and not has_cjk(line):
        return ""
    return clip(line, LINE_LIMIT)


def _first_sentence(summary: str) -> str:
    match = _FIRST_SENTENCE.match(summary.strip())
    return match.group(1) if match else summary.strip()
