"""The answers the LLM writer accepts, and how they become our values.

The pydantic models are the answer shapes (sent as a strict JSON schema with each request and
validated here, never trusted as parsed by a server). ``item_from_answer`` and
``overview_from_answer`` turn a checked answer into an ``Item`` or ``Overview``: the model's words,
with everything else attached by our code (sources, entities, importance via ``assemble_item``;
reading links resolved from the numbers the model picked). ``item_sources`` and
``overview_sources`` are the texts an answer may draw its names and figures from
(``core.report.writing.faithful``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from core.models import EditedTopic, Insight, Item, Overview, Reading, ReadingLink, SourceLink
from core.report.rendering.labels import labels_for
from core.report.writing.items import assemble_item, clean_text, to_report_script
from core.report.writing.prompts import TITLE_PATTERN, overview_links
from core.report.writing.sentences import clip
from core.report.writing.summarize import MAX_DETAILS, MAX_USE_CASES
from core.text import has_cjk

TITLE_LIMIT = 160
SUMMARY_LIMIT = 700  # an LLM summary is two or three whole sentences: room so none is cut
BULLET_LIMIT = 300
MAX_READING = 5


class _Answer(BaseModel):
    # Servers that add keys are tolerated; missing or mistyped keys fail validation.
    model_config = ConfigDict(extra="ignore")


class ItemAnswer(_Answer):
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    details: list[str]
    use_cases: list[str]
    importance_reason: str

    def texts(self) -> list[str]:
        """Every text the model wrote, for the faithfulness check."""
        return [self.title, self.summary, *self.details, *self.use_cases, self.importance_reason]


class ReadingPick(_Answer):
    link: int  # a number of the prompt's <link> elements
    note: str


class BackgroundTerm(_Answer):
    term: str
    explanation: str


class OverviewAnswer(_Answer):
    title: str = Field(min_length=1)
    description: str
    summary: str
    tags: list[str]
    trends: list[str]
    context: list[str]
    outlook: list[str]
    watchlist: list[str]
    reading: list[ReadingPick]
    background: list[BackgroundTerm]
    keywords: list[str]

    def texts(self) -> list[str]:
        """Every text the model wrote, for the faithfulness check."""
        parts = [self.title, self.description, self.summary, *self.tags, *self.trends, *self.context]
        parts += [*self.outlook, *self.watchlist, *(p.note for p in self.reading), *self.keywords]
        return parts + [text for b in self.background for text in (b.term, b.explanation)]


# --- the sources an answer may draw on ------------------------------------------------------


def item_sources(edited: EditedTopic, language: str) -> list[str]:
    """The articles (all of them, not only those in the prompt) and what our editor told the model."""
    texts = [t for a in edited.topic.articles for t in (a.source, a.title, a.summary)]
    return [*texts, *edited.entities, edited.reason, edited.section, _labels(edited, language)]


def _labels(edited: EditedTopic, language: str) -> str:
    labels = labels_for(language)
    return f"{labels.sections.get(edited.section, '')} {labels.importance_name(edited.importance)}"


def overview_sources(items: Iterable[Item], day: date, articles_count: int) -> list[str]:
    """The finished items, their source names, the date, the article count and the title pattern."""
    texts = [f"{day.isoformat()} {day:%Y/%m/%d} {articles_count}", *TITLE_PATTERN.values()]
    for item in items:
        texts += [item.title, item.summary, *item.details, *item.use_cases, *item.entities]
        texts += [item.importance_reason, *(s.name for s in item.sources)]
    return texts


# --- answers into our values ------------------------------------------------------------------


def item_from_answer(edited: EditedTopic, answer: ItemAnswer, language: str) -> Item:
    reason = answer.importance_reason.strip() or edited.reason
    return assemble_item(
        dataclasses.replace(edited, reason=reason),
        title=clip(answer.title, TITLE_LIMIT),
        summary=clip(answer.summary, SUMMARY_LIMIT),
        details=[clip(d, BULLET_LIMIT) for d in answer.details[:MAX_DETAILS]],
        use_cases=[clip(u, BULLET_LIMIT) for u in answer.use_cases[:MAX_USE_CASES]],
        writer="llm",
        language=language,
    )


def overview_from_answer(
    answer: OverviewAnswer, base: Overview, items: Sequence[Item], language: str
) -> Overview:
    """The model's overview; any part it left empty is taken from the extractive one."""

    def tidy(text: str) -> str:
        return to_report_script(clean_text(text), language)

    def texts(values: Iterable[str], fallback: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(t for t in map(tidy, values) if t) or fallback

    background = tuple((tidy(b.term), tidy(b.explanation)) for b in answer.background if tidy(b.term))
    return Overview(
        title=tidy(answer.title) or base.title,
        description=tidy(answer.description) or base.description,
        summary=tidy(answer.summary) or base.summary,
        tags=texts(answer.tags, base.tags)[:8],
        insight=Insight(
            trends=texts(answer.trends, base.insight.trends),
            context=texts(answer.context, base.insight.context),
            outlook=texts(answer.outlook, base.insight.outlook),
            watchlist=texts(answer.watchlist, base.insight.watchlist),
        ),
        reading=Reading(
            articles=_reading(answer.reading, items, tidy) or base.reading.articles,
            background=background or base.reading.background,
            keywords=texts(answer.keywords, base.reading.keywords)[:15],
        ),
    )


def _reading(
    picks: Sequence[ReadingPick], items: Sequence[Item], tidy: Callable[[str], str]
) -> tuple[ReadingLink, ...]:
    """The picked links, by number: a number that names no link is dropped, never guessed."""
    links = overview_links(items)
    out: dict[str, ReadingLink] = {}
    for pick in picks:
        if 1 <= pick.link <= len(links) and len(out) < MAX_READING:
            item, link = links[pick.link - 1]
            out.setdefault(link.url, ReadingLink(_link_title(item, link), link.url, tidy(pick.note)))
    return tuple(out.values())


def _link_title(item: Item, link: SourceLink) -> str:
    """The item's title, naming the source when the link is not the item's first."""
    if item.sources and item.sources[0].url == link.url:
        return item.title
    return f"{item.title}（{link.name}）" if has_cjk(item.title) else f"{item.title} ({link.name})"
