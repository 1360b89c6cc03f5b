"""What kind of event a story reports, who does it and to what: read off its headlines.

A story's section follows the kind of event (a funding round is market news wherever it
happens), and the Chinese headline the extractive writer composes is built from the same
reading: subject first, then the verb of the kind, then its object ("Anthropic 發布 Claude Opus 5").

The reading is deliberately shallow: the earliest verb of a known kind in a headline decides
(lead article first, then the others, then the first sentences), and the subject is the name
right before that verb. A headline with no such verb is analysis when it asks or explains
("Why …", "How …", "…?"), else ``other``, and the editor falls back to its cue words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.models import Event, SourceKind, Topic
from core.text import has_cjk

# Each kind: English verb phrases (matched on word boundaries, case-insensitive) and Chinese cues.
# Order matters only for ties at one position: the more specific kind first.
_KINDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "acquisition",
        r"acquires?|acquired|acquiring|to acquire|acquisition of|buys|bought|to buy|snaps up|"
        r"takes over|takeover of|merges? with|merger with|to buy",
        ("收購", "併購", "并购", "收购"),
    ),
    (
        "funding",
        r"raises|raised|raising|secures|secured|lands|closes|bags|nabs|funding round|funding|"
        r"seed round|series [a-h]\b|valuation|valued at",
        ("融資", "融资", "募資", "估值", "天使輪", "A輪", "B輪", "C輪"),
    ),
    (
        "earnings",
        r"earnings|quarterly results|quarterly revenue|reports? (?:record )?(?:revenue|profit|results)|"
        r"(?:revenue|profit|sales|shares|stock) "
        r"(?:rises|rise|jumps?|falls?|grows?|climbs?|slides?|soars?|surges?|tumbles?)|"
        r"lifts? revenue|beats (?:estimates|expectations)|quarter",
        ("財報", "财报", "營收", "营收", "季度業績"),
    ),
    (
        "partnership",
        r"partners? with|partnership with|teams? up with|joins forces with|signs (?:a )?deal with|"
        r"(?:signs|inks|strikes|wins) .{0,40}\bdeal|alliance with|collaborat\w+ with",
        ("合作", "攜手", "携手", "聯手", "联手", "結盟"),
    ),
    (
        "open_source",
        r"open[- ]sources?|open[- ]sourced|open[- ]weights?|releases? (?:the )?weights|on github",
        ("開源", "开源"),
    ),
    (
        "policy",
        r"bans?|banned|regulat\w+|sues|sued|lawsuit|fines?|fined|rules? (?:that|against)|"
        r"passes|approves?|approved|approval|probe[sd]?|investigat\w+|law|bill|act\b|executive order|"
        r"scrutiny|demands? (?:answers|that|from)|calls? for|jailed|court|regulators?|lawmakers|"
        r"copyright|warns?|attorneys? general|safety",
        ("監管", "监管", "法規", "法规", "法案", "政策", "起訴", "起诉", "禁令", "罰款"),
    ),
    (
        "deployment",
        r"deploys?|deployed|adopts?|adopted|rolls out .{0,30}\b(?:to|across) (?:its )?"
        r"(?:hospitals?|banks?|stores?|schools?|clinics?|factories|employees|staff|customers)|"
        r"uses?|using|pilots?|piloting|to trial|trial of|taps .{1,40} (?:to|for)|turns? to|"
        r"expands .{1,40} to \d[\d,]* (?:factories|stores|hospitals|sites|branches|countries)",
        ("部署", "導入", "导入", "落地", "應用於", "应用于"),
    ),
    (
        "tool",
        r"sdk|library|toolkit|framework for|guide to|guide|tutorial|how to|cheat sheet|dataset|plugin|"
        r"cli\b|step[- ]by[- ]step|tips|tricks",
        ("教程", "教學", "工具", "資料集", "数据集", "數據集", "指南", "SDK"),
    ),
    (
        "release",
        r"launch(?:es|ed)?|releas(?:es|ed)|unveil(?:s|ed)?|introduc(?:es|ed)|debuts?|debuted|"
        r"announc(?:es|ed)|ships|shipped|rolls out|rolled out|reveals?|revealed|"
        r"previews?|previewed|updates?|upgrades?|introducing|adds|added|shows? off|publishes|"
        r"unveiling|presents",
        ("發布", "发布", "發佈", "推出", "亮相", "上線", "上线", "更新", "升級", "升级", "公布"),
    ),
    (
        "rollout",
        r"(?:is |are )?now available|available (?:today|now) (?:in|on|to)|comes to|coming to|"
        r"arrives on|arrives in|expands? to|expands|brings? .{1,40} to|can now|"
        r"now (?:runs?|scales?|supports?)|"
        r"starts? offering|becomes (?:the )?default",
        ("開放", "开放", "登陸", "登陆", "上架"),
    ),
)
_PATTERNS = tuple((kind, re.compile(rf"(?<![\w-])(?:{en})(?![\w-])", re.I), zh) for kind, en, zh in _KINDS)
_ANALYSIS = re.compile(
    r"^(?:why|how|what|when|where|who|is|are|can|should|will|does|do|the case|opinion|analysis|"
    r"explainer|inside|the rise|the end)\b|\?\s*$|^[^:]{2,40}:\s*(?:why|how|what)\b",
    re.I,
)
_ANALYSIS_ZH = ("為什麼", "为什么", "如何", "觀點", "观点", "分析", "解讀", "解读", "？")
# A name: capitalised or digit-bearing tokens, possibly joined by "-", ".", "&" or "of".
_NAME_TOKEN = r"(?:[A-Z][\w.&+'’\-]*|[a-z]+[A-Z][\w.\-]*|\d[\w.\-]*[A-Za-z][\w.\-]*)"
_NAME = re.compile(rf"{_NAME_TOKEN}(?:\s+(?:of\s+)?{_NAME_TOKEN})*(?:\s+\d+(?:\.\d+)*[A-Za-z]?\b)?")
_AMOUNT = re.compile(r"^[$€£¥]|^\d[\d.,]*\s*(?:[kmbt]n?|bn|tn|million|billion|%)?$", re.I)
_POSSESSIVE = re.compile(r"['’]s$")
_LEADING_WORDS = frozenset(
    {"the", "a", "an", "new", "report", "exclusive", "breaking", "update", "how", "why", "what", "when"}
)
_GENERIC_NAMES = frozenset({"AI", "The", "A", "An", "New", "It", "This", "Its", "Report", "Exclusive"})
# Words that make a title's object a model, not a product.
_MODEL_WORDS = re.compile(
    r"\b(?:models?|llms?|weights|parameters|reasoning|open[- ]weight)\b|模型|大模型|多模態|多模态", re.I
)
_MODEL_NAMES = re.compile(
    r"\b(?:GPT|o\d|Claude|Gemini|Gemma|Llama|Qwen|DeepSeek|Mistral|Mixtral|Grok|Phi|Kimi|GLM|ERNIE|"
    r"Sora|Veo|Imagen|Midjourney|Stable Diffusion|Flux|Nova|Titan|Command|Jamba|Yi|Baichuan|"
    r"MiniMax|Hunyuan|Doubao|Step|Olmo|Falcon|Nemotron|文心|通義|通义|千問|千问|混元|日日新|豆包)[\w.\- ]*\d",
    re.I,
)
_DEVELOPER_WORDS = re.compile(r"\b(?:developers?|api|sdk|open[- ]source|github|coding|code)\b", re.I)


def read_event(topic: Topic) -> Event:
    """The story's event: kind, subject and object, from its headlines first."""
    if topic.articles and all(a.source_kind is SourceKind.PAPER for a in topic.articles):
        return Event("paper", sure=True)
    for text in _headlines(topic):
        event = _event_in(text)
        if event is not None:
            return event
    for text in _headlines(topic):
        if _ANALYSIS.search(text) or any(cue in text for cue in _ANALYSIS_ZH):
            return Event("analysis", subject=_first_name(text), sure=True)
    for text in _openings(topic):
        event = _event_in(text)
        if event is not None:
            return Event(event.kind, event.subject, event.object, sure=False)
    return Event("other", subject=_first_name(topic.articles[0].title) if topic.articles else "")


def is_model(event: Event, text: str) -> bool:
    """Whether the event's object (or the story, by its text) is an AI model rather than a product."""
    return bool(_MODEL_NAMES.search(f"{event.object} {text}") or _MODEL_WORDS.search(text))


def for_developers(text: str) -> bool:
    return _DEVELOPER_WORDS.search(text) is not None


def _headlines(topic: Topic) -> Iterable[str]:
    return (a.title for a in topic.articles if a.title.strip())


def _openings(topic: Topic) -> Iterable[str]:
    for article in topic.articles:
        first = re.split(r"(?<=[.!?。！？])\s*", article.summary.strip(), maxsplit=1)[0]
        if first:
            yield first


def _event_in(text: str) -> Event | None:
    """The kind whose verb comes first in ``text``, with the names around it."""
    found: list[tuple[int, int, str, int]] = []
    for order, (kind, english, chinese) in enumerate(_PATTERNS):
        match = english.search(text)
        if match:
            found.append((match.start(), order, kind, match.end()))
        if has_cjk(text):
            hits = [(text.find(cue), cue) for cue in chinese if cue in text]
            if hits:
                at, cue = min(hits)
                found.append((at, order, kind, at + len(cue)))
    if not found:
        return None
    start, _, kind, end = min(found)
    subject, owned = _owner(text[:start])
    return Event(kind, subject=subject, object=owned or _first_name(text[end:]), sure=True)


def _owner(before: str) -> tuple[str, str]:
    """(subject, its product) when the subject is possessive: "Alibaba's Qwen3.5 …" → both."""
    match = re.search(rf"({_NAME_TOKEN}(?:\s+{_NAME_TOKEN})*)['’]s\s+(\S+)", before)
    if match:
        owned = _clean(match.group(2))
        if (owned and owned[0].isupper()) or any(c.isdigit() for c in owned):
            return _clean(match.group(1)), owned
    return _subject(before), ""


def _subject(before: str) -> str:
    """The name right before the verb: "Chinese AI lab DeepSeek" → "DeepSeek"."""
    names = [_clean(m.group()) for m in _NAME.finditer(before)]
    names = [n for n in names if n and n not in _GENERIC_NAMES]
    if names:
        return names[-1]
    return _chinese_subject(before)


def _chinese_subject(before: str) -> str:
    head = re.split(r"[，,：:；;。\s]", before.strip())[-1] if before.strip() else ""
    return head if has_cjk(head) and 2 <= len(head) <= 12 else ""


def _first_name(text: str) -> str:
    for match in _NAME.finditer(text):
        name = _clean(match.group())
        if name and name not in _GENERIC_NAMES and not _AMOUNT.search(name):
            return name
    return ""


def _clean(name: str) -> str:
    words = [_POSSESSIVE.sub("", w).strip(".,:;'’\"-") for w in name.split()]
    while words and words[0].lower() in _LEADING_WORDS:
        words = words[1:]
    while words and words[-1].lower() == "of":
        words = words[:-1]
    return " ".join(w for w in words if w)


# The section each kind of event belongs in; None: the kind alone does not decide.
_SECTION_OF_KIND = {
    "funding": "market",
    "acquisition": "market",
    "earnings": "market",
    "tool": "tools",
    # "paper": None, the editor's cues decide (a paper releasing a dataset or toolkit is a tool)
    "deployment": "applications",
    "partnership": "applications",
    "policy": "trends",
    "analysis": "trends",
}


def section_for(event: Event, text: str) -> str | None:
    """The section the kind of event puts a story in, or None when the kind does not decide.

    Releases split by what is released: a model is research, something for developers is a
    tool, a product for everyone is an application.
    """
    if not event.sure:
        return None
    if event.kind in _SECTION_OF_KIND:
        return _SECTION_OF_KIND[event.kind]
    if event.kind in ("release", "open_source", "rollout"):
        if is_model(event, text):
            return "research"
        if event.kind == "open_source" or for_developers(text):
            return "tools"
        return "applications"
    return None
