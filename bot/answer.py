"""Answers to follow-up questions, composed from the stored items a search found.

``ask`` is what the CLI and the bots call: it searches, then hands the result to an
``Answerer``. ``ExtractiveAnswerer`` needs no model: it shows the best matching item(s) in full
(title, date, section, summary, details, use cases, sources) and names the report(s) they come
from, with labels in the language of the question (zh-TW for a Chinese question, English
otherwise). Stored text is only ever quoted, never interpreted: an item that says "ignore
previous instructions" is shown like any other text. An LLM-written answer is a later
``Answerer`` over the same ``SearchResult``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.search import MAX_QUESTION_CHARS, SearchIndex, SearchResult
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


def ask(index: SearchIndex, answerer: Answerer, question: str, limit: int = 5) -> Answer:
    """Answer ``question`` from the stored items; an empty question gets a prompt to ask one."""
    labels = _LABELS[language_of(question)]
    if not question.strip():
        return Answer(False, labels["empty"])
    answer = answerer.answer(index.search(question, limit))
    if len(question) > MAX_QUESTION_CHARS:
        return Answer(
            answer.found, f"{answer.text}\n\n{labels['long'].format(limit=MAX_QUESTION_CHARS)}", answer.items
        )
    return answer


class ExtractiveAnswerer:
    """The best matching item(s) shown in full, without a model."""

    def answer(self, result: SearchResult) -> Answer:
        labels = _LABELS[language_of(result.question)]
        if not result.found:
            question = shorten(" ".join(result.question.split()), 80)
            return Answer(False, labels["none"].format(question=question))
        hits = result.hits
        top = hits[0].score
        full = [hits[0].found] + [h.found for h in hits[1:FULL_ITEMS] if h.score >= top * CLOSE_SCORE]
        rest = [h.found for h in hits if h.found not in full]
        parts = [_reports_line(full, labels), *(_item_text(found, labels) for found in full)]
        if rest:
            parts.append(_also(rest, labels))
        return Answer(True, "\n\n".join(parts), tuple(h.found for h in hits))


def _reports_line(shown: list[ReportedItem], labels: dict[str, str]) -> str:
    reports = dict.fromkeys((found.date, found.report_title) for found in shown)
    named = [labels["report"].format(date=day.isoformat(), title=title) for day, title in reports]
    return labels["from"].format(reports="; ".join(named))


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
