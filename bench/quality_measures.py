"""What a reader of the sample reports would count in one of ours: the measures of ``bench.quality``.

The measures judge the rendered report with word lists and rules of their own, deliberately not
the writer's (``core.report``): a judge that shares the code's lists would approve its mistakes.

- Chinese: after taking out names (capitalised or with digits) and figures, the share
  ``cjk / (cjk + 2 × lowercase Latin words)`` of a text is at least 0.6.
- Entity noise: a demonym, place, generic word, single letter, common English word, or a name
  cut inside a word of the item's own text.
- Repeated bullets: a detail or use case whose character bigrams are 80% inside another bullet
  or the summary (labels "標籤：" taken off first).
- Leaked lines: bare URLs, lines addressing an AI, newsletter and feed boilerplate.
- Missing stories: stories of the day none of whose articles is linked anywhere in the report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.models import Item, Report

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# ASCII classes on purpose: \w would take a CJK run joined to a figure ("混元3D") as one name.
# Names, figures and model names spelled lower case with a version ("gpt-realtime-2") are not
# English prose: they stand in Chinese text as they are.
_NAME_OR_FIGURE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z][A-Za-z0-9.+-]*|[A-Za-z]*\d[A-Za-z0-9.,%+-]*"
    r"|[a-z][a-z0-9.]*(?:-[a-z0-9.]+)*-[a-z0-9.]*\d[a-z0-9.]*)"
)
_LOWER_WORD = re.compile(r"(?<![A-Za-z])[a-z]{2,}(?![A-Za-z])")
_CHINESE_SHARE = 0.6
_SENTENCE = re.compile(r"^(.+?(?:[。！？]|原文摘錄|$))")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


DEMONYMS_AND_PLACES = _words(
    """chinese american western eastern european asian japanese korean indian british french german
    russian israeli canadian australian taiwanese african global us usa uk eu china japan korea
    india europe asia america taiwan germany france britain africa canada 美國 中國 歐洲 亞洲 日本
    韓國 台灣 臺灣 印度 英國 法國 德國 全球 中美 西方"""
)
GENERIC = _words(
    """ai a.i. llm llms ml genai agi model models agent agents agentic paper papers arxiv research
    study data dataset benchmark chatbot chatbots startup startups company companies api apps app
    cloud chip chips robot robots 模型 研究 論文 人工智慧 人工智能 大模型 大型語言模型 代理 智能體 公司
    技術 資料 數據 工具 平台 晶片 機器人 新創 產業 市場 用戶 開發者 企業 基準"""
)
COMMON_WORDS = _words(
    """the a an this that these those new today yesterday now here there what why how when who
    which verified continue continued read more learn about introducing announcing update updates
    breaking exclusive opinion analysis review guide report reports news week weekly daily latest
    however also but and or for with from into after before over under our your their its his her
    it we they you i he she is are was were be been being has have had do does did will would can
    could should may might must not no yes all any some many most every each other such than then
    first last next one two three big small good best top key why's let's meet inside behind
    watch listen subscribe share sign join click see get make use using used via per"""
)
_URL = re.compile(r"https?://|www\.\w", re.IGNORECASE)
_MARKDOWN_LINK = re.compile(r"\]\((?:https?://)[^)]*\)")
_ADDRESSES_AI = re.compile(
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) (?:instructions|prompts?)"
    r"|\b(?:ai|language model|llm|chatbot)s? (?:assistant|reading|summari[sz]ing) (?:this|these)\b"
    r"|\bsystem prompt\b|\bas an ai\b|忽略(?:之前|先前|以上|上述)(?:的)?(?:所有)?(?:指示|指令)",
    re.IGNORECASE,
)
_BOILERPLATE = re.compile(
    r"appeared first on|\bsubscribe (?:to|now|here|for)\b|\bsign up (?:for|here|now|to)\b|today'?s edition"
    r"|click here|\bread (?:the )?(?:full|more)\b|all rights reserved|\b(?:accept|use) cookies\b"
    r"|閱讀全文|原文連結|點擊(?:這裡|此處)|訂閱(?:本報|我們|電子報)|版權所有|轉載請",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^[^：:]{1,14}[：:]\s*")
_NOT_WORD = re.compile(r"[\W_]+")


def chinese_share(text: str) -> float:
    rest = _NAME_OR_FIGURE.sub(" ", text)
    cjk = len(_CJK.findall(rest))
    latin = len(_LOWER_WORD.findall(rest))
    return cjk / (cjk + 2 * latin) if cjk + latin else 0.0


def is_chinese(text: str) -> bool:
    return len(_CJK.findall(text)) >= 2 and chinese_share(text) >= _CHINESE_SHARE


def lead_sentence(summary: str) -> str:
    match = _SENTENCE.match(summary.strip())
    return match.group(1) if match else ""


def noisy_entities(item: Item) -> list[str]:
    text = " ".join((item.title, item.summary, *item.details, *item.use_cases))
    return [e for e in item.entities if _entity_noise(e, text)]


def _entity_noise(entity: str, text: str) -> bool:
    folded = entity.strip().casefold()
    if len(folded) < 2 or folded.isdigit():
        return True
    if folded in DEMONYMS_AND_PLACES or folded in GENERIC or folded in COMMON_WORDS:
        return True
    return _cut_inside_a_word(entity, text)


def _cut_inside_a_word(entity: str, text: str) -> bool:
    """True when every place ``entity`` occurs in the text runs on into a longer word."""
    if not entity[-1:].isalnum() or _CJK.match(entity[-1]):
        return False
    found = [m.end() for m in re.finditer(re.escape(entity), text)]
    return bool(found) and all(
        end < len(text) and text[end].isalpha() and not _CJK.match(text[end]) for end in found
    )


def repeated_bullets(item: Item) -> int:
    """Bullets that say again what the summary or an earlier bullet said."""
    seen = [_bigrams(item.summary)]
    repeats = 0
    for bullet in (*item.details, *item.use_cases):
        grams = _bigrams(_LABEL.sub("", bullet))
        if grams and any(_contained(grams, other) for other in seen):
            repeats += 1
        seen.append(grams)
    return repeats


def _bigrams(text: str) -> Counter[str]:
    plain = _NOT_WORD.sub("", text.casefold())
    return Counter(plain[i : i + 2] for i in range(len(plain) - 1))


def _contained(grams: Counter[str], other: Counter[str]) -> bool:
    if not other:
        return False
    shared = sum((grams & other).values())
    return shared >= 0.8 * min(sum(grams.values()), sum(other.values()))


def leaked_lines(report: Report) -> list[str]:
    """Every text of the report that carries a bare URL, words to an AI, or boilerplate."""
    return [text for text in _texts(report) if _leaks(text)]


def _leaks(text: str) -> bool:
    bare = _MARKDOWN_LINK.sub("]", text)
    return bool(_URL.search(bare) or _ADDRESSES_AI.search(text) or _BOILERPLATE.search(text))


def _texts(report: Report) -> Iterable[str]:
    for item in report.items:
        yield from (item.title, item.summary, *item.details, *item.use_cases, item.importance_reason)
    insight = report.insight
    yield from (*insight.trends, *insight.context, *insight.outlook, *insight.watchlist)
    yield from (link.title for link in report.reading.articles)
    yield from (link.note for link in report.reading.articles)
    yield from (report.title, report.description, report.summary)


@dataclass(frozen=True, slots=True)
class Measures:
    items: int
    headlines: int
    chinese_titles: float
    chinese_leads: float
    entity_noise: float
    use_cases: float
    repeated_bullets: int
    leaked_lines: int
    missing_stories: int | None
    in_sample_section: float | None


def measure(
    report: Report,
    markdown: str,
    stories: Mapping[str, Sequence[str]] | None,
    sections: Mapping[str, str] | None = None,
) -> Measures:
    """The measures of ``report``; ``stories`` maps each story of the day to its articles' URLs,
    ``sections`` maps a story to its section in the sample report (rebuilt days only)."""
    items = report.items
    entities = [e for item in items for e in item.entities]
    return Measures(
        items=len(items),
        headlines=sum(1 for item in items if item.section == "top_headlines"),
        chinese_titles=_share(is_chinese(item.title) for item in items),
        chinese_leads=_share(is_chinese(lead_sentence(item.summary)) for item in items),
        entity_noise=len([e for item in items for e in noisy_entities(item)]) / len(entities)
        if entities
        else 0.0,
        use_cases=_share(bool(item.use_cases) for item in items),
        repeated_bullets=sum(repeated_bullets(item) for item in items),
        leaked_lines=len(leaked_lines(report)),
        missing_stories=None if stories is None else len(missing_stories(markdown, stories)),
        in_sample_section=None
        if sections is None or stories is None
        else _in_section(items, stories, sections),
    )


def missing_stories(markdown: str, stories: Mapping[str, Sequence[str]]) -> list[str]:
    return [key for key, urls in stories.items() if not any(url in markdown for url in urls)]


def _in_section(
    items: Sequence[Item], stories: Mapping[str, Sequence[str]], sections: Mapping[str, str]
) -> float:
    story_of = {url: key for key, urls in stories.items() for url in urls}
    hits = []
    for item in items:
        told = Counter(
            story_of[u] for u in (*item.article_urls, *(s.url for s in item.sources)) if u in story_of
        )
        if told:
            hits.append(sections[told.most_common(1)[0][0]] == item.section)
    return _share(hits)


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0
