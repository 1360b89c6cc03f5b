"""The extractive overview: title, tags, editor's insight and further reading from finished items.

Everything here is built from facts the items already carry (titles, sections, importance,
entities, follow-ups, source links) plus the fixed phrases below, so nothing is invented:
the outlook says what is worth watching, never what will happen. Used by the extractive
writer, and by an LLM writer as its fallback when the overview call fails.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

from core.models import (
    ITEM_SECTION_KEYS,
    Importance,
    Insight,
    Item,
    Overview,
    Reading,
    ReadingLink,
    SourceLink,
)
from core.report.rendering.labels import labels_for
from core.report.writing.glossary import find_terms
from core.report.writing.sentences import clip, split_sentences
from core.report.writing.storylines import Storyline, storylines
from core.text import fold, has_cjk

_ZH = {
    "title": "AI 每日情報：{theme} — {date}",
    "title_plain": "AI 每日情報 — {date}",
    "quote": "「{}」",
    "sep": "、",
    "clause": "，",  # between the facts of one storyline: "分屬今日焦點、市場動態，共有 5 個來源報導"
    "and": "與",  # spaced by _spaced() only where it meets Latin text
    "mix_part": "{section} {count} 則",
    "description": "每日 AI 快訊：今日 {n} 則重點，包括{titles}。",
    "description_empty": "每日 AI 快訊：今日沒有整理出重點項目。",
    "summary": "聚焦{keywords}；{mix}。",
    "summary_empty": "今日從 {articles} 篇文章中沒有整理出重點項目。",
    "trends_counts": "今日從 {articles} 篇文章中整理出 {n} 則重點：{mix}。重要性最高的是{tops}。",
    "trends_lead": "{title}：{sentence}",
    "line": "「{label}」串起今日 {n} 則報導：{titles}。{facts}。",
    "line_section": "同屬{sections}",
    "line_sections": "分屬{sections}",
    "line_shared": "也都涉及{shared}",
    "line_outlets": "共有 {count} 個來源報導",
    "sections": {
        "top_headlines": "今日焦點",
        "research": "模型與技術",
        "tools": "工具與資源",
        "applications": "產業應用",
        "trends": "產業趨勢",
        "market": "市場動態",
    },
    "rank": "{title}（{importance}）",
    "context_recurring": "模型研究與工具類共 {k} 則項目，反覆出現的主題包括{themes}。",
    "context_scattered": "模型研究與工具類共 {k} 則項目，主題較分散，分別涉及{themes}。",
    "context_other": "今日沒有模型研究或工具類項目；各項目提及的主題包括{themes}。",
    "context_empty": "今日項目沒有反覆出現的技術主題。",
    "theme_count": "{term}（{count} 則）",
    "context_items": "相關項目：{titles}。",
    "outlook_follow": "{title}延續 {date} 的報導{previous}，議題仍在發展，值得持續追蹤。",
    "outlook_high": "重要性為高以上的{titles}，接下來的官方說明、實際採用與各方回應值得留意。",
    "outlook_terms": "{terms}相關的研究與產品是否持續出現，可作為觀察技術走向的指標。",
    "outlook_quiet": "今日項目重要性普遍不高，可留意後續是否有更多來源跟進。",
    "watch": "{title}：{entities}的後續進展",
    "watch_plain": "{title}的後續進展",
    "kinds": {"paper": "論文", "blog": "長文", "news": "報導"},
    "note": "{kind}｜{text}",
    "via": "{title}（{source}）",
    "default_tags": ("AI", "每日情報"),
}
_EN = {
    "title": "AI Daily: {theme} — {date}",
    "title_plain": "AI Daily — {date}",
    "quote": "“{}”",
    "sep": ", ",
    "clause": "; ",
    "and": " and ",
    "mix_part": "{count} in {section}",
    "description": "Daily AI briefing: {n} stories today, including {titles}.",
    "description_empty": "Daily AI briefing: no stories were selected today.",
    "summary": "Focus on {keywords}; {mix}.",
    "summary_empty": "No stories were selected from {articles} articles today.",
    "trends_counts": (
        "Today {n} stories were selected from {articles} articles: {mix}. The most important are {tops}."
    ),
    "trends_lead": "{title}: {sentence}",
    "line": "{label} runs through {n} of today's stories: {titles}. {facts}.",
    "line_section": "All are in {sections}",
    "line_sections": "They span {sections}",
    "line_shared": "they also share {shared}",
    "line_outlets": "{count} sources reported them",
    "sections": {
        "top_headlines": "Top Headlines",
        "research": "Research",
        "tools": "Tools",
        "applications": "Applications",
        "trends": "Trends",
        "market": "Market",
    },
    "rank": "{title} ({importance})",
    "context_recurring": "Across the research and tools items ({k}), recurring themes are {themes}.",
    "context_scattered": "The research and tools items ({k}) are spread across topics: {themes}.",
    "context_other": "There are no research or tools items today; the items touch on {themes}.",
    "context_empty": "No technical theme recurs across today's items.",
    "theme_count": "{term} ({count} items)",
    "context_items": "Related items: {titles}.",
    "outlook_follow": "{title} continues {previous} from {date}; the story is still developing.",
    "outlook_high": "For the high-importance items {titles}, watch for official details and reactions.",
    "outlook_terms": "Whether work on {terms} keeps appearing is a signal of where the field is heading.",
    "outlook_quiet": "Today's items are of modest importance; watch whether more sources pick them up.",
    "watch": "{title}: what comes next for {entities}",
    "watch_plain": "{title}: what comes next",
    "kinds": {"paper": "Paper", "blog": "Long read", "news": "News"},
    "note": "{kind} · {text}",
    "via": "{title} ({source})",
    "default_tags": ("AI", "Daily Briefing"),
}
_RESEARCH_KEYS = ("research", "tools")
# Words every AI report could carry in its title: they say nothing of the day.
_SAYS_NOTHING = frozenset({"ai", "llm", "llms", "模型", "人工智慧", "arxiv"})
_KIND_ORDER = {"blog": 0, "paper": 1, "news": 2}
_CJK_THEN_LATIN = re.compile(r"([\u3400-\u9fff])([A-Za-z0-9])")
_LATIN_THEN_CJK = re.compile(r"([A-Za-z0-9%])([\u3400-\u9fff])")
_FULL_PUNCT = "「」『』（）、，。：；！？｜"
_SPACE_BY_PUNCT = re.compile(
    rf"(?<=[\u3400-\u9fff{_FULL_PUNCT}])\s+(?=[{_FULL_PUNCT}])|(?<=[{_FULL_PUNCT}])\s+(?=[\u3400-\u9fff])"
)
_BLOG_HOSTS = ("medium.com", "substack.com", "towardsdatascience.com", "huggingface.co/blog")


def build_overview(items: Sequence[Item], *, day: date, language: str, articles_count: int) -> Overview:
    """Title, description, summary, tags, insight and reading for one report."""
    p = _phrases(language)
    ranked = _ranked(items)
    lines = storylines(ranked, language)
    # The day's storylines name it first; the most shared entities and terms fill in.
    keywords = list(dict.fromkeys([*(line.label for line in lines), *_keywords(ranked, language)]))
    overview = Overview(
        title=_title(keywords, day, p),
        description=_description(ranked, p),
        summary=_summary(items, keywords, articles_count, language, p),
        tags=_tags(keywords, p),
        insight=Insight(
            trends=_trends(items, ranked, lines, articles_count, language, p),
            context=_context(items, language, p),
            outlook=_outlook(ranked, language, p),
            watchlist=_watchlist(ranked, p),
        ),
        reading=Reading(
            articles=_reading_links(ranked, p),
            background=_background(ranked, language),
            keywords=tuple(keywords[:15]),
        ),
    )
    return _typeset(overview, language)


def _typeset(overview: Overview, language: str) -> Overview:
    """The overview's own sentences spaced for the language (keywords and glossary stay as they are)."""

    def fix(texts: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_spaced(t, language) for t in texts)

    insight = overview.insight
    reading = overview.reading
    return dataclasses.replace(
        overview,
        title=_spaced(overview.title, language),
        description=_spaced(overview.description, language),
        summary=_spaced(overview.summary, language),
        insight=Insight(
            fix(insight.trends), fix(insight.context), fix(insight.outlook), fix(insight.watchlist)
        ),
        reading=dataclasses.replace(
            reading,
            articles=tuple(dataclasses.replace(r, note=_spaced(r.note, language)) for r in reading.articles),
        ),
    )


def _phrases(language: str) -> dict:
    return _ZH if language.startswith("zh") else _EN


def _spaced(text: str, language: str) -> str:
    """zh-TW typography: a space between CJK and Latin text, none next to full-width punctuation."""
    if not language.startswith("zh"):
        return text
    text = _CJK_THEN_LATIN.sub(r"\1 \2", text)
    text = _LATIN_THEN_CJK.sub(r"\1 \2", text)
    return _SPACE_BY_PUNCT.sub("", text)


def _ranked(items: Sequence[Item]) -> list[Item]:
    """Items most important first; ties keep section order, then report order."""
    order = {key: i for i, key in enumerate(ITEM_SECTION_KEYS)}
    indexed = list(enumerate(items))
    indexed.sort(key=lambda pair: (pair[1].importance.rank, order.get(pair[1].section, 99), pair[0]))
    return [item for _, item in indexed]


def _item_text(item: Item) -> str:
    return " ".join([item.title, item.summary, *item.details, *item.use_cases, *item.entities])


def _short_term(term: str) -> str:
    """A glossary term without its parenthetical: "代理式 AI（Agentic AI）" -> "代理式 AI"."""
    return term.split("（")[0].split(" (")[0].strip()


def _item_keywords(item: Item, language: str) -> list[str]:
    """The item's entities, then the glossary terms its text mentions."""
    terms = [_short_term(t.text(language)[0]) for t in find_terms(_item_text(item))]
    return list(dict.fromkeys([*item.entities, *terms]))


def _keywords(ranked: list[Item], language: str) -> list[str]:
    """Entities and terms, by how many items name or mention them; ties by the first item's rank."""
    display: dict[str, str] = {}
    own: list[set[str]] = []  # per item: its entities and the glossary terms it mentions
    for item in ranked:
        words = _item_keywords(item, language)
        own.append({fold(w) for w in words})
        for word in words:
            display.setdefault(fold(word), word)
    texts = [fold(_item_text(item)) for item in ranked]
    counts = {
        key: sum(1 for mine, text in zip(own, texts, strict=True) if key in mine or _mentions(text, key))
        for key in display
    }
    first = {key: i for i, key in enumerate(display)}
    ordered = sorted(display, key=lambda key: (-counts[key], first[key]))
    return [display[key] for key in ordered]


def _mentions(folded_text: str, key: str) -> bool:
    """``key`` occurs in the text as a whole word (CJK: anywhere), so "ai" does not match "said"."""
    if has_cjk(key):
        return key in folded_text
    return re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", folded_text) is not None


def _join(words: Sequence[str], p: dict) -> str:
    """ "a、b 與 c" / "a, b and c"."""
    words = list(words)
    if len(words) < 2:
        return "".join(words)
    return p["sep"].join(words[:-1]) + p["and"] + words[-1]


def _quoted(items: Sequence[Item], p: dict, limit: int = 60) -> list[str]:
    return [p["quote"].format(clip(item.title, limit)) for item in items]


def _title(keywords: list[str], day: date, p: dict) -> str:
    theme = [k for k in keywords if len(k) <= 30 and fold(k) not in _SAYS_NOTHING][:3]
    stamp = f"{day:%Y/%m/%d}"
    if not theme:
        return p["title_plain"].format(date=stamp)
    return p["title"].format(theme=_join(theme, p), date=stamp)


def _description(ranked: list[Item], p: dict) -> str:
    if not ranked:
        return p["description_empty"]
    return p["description"].format(n=len(ranked), titles=_join(_quoted(ranked[:2], p, 40), p))


def _mix(items: Sequence[Item], language: str, p: dict) -> str:
    """ "今日焦點 2 則、模型與技術更新 5 則" in section order."""
    counts = Counter(item.section for item in items)
    names = labels_for(language).sections
    parts = [
        p["mix_part"].format(section=_short_term(names[key]), count=counts[key])
        for key in ITEM_SECTION_KEYS
        if counts[key]
    ]
    return p["sep"].join(parts)


def _summary(items: Sequence[Item], keywords: list[str], articles: int, language: str, p: dict) -> str:
    if not items:
        return p["summary_empty"].format(articles=articles)
    return p["summary"].format(keywords=_join(keywords[:3], p), mix=_mix(items, language, p))


def _tags(keywords: list[str], p: dict) -> tuple[str, ...]:
    tags = [k for k in keywords if len(k) <= 24][:6]
    for default in p["default_tags"]:
        if len(tags) >= 3:
            break
        if fold(default) not in {fold(t) for t in tags}:
            tags.append(default)
    return tuple(tags)


def _first_sentence(text: str, limit: int = 160) -> str:
    sentences = split_sentences(text)
    return clip(sentences[0] if sentences else text, limit)


def _trends(
    items: Sequence[Item], ranked: list[Item], lines: list[Storyline], articles: int, language: str, p: dict
) -> tuple[str, ...]:
    """One paragraph per storyline: its items by name and what links them; the leads of the
    day's top two stories when no storyline runs through the day."""
    if not items:
        return (p["summary_empty"].format(articles=articles),)
    paragraphs = [_storyline(line, ranked, language, p) for line in lines]
    if paragraphs:
        return tuple(paragraphs)
    leads = [
        p["trends_lead"].format(title=q, sentence=_first_sentence(item.summary))
        for q, item in zip(_quoted(ranked[:2], p), ranked[:2], strict=True)
    ]
    return (" ".join(leads),)


def _storyline(line: Storyline, ranked: list[Item], language: str, p: dict) -> str:
    members = [ranked[i] for i in line.items]
    sections = list(dict.fromkeys(p["sections"][i.section] for i in members if i.section in p["sections"]))
    outlets = {s.name for i in members for s in i.sources}
    facts = [
        p["line_sections" if len(sections) > 1 else "line_section"].format(sections=p["sep"].join(sections))
    ]
    if line.shared:
        facts.append(p["line_shared"].format(shared=_join(line.shared[:3], p)))
    if len(outlets) > 1:
        facts.append(p["line_outlets"].format(count=len(outlets)))
    titles = _join(_quoted(members[:4], p), p)
    return p["line"].format(label=line.label, n=len(members), titles=titles, facts=p["clause"].join(facts))


def _term_counts(items: Sequence[Item], language: str) -> Counter[str]:
    """Glossary terms (short form) by how many of ``items`` mention them."""
    return Counter(_short_term(t.text(language)[0]) for item in items for t in find_terms(_item_text(item)))


def _context(items: Sequence[Item], language: str, p: dict) -> tuple[str, ...]:
    research = [item for item in items if item.section in _RESEARCH_KEYS]
    pool = research or list(items)
    counts = _term_counts(pool, language)
    recurring = [(term, n) for term, n in counts.most_common(5) if n > 1]
    if recurring:
        themes = [p["theme_count"].format(term=term, count=n) for term, n in recurring]
        key = "context_recurring" if research else "context_other"
        first = p[key].format(k=len(research), themes=_join(themes, p))
    elif counts or research:
        spread = [term for term, _ in counts.most_common(5)] or [clip(i.title, 40) for i in research[:4]]
        key = "context_scattered" if research else "context_other"
        first = p[key].format(k=len(research), themes=_join(spread, p))
    else:
        return (p["context_empty"],)
    return (first, p["context_items"].format(titles=_join(_quoted(pool[:4], p), p)))


def _outlook(ranked: list[Item], language: str, p: dict) -> tuple[str, ...]:
    out = []
    for item, follow in [(i, i.follow_up) for i in ranked if i.follow_up][:2]:
        previous = p["quote"].format(clip(follow.title, 40))
        title = p["quote"].format(clip(item.title, 60))
        out.append(p["outlook_follow"].format(title=title, date=f"{follow.date:%Y/%m/%d}", previous=previous))
    high = [i for i in ranked if i.importance.rank <= Importance.HIGH.rank][:3]
    if high:
        out.append(p["outlook_high"].format(titles=_join(_quoted(high, p), p)))
    terms = [term for term, _ in _term_counts(ranked, language).most_common(3)]
    if terms:
        out.append(p["outlook_terms"].format(terms=_join(terms, p)))
    return tuple(out) or (p["outlook_quiet"],)


def _watchlist(ranked: list[Item], p: dict) -> tuple[str, ...]:
    """One entry per top item: 3 always (if there are 3), up to 5 while they matter."""
    chosen = [item for i, item in enumerate(ranked[:5]) if i < 3 or item.importance is not Importance.LOW]
    out = []
    for item in chosen:
        title = p["quote"].format(clip(item.title, 60))
        entities = p["sep"].join(item.entities[:3])
        key = "watch" if entities else "watch_plain"
        out.append(p[key].format(title=title, entities=entities))
    return tuple(out)


def _link_kind(link: SourceLink) -> str:
    url, name = link.url.lower(), link.name.lower()
    if "arxiv.org" in url or name.startswith("arxiv"):
        return "paper"
    if "/blog" in url or "://blog." in url or "blog" in name or any(h in url for h in _BLOG_HOSTS):
        return "blog"
    return "news"


def _best_link(item: Item) -> SourceLink | None:
    """The item's source most worth reading in full: a long read, then a paper, then the lead."""
    links = [s for s in item.sources if s.valid and s.url.startswith(("http://", "https://"))]
    return min(links, key=lambda s: _KIND_ORDER[_link_kind(s)]) if links else None


def _link_title(item: Item, link: SourceLink, p: dict) -> str:
    """The item's title; naming the source when the link is not the lead article's."""
    if item.sources and item.sources[0].url == link.url:
        return item.title
    return p["via"].format(title=item.title, source=link.name)


def _reading_links(ranked: list[Item], p: dict) -> tuple[ReadingLink, ...]:
    """Up to five links, one per item: importance first, a long read or paper beating a news story."""
    picks = [(item, link) for item in ranked if (link := _best_link(item))]
    # Stable sort: a blog counts as two importance steps up, a paper as one, news as none.
    picks.sort(key=lambda pair: pair[0].importance.rank + _KIND_ORDER[_link_kind(pair[1])])
    out: dict[str, ReadingLink] = {}
    for item, link in picks:
        if link.url not in out and len(out) < 5:
            note = p["note"].format(kind=p["kinds"][_link_kind(link)], text=_first_sentence(item.summary, 80))
            out[link.url] = ReadingLink(title=_link_title(item, link, p), url=link.url, note=note)
    return tuple(out.values())


def _background(ranked: list[Item], language: str) -> tuple[tuple[str, str], ...]:
    """Up to five glossary explanations, for the terms most items mention."""
    counts: Counter[str] = Counter()
    entries = {}
    for item in ranked:
        for term in find_terms(_item_text(item)):
            counts[term.key] += 1
            entries[term.key] = term.text(language)
    keys = sorted(entries, key=lambda k: -counts[k])  # stable: first mentioned wins a tie
    return tuple(entries[k] for k in keys[:5])
