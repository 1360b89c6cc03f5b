"""Answers to follow-up questions, composed from the stored items a search found.

``ask`` is what the CLI and the bots call: it searches, then hands the result to an
``Answerer``. ``ExtractiveAnswerer`` needs no model: it shows the best matching item(s) in full
(title, date, section, summary, details, use cases, sources) and names the report(s) they come
from, with labels in the language of the question (zh-TW for a Chinese question, English
otherwise). Stored text is only ever quoted, never interpreted: an item that says "ignore
previous instructions" is shown like any other text. ``bot.llm_answer.LLMAnswerer`` writes
answers with a model over the same ``SearchResult`` and falls back to this one.

The bots pass ``prefer`` (items of the digest a question was asked under score higher; see
``bot.search.ItemIndex.search``) and, for a reply with no topic of its own ("more", "詳細"),
``fallback_items``: the items of the message replied to, shown by ``answer_items``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.search import MAX_QUESTION_CHARS, Hit, Preference, SearchIndex, SearchResult, question_groups
from core.models import SECTION_BY_KEY
from core.store.report_items import ReportedItem
from core.text import has_cjk, shorten

#: Items shown in full; the other hits are listed by title and date.
FULL_ITEMS = 2
#: A further hit is shown in full only when it scores at least this share of the best.
CLOSE_SCORE = 0.75

_LABELS = {
    "en": {
        "from": "From the AI Daily report(s): {reports}",
        "report": "{date} “{title}”",
        "section": "Section",
        "date": "Date",
        "summary": "Summary",
        "details": "Details",
        "use_cases": "Use cases",
        "sources": "Sources",
        "also": "See also",
        "none": "Not in the reports: no stored AI Daily item covers “{question}”.",
        "empty": "Please ask a question, e.g. “more on GPT-5.2”.",
        "long": "(Only the first {limit} characters of the question were used.)",
    },
    "zh": {
        "from": "出自 AI Daily 報告：{reports}",
        "report": "{date}「{title}」",
        "section": "段落",
        "date": "日期",
        "summary": "核心摘要",
        "details": "技術細節",
        "use_cases": "應用場景",
        "sources": "來源",
        "also": "另見",
        "none": "報告中沒有相關內容：已儲存的 AI Daily 報告未涵蓋「{question}」。",
        "empty": "請輸入問題，例如「跟 GPT-5.2 相關的更多」。",
        "long": "（問題過長，只使用了前 {limit} 個字元。）",
    },
}


@dataclass(frozen=True, slots=True)
class Answer:
    """A reply: whether the reports answer the question, the text, and the items it cites."""

    found: bool
    text: str
    items: tuple[ReportedItem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of ``aidaily ask --json`` (DESIGN.md)."""
        return {
            "found": self.found,
            "answer": self.text,
            "items": [
                {
                    "title": found.item.title,
                    "date": found.date.isoformat(),
                    "section": found.item.section,
                    "sources": [s.url for s in found.item.sources if s.valid],
                }
                for found in self.items
            ],
        }


class Answerer(Protocol):
    """Turns what a search found into a reply (extractive now; an LLM-written one later)."""

    def answer(self, result: SearchResult) -> Answer: ...


def language_of(question: str) -> str:
    """ "zh" for a question with Chinese characters, else "en"."""
    return "zh" if has_cjk(question) else "en"


def ask(
    index: SearchIndex,
    answerer: Answerer,
    question: str,
    limit: int = 5,
    *,
    prefer: Preference | None = None,
    fallback_items: Sequence[ReportedItem] = (),
) -> Answer:
    """Answer ``question`` from the stored items; an empty question gets a prompt to ask one.

    ``prefer`` boosts items (see ``SearchIndex.search``). ``fallback_items`` answer a question
    with nothing to search for ("", "more?", "詳細"): the items of the message it replies to.
    """
    labels = _LABELS[language_of(question)]
    if fallback_items and not question_groups(question):
        return answer_items(answerer, fallback_items, question)
    if not question.strip():
        return Answer(False, labels["empty"])
    answer = answerer.answer(index.search(question, limit, prefer))
    if len(question) > MAX_QUESTION_CHARS:
        return Answer(
            answer.found, f"{answer.text}\n\n{labels['long'].format(limit=MAX_QUESTION_CHARS)}", answer.items
        )
    return answer


def answer_items(answerer: Answerer, items: Sequence[ReportedItem], question: str = "") -> Answer:
    """An answer about the given items, in their order, as if a search had found them."""
    hits = tuple(Hit(found, 1.0, 1.0) for found in items)
    return answerer.answer(SearchResult(question[:MAX_QUESTION_CHARS], (), hits))


class ExtractiveAnswerer:
    """The best matching item(s) shown in full, without a model."""

    def answer(self, result: SearchResult) -> Answer:
        labels = _LABELS[language_of(result.question)]
        if not result.found:
            return not_found(result.question)
        hits = result.hits
        top = hits[0].score
        full = [hits[0].found] + [h.found for h in hits[1:FULL_ITEMS] if h.score >= top * CLOSE_SCORE]
        rest = [h.found for h in hits if h.found not in full]
        parts = [reports_line(full, result.question), *(_item_text(found, labels) for found in full)]
        if rest:
            parts.append(_also(rest, labels))
        return Answer(True, "\n\n".join(parts), tuple(h.found for h in hits))


def not_found(question: str) -> Answer:
    """The honest answer when no stored item covers ``question``."""
    shown = shorten(" ".join(question.split()), 80)
    return Answer(False, _LABELS[language_of(question)]["none"].format(question=shown))


def reports_line(shown: Sequence[ReportedItem], question: str) -> str:
    """The line naming the report(s) an answer comes from, in the question's language."""
    labels = _LABELS[language_of(question)]
    reports = dict.fromkeys((found.date, found.report_title) for found in shown)
    named = [labels["report"].format(date=day.isoformat(), title=title) for day, title in reports]
    return labels["from"].format(reports="; ".join(named))


def cited_sources(cited: Sequence[tuple[int, ReportedItem]], question: str) -> str:
    """The sources of an answer: each cited item by its number, title and date, with its links."""
    labels = _LABELS[language_of(question)]
    lines = [f"{labels['sources']}:"]
    for number, found in cited:
        links = [f"{s.name} {s.url}" for s in found.item.sources if s.valid]
        lines.append(f"[{number}] {found.item.title} ({found.date.isoformat()})")
        lines += [f"    {link}" for link in links]
    return "\n".join(lines)


def _item_text(found: ReportedItem, labels: dict[str, str]) -> str:
    item = found.item
    spec = SECTION_BY_KEY.get(item.section)
    section = (spec.heading if labels is _LABELS["zh"] else spec.heading_en) if spec else item.section
    lines = [
        f"■ {item.title}",
        f"{labels['date']}: {found.date.isoformat()} · {labels['section']}: {section}",
        f"{labels['summary']}: {item.summary}",
    ]
    lines += _bullets(labels["details"], item.details)
    lines += _bullets(labels["use_cases"], item.use_cases)
    # Imported reports may carry link targets that are not URLs ("來源1"): only real links are cited.
    lines += _bullets(labels["sources"], [f"{s.name} {s.url}" for s in item.sources if s.valid])
    return "\n".join(lines)


def _bullets(label: str, entries: Any) -> list[str]:
    entries = [e for e in entries if e]
    return [f"{label}:", *(f"- {e}" for e in entries)] if entries else []


def _also(rest: list[ReportedItem], labels: dict[str, str]) -> str:
    return "\n".join([f"{labels['also']}:", *(f"- {f.item.title} ({f.date.isoformat()})" for f in rest)])
