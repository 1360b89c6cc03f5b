"""Chinese headlines and lead sentences for stories told only in English, with no model.

The extractive writer picks sentences; it cannot translate. A zh-TW reader still gets a
Chinese headline and lead: composed from the story's event (``core.report.editing.events``:
kind, subject, object) with one template per kind, subject first, amounts in Chinese units
(US$85M → 8,500 萬美元). The English extract follows, marked as the source's words, so nothing
English stands in for our own Chinese summary. A story with a Chinese article uses that
article's own headline and sentences instead (see ``summarize``), and a story whose event we
cannot read keeps its English headline rather than get a made-up one.
"""

from __future__ import annotations

import re

from core.models import EditedTopic, Event
from core.report.editing.events import is_model
from core.report.figures import chinese_facts, chinese_number, money_in_chinese
from core.terms import chinese_terms

__all__ = ["chinese_headline", "chinese_number", "money_in_chinese"]
from core.text import has_cjk


def _templates(event: Event, text: str) -> str:
    """The headline for the event, or "" when its kind has no template or names are missing."""
    s, o = _trimmed_name(event.subject), _trimmed_name(event.object)
    thing = "模型" if is_model(event, text) else "產品"
    amount = money_in_chinese(text)
    by_kind = {
        "release": f"{s} 發布 {o}" if o else f"{s} 發布新{thing}",
        "open_source": f"{s} 開源 {o}" if o else f"{s} 開源新{thing}",
        "funding": f"{s} 完成 {amount}融資" if amount else f"{s} 完成新一輪融資",
        "acquisition": (f"{s} 收購 {o}" + (f"，金額 {amount}" if amount else "")) if o else "",
        "partnership": f"{s} 與 {o} 合作" if o else f"{s} 簽署{' ' + amount if amount else ''}合作協議",
        "earnings": f"{s} 公布財報" + (f"：{amount}" if amount else ""),
        "deployment": f"{s} 導入 {o}" if o else f"{s} 導入 AI 應用",
        "rollout": _rollout(event, text),
    }
    return by_kind.get(event.kind, "") if s and event.sure else ""


def _rollout(event: Event, text: str) -> str:
    subject, thing = _trimmed_name(event.subject), _trimmed_name(event.object)
    if not thing:
        return f"{subject} 擴大上線"
    if re.search(r"\bbrings?\b", text, re.I):  # "Samsung brings X to Galaxy A": a feature for it
        return f"{subject} 為 {thing} 推出新功能"
    return f"{subject} 登陸 {thing}"


# A Title Case headline capitalises every word, so the event's "name" may run on into the rest
# of the headline ("AI Agents Across Trade Finance Back Office"): cut at its first function word.
_FUNCTION_WORD = re.compile(
    r"\s+(?:across|for|with|to|in|of|on|at|by|from|into|via|and|as|amid|after)\b.*$", re.I
)
_NAME_WORDS = 3


def _trimmed_name(name: str) -> str:
    """``name`` up to its first function word; "" when what is left is a phrase, not a name."""
    name = _FUNCTION_WORD.sub("", name).strip()
    return name if len(name.split()) <= _NAME_WORDS else ""


# What a story of each kind is, said after its subject: "世界模型與機器人觀察".
_KIND_WORDS = {
    "paper": "研究",
    "analysis": "觀察",
    "policy": "政策動態",
    "tool": "工具更新",
    "release": "新發布",
    "open_source": "開源發布",
    "rollout": "上線動態",
    "deployment": "導入案例",
    "partnership": "合作動態",
    "funding": "融資動態",
    "acquisition": "併購動態",
    "earnings": "財報動態",
}
_SECTION_WORDS = {
    "research": "研究",
    "tools": "工具",
    "applications": "應用",
    "trends": "觀察",
    "market": "市場動態",
}
# Names start with a capital or a digit, or are model names spelled lower case with a version
# ("gpt-realtime-2", "o3-mini").
_LATIN_NAME = re.compile(r"^(?:[A-Z0-9][\w.+&'’-]*(?: [A-Z0-9][\w.+&'’-]*)*|[a-z][\w.]*-[\w.-]*\d[\w.-]*)$")


def _topic_headline(edited: EditedTopic, title: str, summary: str) -> str:
    """A headline naming the story's subject and terms in Chinese, when no template fits.

    Only what the story names is said: its subject, its terms in Chinese (``core.terms``) and the
    kind of story; "" when the title names no term we know, so the English title stays.
    """
    kind = _KIND_WORDS.get(edited.event.kind) or _SECTION_WORDS.get(edited.section, "動態")
    terms = [
        t for t in chinese_terms(title, 3) or chinese_terms(_first_sentence(summary), 3) if t[:2] not in kind
    ]
    names = _names_in(edited, title)
    if terms:
        return _spaced(f"{names} {'與'.join(terms[:2])}{kind}" if names else f"{'與'.join(terms[:2])}{kind}")
    return _spaced(f"{names} {kind}") if names else ""


# Capitalised words of a headline that name no one: "AI" stands in every story, and sentence-
# initial words ("Teachers say…", "We did the math…") are capitals of grammar, not of names.
_NOT_NAMES = frozenset(
    ["ai", "llm", "llms", "ml", "api", "apis", "it", "gpu", "gpus", "sdk", "we", "the", "a", "an", "our"]
)


def _names_in(edited: EditedTopic, title: str) -> str:
    """The story's subject, else up to two of its Latin-script entities that the title names."""
    candidates = [edited.event.subject, *edited.entities] if edited.event.subject else list(edited.entities)
    outlets = {a.source.casefold() for a in edited.topic.articles}
    named: list[str] = []
    for name in candidates:
        if _by_the_outlet(name, title, outlets):
            continue
        if _plausible_name(name, title) and not any(name in n or n in name for n in named):
            named.append(name)
    return "、".join(named[:2])


def _by_the_outlet(name: str, title: str, outlets: set[str]) -> bool:
    """The outlet's own name ("The Guardian view on…") or a column of it ("The Download: …"):
    who publishes the story, not what it is about."""
    folded = name.casefold()
    return any(folded in outlet.split() or folded == outlet for outlet in outlets) or bool(
        re.match(rf"the {re.escape(folded)}\s*:", title.casefold())
    )


def _plausible_name(name: str, title: str) -> bool:
    if not name or not _LATIN_NAME.match(name) or name.casefold() in _NOT_NAMES:
        return False
    if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", title):
        return False  # in the title as a word of its own, not inside "LLM-Driven"
    if chinese_terms(name) and len(name.split()) == 1:
        return False  # a term of the lexicon ("Transformers", "Robots"): said in Chinese already
    if not _marked(name.split("-")[-1]) and "-" in name:
        return False  # "Cost-Aware", "LLM-Driven": an adjective made of words, not a name
    # Title Case capitalises every word and a sentence its first: only a name's own marks
    # (GraphRAG, FP4, OpenAI) or a name inside a sentence-case headline count then.
    if _title_case(title):
        return len(name.split()) == 1 and _marked(name)
    return _marked(name) or not title.startswith(name)


def _marked(word: str) -> bool:
    """A capital after the first letter or a digit: how names differ from capitalised words."""
    return any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word)


def _title_case(title: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", title) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


_CJK_LATIN = re.compile(r"(?<=[\u4e00-\u9fff])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[\u4e00-\u9fff])")


def _spaced(text: str) -> str:
    """One space between Chinese and Latin or digits, as Taiwan's typesetting does: "與 AI 代理"."""
    return " ".join(_CJK_LATIN.sub(" ", text).split())


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]


def chinese_headline(
    edited: EditedTopic, title: str, summary: str, *, quoted: str | None = None
) -> tuple[str, str]:
    """(title, summary) for a zh report: a composed Chinese headline and lead before the extract.

    The headline is read from ``title`` and ``summary``; the extract that follows it is
    ``quoted`` when given (the summary less a sentence that went elsewhere), else ``summary``.
    Unchanged when the title is already Chinese or the event cannot be read.
    """
    if has_cjk(title):
        return title, summary
    text = " ".join([title, summary])
    headline = _templates(edited.event, text) or _topic_headline(edited, title, summary)
    if not headline:
        return title, summary
    headline = in_chinese_places(headline)
    return headline, chinese_lead(headline, text, summary if quoted is None else quoted)


def chinese_lead(opening: str, text: str, extract: str) -> str:
    """``opening``, the facts ``text`` states that it does not ("SWE-bench 得分 82.4%"), then the
    English ``extract`` marked as the source's words: a lead that only repeated the headline would
    tell the reader nothing more. The extract may join several outlets: quoted, credited to none."""
    facts = [f for f in chinese_facts(text) if not all(n in opening for n in re.findall(r"\d[\d,.]*", f))]
    lead = _spaced("，".join([opening, *facts]))
    return f"{lead}。原文摘錄：{extract}" if extract else f"{lead}。"


# Countries and blocs a composed headline may name as its subject ("China 開源新模型"): said as
# Taiwan says them. Only the nouns: a demonym ("Chinese labs") is never a headline's subject.
_PLACES = {
    "China": "中國", "US": "美國", "U.S.": "美國", "USA": "美國", "UK": "英國", "Britain": "英國",
    "EU": "歐盟", "Europe": "歐洲", "Japan": "日本", "India": "印度", "Korea": "韓國",
    "South Korea": "南韓", "France": "法國", "Germany": "德國", "Taiwan": "台灣", "Canada": "加拿大",
    "Singapore": "新加坡", "Israel": "以色列", "Russia": "俄羅斯", "Brazil": "巴西", "UAE": "阿聯",
    "Saudi Arabia": "沙烏地阿拉伯", "Australia": "澳洲", "Italy": "義大利", "Spain": "西班牙",
}  # fmt: skip
_PLACE_NAMES = "|".join(re.escape(p) for p in sorted(_PLACES, key=len, reverse=True))
_PLACE = re.compile(rf"(?<![\w.-])({_PLACE_NAMES})(?![\w-]| [A-Z])")  # "US Steel" is a company
_BETWEEN_CJK = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")


def in_chinese_places(headline: str) -> str:
    """``headline`` with the countries it names in Chinese, joined to the Chinese around them."""
    return _BETWEEN_CJK.sub("", _PLACE.sub(lambda m: _PLACES[m.group(1)], headline))
