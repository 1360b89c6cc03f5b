"""A weekly digest: the week's strongest stories from its daily reports, each story once.

``weekly_digest(reports, end=..., per_section=5, day_page=...)`` is pure. It reads the daily
reports of the seven days ending ``end`` and returns one ``Report`` (``cadence=WEEKLY``, dated
``end``) that every channel adapter renders as it renders a day's report:

- **One item per story.** A story told on several days (a follow-up, the same article, the same
  topic, the same headline) is one story: its items are joined through ``follow_up`` (the date
  and title of what it continues), shared article URLs, the topic key and the folded title,
  and the strongest of them stands for it.
- **The strongest stories.** Items are ranked by importance (極高 first), then by how many
  outlets told them, then the later day (it knows more), then their order in their report;
  each section keeps its best ``per_section``, in the section of the item kept.
- **Links to the daily reports.** With ``day_page`` (the web archive's page of a day), each
  item's sources end with a link to the daily report it comes from.

The editor's insight and the reading list are the days' own and are not carried over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from core.models import ITEM_SECTIONS, Cadence, Insight, Item, Reading, Report, Section, SourceLink
from core.text import match_key

DAYS = 7
_WORDS = {
    "zh-TW": {
        "title": "AI 週報：{start:%Y/%m/%d}–{end:%Y/%m/%d}",
        "about": "本週 {days} 份日報中最重要的 {items} 則新聞，每則只列一次，依段落排列。",
        "daily": "AI 日報 {day}",
    },
    "en": {
        "title": "AI Weekly: {start:%Y-%m-%d} to {end:%Y-%m-%d}",
        "about": "The {items} strongest stories of the week's {days} daily reports, each once, by section.",
        "daily": "AI Daily {day}",
    },
}


def week_of(end: date) -> list[date]:
    """The days whose reports a digest dated ``end`` reads: the seven ending with ``end``."""
    return [end - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]


@dataclass(frozen=True, slots=True)
class _Found:
    """An item of a daily report, with where it stands in it."""

    item: Item
    day: date
    position: int

    def strength(self) -> tuple[int, int, int, int]:
        """Lower is stronger: importance, then outlets, then the later day, then report order."""
        outlets = len({s.url for s in self.item.sources} | set(self.item.article_urls))
        return (self.item.importance.rank, -outlets, -self.day.toordinal(), self.position)


def weekly_digest(
    reports: Iterable[Report],
    *,
    end: date,
    per_section: int = 5,
    day_page: Callable[[date], str] | None = None,
) -> Report | None:
    """The digest of the daily reports of the week ending ``end``; None if there are none."""
    days = set(week_of(end))
    week = sorted((r for r in reports if r.date in days and r.cadence is Cadence.DAILY), key=lambda r: r.date)
    if not week:
        return None
    latest = week[-1]
    words = _WORDS.get(latest.language, _WORDS["en"])
    stories = _strongest_of_each_story(_found(week))
    sections = tuple(
        Section(spec.key, _heading(week, spec.key), _best(stories, spec.key, per_section, words, day_page))
        for spec in ITEM_SECTIONS
    )
    count = sum(len(s.items) for s in sections)
    about = words["about"].format(days=len(week), items=count)
    return Report(
        date=end,
        title=words["title"].format(start=end - timedelta(days=DAYS - 1), end=end),
        generated_at=latest.generated_at,
        timezone=latest.timezone,
        window_start=min(r.window_start for r in week),
        window_end=max(r.window_end for r in week),
        articles_count=sum(r.articles_count for r in week),
        topics_count=sum(r.topics_count for r in week),
        sections=sections,
        insight=Insight(),
        reading=Reading(),
        description=about,
        summary=about,
        language=latest.language,
        cadence=Cadence.WEEKLY,
    )


def _found(week: Sequence[Report]) -> list[_Found]:
    return [_Found(item, report.date, n) for report in week for n, item in enumerate(report.items)]


def _strongest_of_each_story(found: list[_Found]) -> list[_Found]:
    """One entry per story: the strongest item among those joined as one story."""
    stories = _Stories(len(found))
    first: dict[tuple[str, object], int] = {}
    for index, entry in enumerate(found):
        for key in _keys(entry):
            stories.join(first.setdefault(key, index), index)
    for index, entry in enumerate(found):
        follow_up = entry.item.follow_up
        said = ("said", (follow_up.date, match_key(follow_up.title))) if follow_up else None
        if said in first:
            stories.join(first[said], index)
    best: dict[int, _Found] = {}
    for index, entry in enumerate(found):
        root = stories.root(index)
        if root not in best or entry.strength() < best[root].strength():
            best[root] = entry
    return list(best.values())


def _keys(entry: _Found) -> list[tuple[str, object]]:
    """What makes two items one story; ``said`` (day, title) is how a follow-up names its story."""
    item, title = entry.item, match_key(entry.item.title)
    keys: list[tuple[str, object]] = [("title", title), ("said", (entry.day, title))] if title else []
    if item.topic_key:
        keys.append(("topic", item.topic_key))
    keys += [("url", url) for url in item.article_urls]
    keys += [("url", s.url) for s in item.sources if s.valid]
    return keys


class _Stories:
    """Union-find over item indexes."""

    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def root(self, index: int) -> int:
        while self._parent[index] != index:
            self._parent[index] = self._parent[self._parent[index]]
            index = self._parent[index]
        return index

    def join(self, a: int, b: int) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)


def _best(
    stories: list[_Found],
    section: str,
    limit: int,
    words: dict[str, str],
    day_page: Callable[[date], str] | None,
) -> tuple[Item, ...]:
    kept = sorted((s for s in stories if s.item.section == section), key=_Found.strength)[:limit]
    return tuple(_linked(entry, words, day_page) for entry in kept)


def _linked(entry: _Found, words: dict[str, str], day_page: Callable[[date], str] | None) -> Item:
    if day_page is None:
        return entry.item
    daily = SourceLink(words["daily"].format(day=entry.day.isoformat()), day_page(entry.day))
    return replace(entry.item, sources=(*entry.item.sources, daily))


def _heading(week: Sequence[Report], key: str) -> str:
    """The section's heading as the latest report that has it wrote it."""
    for report in reversed(week):
        for section in report.sections:
            if section.key == key:
                return section.heading
    return next(spec.heading for spec in ITEM_SECTIONS if spec.key == key)
