"""What every writer shares when it turns an ``EditedTopic`` into an ``Item``.

A writer (extractive or LLM) only writes words: title, summary, details and use cases.
Everything else an item carries — sources, entities, importance, follow-up, article URLs —
is attached here by our code from the topic itself, so a model can never invent a source link.
Text from feeds passes through :func:`clean_text` (control characters out) and, for a zh-TW
report, :func:`to_report_script` (Simplified Chinese to Traditional, Taiwan usage).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core.models import Article, EditedTopic, Item, SourceLink, Topic
from core.report.writing.faithful import scaled_figures
from core.text import fold, has_cjk, match_key, tokens

#: Links printed under one item; the rest stay in ``Item.article_urls``.
MAX_SOURCES = 8
#: U+2011 keeps "TechCrunch‑2" on one line, as the sample reports write "TechCrunch‑Runway".
_NB_HYPHEN = "\u2011"
# Bidi overrides, soft hyphens and zero-width marks can disguise text: removed, not spaced.
_INVISIBLE = dict.fromkeys(
    [0xAD, 0x200B, 0x200C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF]
)
_ZWJ = "\u200d"  # joins emoji sequences: kept
_SPACES = re.compile(r"\s+")
_TRADITIONAL = ("zh-tw", "zh-hant")  # report languages written in Traditional characters
# Mainland tech words in their Taiwan form, applied after OpenCC's character conversion (s2tw).
# OpenCC's own phrase table (s2twp) is not used: it turns 參數 into 引數 and 刷新 into 重新整理,
# which is wrong in AI news. Only unambiguous words are listed.
_TAIWAN_VOCABULARY = {
    "人工智能": "人工智慧",
    "軟件": "軟體",
    "硬件": "硬體",
    "短視頻": "短影音",
    "視頻": "影片",
    "數據": "資料",
    "信息": "資訊",
    "互聯網": "網際網路",
    "網絡": "網路",
    "服務器": "伺服器",
    "芯片": "晶片",
    "內存": "記憶體",
    "算法": "演算法",
    "程序員": "程式設計師",
    "應用程序": "應用程式",
    "小程序": "小程式",
    "源代碼": "原始碼",
    "代碼": "程式碼",
    "默認": "預設",
    "屏幕": "螢幕",
    "鼠標": "滑鼠",
    "硬盤": "硬碟",
    "操作系統": "作業系統",
    "雲計算": "雲端運算",
    "計算機": "電腦",
    "攝像頭": "攝影機",
    "智能手機": "智慧型手機",
    "文檔": "文件",
    "博客": "部落格",
    "接口": "介面",
    "調用": "呼叫",
    "數字化": "數位化",
    "發佈": "發布",
    "平臺": "平台",
    "後臺": "後台",
}
_TAIWAN_WORDS = re.compile("|".join(sorted(map(re.escape, _TAIWAN_VOCABULARY), key=len, reverse=True)))
_ARXIV_MARK = re.compile(r"\s*\(?arXiv:\s*\d{4}\.\d{4,5}(?:v\d+)?(?:\s*\[[^\]]*\])?\)?\s*$", re.IGNORECASE)
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·:]\s+|\s*[｜]\s*")


def clean_text(text: str) -> str:
    """Feed text without control or invisible characters, whitespace collapsed to single spaces."""
    text = text.translate(_INVISIBLE)
    text = "".join(c if c == _ZWJ or unicodedata.category(c)[0] != "C" else " " for c in text)
    return _SPACES.sub(" ", text).strip()


@functools.cache
def _converter(config: str) -> Any | None:
    """An OpenCC converter ("s2tw", "s2t", "t2s") if the package is installed, else None."""
    try:
        import opencc  # optional: without it zh-TW reports keep Simplified text as written
    except ImportError:
        return None
    try:
        return opencc.OpenCC(config)
    except Exception:  # a broken install must not lose the report
        return None


def converter_available() -> bool:
    return _converter("s2tw") is not None


def _changed(text: str, converted: str) -> int:
    """How many characters a conversion changed."""
    if len(text) != len(converted):
        return abs(len(text) - len(converted)) + 1
    return sum(a != b for a, b in zip(text, converted, strict=True))


def looks_simplified(text: str) -> bool:
    """More characters would change going to Traditional than going to Simplified.

    Traditional text is left alone: converting it again would swap characters that are already
    right for variants (後台 -> 後臺) and the vocabulary table would touch quoted mainland names.
    """
    to_trad, to_simp = _converter("s2t"), _converter("t2s")
    if to_trad is None or to_simp is None:
        return False
    return _changed(text, to_trad.convert(text)) > _changed(text, to_simp.convert(text))


def to_report_script(text: str, language: str) -> str:
    """Text in the script of the report: Simplified Chinese becomes Traditional (Taiwan) for zh-TW."""
    if not text or not language.casefold().startswith(_TRADITIONAL) or not has_cjk(text):
        return text
    converter = _converter("s2tw")
    if converter is None or not looks_simplified(text):
        return text
    return _TAIWAN_WORDS.sub(lambda m: _TAIWAN_VOCABULARY[m.group()], converter.convert(text))


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host and no whitespace or control characters."""
    if not url or any(c.isspace() or unicodedata.category(c)[0] == "C" for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def sources_for(topic: Topic, *, limit: int = MAX_SOURCES) -> tuple[SourceLink, ...]:
    """One link per distinct article (http(s) only), in topic order, no two names alike."""
    articles = _unique_articles(distinct_articles(topic.articles))
    names = _link_names(articles)
    links = [SourceLink(name=n, url=a.url) for a, n in zip(articles, names, strict=True)]
    return tuple(links[:limit])


def _unique_articles(articles: Iterable[Article]) -> list[Article]:
    """Articles with a usable URL, the first of each URL only."""
    seen: set[str] = set()
    out = []
    for article in articles:
        if is_http_url(article.url) and article.url not in seen:
            seen.add(article.url)
            out.append(article)
    return out


def _link_names(articles: Sequence[Article]) -> list[str]:
    """Source names; papers by arXiv id, a repeated source numbered ("TechCrunch‑2")."""
    totals = Counter(clean_text(a.source) for a in articles)
    seen: Counter[str] = Counter()
    names = []
    for article in articles:
        source = clean_text(article.source) or urlsplit(article.url).hostname or "source"
        if article.arxiv_id:
            names.append(f"arXiv:{article.arxiv_id}")
            continue
        seen[source] += 1
        numbered = totals[source] > 1 and seen[source] > 1
        names.append(f"{source}{_NB_HYPHEN}{seen[source]}" if numbered else source)
    return names


def distinct_articles(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Articles with repeats dropped: the same URL, or the same paper in two arXiv listings."""
    seen: set[str] = set()
    out = []
    for article in articles:
        keys = {article.url, f"arxiv:{article.arxiv_id}" if article.arxiv_id else article.url}
        if not keys & seen:
            seen |= keys
            out.append(article)
    return tuple(out)


def article_urls(topic: Topic) -> tuple[str, ...]:
    """Every distinct article URL of the topic, for the store (not capped)."""
    return tuple(dict.fromkeys(a.url for a in topic.articles if is_http_url(a.url)))


def clean_headline(title: str, source: str = "") -> str:
    """A headline without the site name feeds append ("… - TechCrunch") or arXiv markers."""
    title = _ARXIV_MARK.sub("", clean_text(title))
    for _ in range(2):  # "Headline | Section | Site" loses both trailing parts
        separators = list(_TITLE_SEPARATORS.finditer(title))
        if not separators:
            break
        last = separators[-1]
        head, suffix = title[: last.start()].strip(), title[last.end() :].strip()
        if not head or not _is_site_suffix(suffix, source, last.group(), head):
            break
        title = head
    return title or clean_text(source)


def _is_site_suffix(suffix: str, source: str, separator: str, head: str) -> bool:
    """The trailing part names the site: it matches the source, or is a short name after a pipe."""
    key, source_key = match_key(suffix), match_key(source)
    if len(key) >= 3 and source_key and (key in source_key or source_key in key):
        return True
    piped = "|" in separator or "｜" in separator
    return piped and 0 < len(suffix.split()) <= 3 and len(head) >= 12


def assemble_item(
    edited: EditedTopic,
    *,
    title: str,
    summary: str,
    details: Sequence[str] = (),
    use_cases: Sequence[str] = (),
    writer: str,
    language: str,
) -> Item:
    """An item from a writer's words plus everything our code attaches from the topic."""

    def tidy(text: str) -> str:
        return to_report_script(clean_text(text), language)

    lead = tidy(summary)
    kept_details, kept_uses = without_repeats(
        lead, _tidy_all(details, tidy), _tidy_all(use_cases, tidy), chinese_first=language.startswith("zh")
    )
    return Item(
        section=edited.section,
        title=tidy(title),
        summary=lead,
        details=kept_details,
        use_cases=kept_uses,
        entities=_tidy_all(edited.entities, tidy),
        importance=edited.importance,
        importance_reason=tidy(edited.reason),
        sources=sources_for(edited.topic),
        follow_up=edited.follow_up,
        writer=writer,
        topic_key=edited.topic.key,
        article_urls=article_urls(edited.topic),
    )


#: Share of a bullet's tokens already said elsewhere that makes it a repeat when it brings no
#: name or figure of its own (another outlet's paraphrase); the share that does even when it
#: brings one (the same sentence with one word changed).
PARAPHRASE_CONTAINMENT = 0.6
REPEAT_CONTAINMENT = 0.9
# Names and figures: a word with a capital past the text's first, or with a digit.
_NAME_OR_FIGURE = re.compile(r"(?<=[\s(（「『、，,])[\w.\-]*[A-Z][\w.\-]*|[\w.\-]*\d[\w.\-]*")
#: "價格：10 美元": a short label before a full-width or ASCII colon (技術細節 are written
#: "標籤：內容") is not content. One definition for every rule that reads labels.
DETAIL_LABEL = re.compile(r"^[^：:]{1,14}[：:]\s*")


def without_repeats(
    summary: str, details: Sequence[str], use_cases: Sequence[str], *, chinese_first: bool = False
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Details and use cases less every bullet that says again what the summary or an earlier
    bullet said (a paper's title repeating the group's lead, an English extract already quoted).

    Candidates were compared sentence by sentence while they were chosen; this is the last look,
    at the finished texts, where a Chinese lead composed later or a quotation can still repeat.
    With ``chinese_first`` (a zh report), of one fact told in both scripts the Chinese bullet is
    the one kept; bullets keep their order.
    """
    bullets = [(index, bullet) for index, group in enumerate((details, use_cases)) for bullet in group]
    judged = sorted(bullets, key=lambda pair: not has_cjk(pair[1])) if chinese_first else bullets
    # A composed lead is a headline with its figure ("CoreWeave 簽署 40 億美元合作協議"): a bullet
    # telling what the deal is for says more, so only bullets are weighed across scripts.
    said, said_facts, kept = [frozenset(tokens(summary))], [], set()
    for index, bullet in judged:
        body = DETAIL_LABEL.sub("", bullet, count=1)
        facts = _Facts.of(body)
        if not _repeats(body, said) and not any(facts.retold_in(other) for other in said_facts):
            kept.add((index, bullet))
            said.append(frozenset(tokens(bullet)))
            said_facts.append(facts)
    ordered = [pair for pair in bullets if pair in kept]
    return tuple(b for i, b in ordered if i == 0), tuple(b for i, b in ordered if i == 1)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What a bullet states that survives translation: its script, scaled figures, Latin names."""

    chinese: bool
    figures: frozenset[float]
    names: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Facts:
        return cls(has_cjk(text), scaled_figures(text), _latin_names(text))

    def retold_in(self, earlier: _Facts) -> bool:
        """This bullet states, in the other script, a fact ``earlier`` said: every scaled figure
        of it ("700 million", "7億") is in ``earlier``, which also names one of its Latin names.
        Tokens cannot see this (a Chinese outlet's line and an English one share no words); in
        one script the token checks judge."""
        if not self.figures or self.chinese == earlier.chinese:
            return False
        return self.figures <= earlier.figures and bool(self.names & earlier.names)


_LATIN_NAME = re.compile(r"(?<![A-Za-z0-9.-])[A-Z][A-Za-z0-9.-]*[A-Za-z0-9]")


def _latin_names(text: str) -> frozenset[str]:
    return frozenset(fold(n) for n in _LATIN_NAME.findall(text))


def _repeats(bullet: str, said: Sequence[frozenset[str]]) -> bool:
    words = frozenset(tokens(bullet))
    names = frozenset(fold(n.strip(".-")) for n in _NAME_OR_FIGURE.findall(bullet))
    for other in said:
        shared = len(words & other)
        if shared >= REPEAT_CONTAINMENT * len(words):
            return True
        if shared >= PARAPHRASE_CONTAINMENT * len(words) and names <= other:
            return True
    return False


def _tidy_all(texts: Iterable[str], tidy: Callable[[str], str]) -> tuple[str, ...]:
    """Tidied texts, empty ones and repeats (by folded key) dropped, order kept."""
    out: dict[str, str] = {}
    for text in texts:
        cleaned = tidy(text)
        if cleaned and fold(cleaned) not in out:
            out[fold(cleaned)] = cleaned
    return tuple(out.values())
