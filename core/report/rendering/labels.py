"""The fixed words of a rendered report, one table per language.

The Markdown renderer writes these labels and the Markdown importer reads them back, so they
live in one place: change a label here and both sides follow. ``zh-TW`` is the format of the
sample reports; ``en`` is the same structure with English words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.models import INSIGHT_SECTION, ITEM_SECTIONS, READING_SECTION, Importance
from core.text import fold

DEFAULT_LANGUAGE = "zh-TW"


@dataclass(frozen=True, slots=True)
class Labels:
    """Every fixed phrase of one report language."""

    language: str
    sections: dict[str, str]  # item section key -> heading
    summary: str
    details: str
    use_cases: str
    entities: str
    importance: str
    sources: str
    follow_up: str
    follow_up_text: str  # .format(date=..., title=...)
    colon: str  # after a bold inline label: "：" or ": "
    list_separator: str  # between entities
    empty_section: str
    empty_part: str  # an insight or reading part with nothing in it
    insight_heading: str
    trends: str
    context: str
    outlook: str
    watchlist: str
    reading_heading: str
    reading_articles: str
    reading_background: str
    reading_keywords: str
    footer_counts: str  # .format(articles=..., topics=...)
    footer_times: str  # .format(hours=..., time=...)
    more_stories: str  # .format(count=...): the heading of a section's briefs past its cap
    importance_names: dict[Importance, str] = field(default_factory=dict)

    def importance_name(self, importance: Importance) -> str:
        return self.importance_names.get(importance, importance.value)

    def parse_importance(self, text: str) -> Importance:
        """Read an importance label of this language back (the importer's inverse)."""
        wanted = fold(text)
        for importance, name in self.importance_names.items():
            if fold(name) == wanted:
                return importance
        return Importance.parse(text)


ZH_TW = Labels(
    language="zh-TW",
    sections={s.key: s.heading for s in ITEM_SECTIONS},
    summary="核心摘要",
    details="技術細節",
    use_cases="應用場景",
    entities="關鍵實體",
    importance="重要性",
    sources="來源",
    follow_up="後續報導",
    follow_up_text="延續 {date}「{title}」",
    colon="：",
    list_separator="、",
    empty_section="（今日無相關項目）",
    empty_part="（無）",
    insight_heading=INSIGHT_SECTION.heading,
    trends="今日趨勢總結",
    context="技術發展脈絡",
    outlook="未來展望",
    watchlist="關注清單",
    reading_heading=READING_SECTION.heading,
    reading_articles="深度文章推薦",
    reading_background="相關技術背景",
    reading_keywords="本日關鍵詞",
    footer_counts="資料來源：{articles} 篇文章 | 分析主題：{topics} 個",
    footer_times="資料收集時間：過去 {hours} 小時 | 報告生成時間：{time}",
    more_stories="更多報導（{count} 則）",
    importance_names={i: i.value for i in Importance},
)

EN = Labels(
    language="en",
    sections={s.key: s.heading_en for s in ITEM_SECTIONS},
    summary="Summary",
    details="Technical details",
    use_cases="Use cases",
    entities="Key entities",
    importance="Importance",
    sources="Sources",
    follow_up="Follow-up",
    follow_up_text="continues “{title}” ({date})",
    colon=": ",
    list_separator=", ",
    empty_section="(No items today.)",
    empty_part="(None.)",
    insight_heading=INSIGHT_SECTION.heading_en,
    trends="Today’s Trends",
    context="Technical Context",
    outlook="Outlook",
    watchlist="Watchlist",
    reading_heading=READING_SECTION.heading_en,
    reading_articles="Recommended Reading",
    reading_background="Technical Background",
    reading_keywords="Keywords of the Day",
    footer_counts="Sources: {articles} articles | Topics: {topics}",
    footer_times="Collection window: past {hours} hours | Generated: {time}",
    more_stories="More stories ({count})",
    importance_names={
        Importance.CRITICAL: "Critical",
        Importance.HIGH: "High",
        Importance.MEDIUM_HIGH: "Medium\u2011high",
        Importance.MEDIUM: "Medium",
        Importance.LOW: "Low",
    },
)

LABELS: dict[str, Labels] = {ZH_TW.language: ZH_TW, EN.language: EN}


def labels_for(language: str) -> Labels:
    """The label table of ``language``; anything that is not English gets zh-TW (the default)."""
    if language.casefold().startswith("en"):
        return EN
    return LABELS.get(language, ZH_TW)
