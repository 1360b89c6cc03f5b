"""Writers turn edited topics into report items: the ``Summarizer`` protocol and the extractive writer.

A ``Summarizer`` writes words only. The caller runs ``write_item`` for many topics at once
(``asyncio.gather``), then ``write_overview`` once over the finished items. Sources, entities,
importance and follow-ups are attached by :func:`core.report.writing.items.assemble_item`, which every
writer uses, so no writer can invent a link.

``ExtractiveSummarizer`` needs no network and no keys and gives the same output for the same
input. It picks sentences from the topic's own articles: the summary by centrality to the topic
(what most articles say, weighted by the topic terms), details by specificity (numbers, names),
use cases only where an article says what the thing is for. Text stays in the articles' language,
except that Simplified Chinese becomes Traditional in a zh-TW report (see ``items.py``). An LLM
writer falls back to :func:`extractive_item` for a topic it could not write.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from core.models import EditedTopic, Item, Overview, Topic, WriterStats
from core.report.writing.headlines import chinese_headline, chinese_lead
from core.report.writing.hygiene import is_clean, without_orders
from core.report.writing.items import assemble_item, clean_headline, distinct_articles
from core.report.writing.overview import build_overview
from core.report.writing.sentences import (
    clip,
    content_tokens,
    is_fragment,
    is_repeat,
    looks_truncated,
    specificity,
    split_sentences,
)
from core.report.writing.themes import chinese_theme, is_paper_theme, theme_title
from core.report.writing.use_cases import is_use_case
from core.text import has_cjk, match_key


class Summarizer(Protocol):
    """Writes report items and the overview; implementations: extractive here, LLM in ``llm.py``."""

    name: str

    async def write_item(self, topic: EditedTopic, *, language: str) -> Item: ...

    async def write_overview(
        self, items: Sequence[Item], *, day: date, language: str, articles_count: int
    ) -> Overview: ...

    def usage(self) -> WriterStats:
        """Counts (calls, tokens, ...) since the writer was made; the pipeline stores them per report."""
        ...


class ExtractiveSummarizer:
    """The built-in writer: deterministic, offline, every item field from the articles themselves."""

    name = "extractive"

    async def write_item(self, topic: EditedTopic, *, language: str) -> Item:
        return extractive_item(topic, language=language)

    async def write_overview(
        self, items: Sequence[Item], *, day: date, language: str, articles_count: int
    ) -> Overview:
        return build_overview(items, day=day, language=language, articles_count=articles_count)

    def usage(self) -> WriterStats:
        return WriterStats(writer=self.name)  # no calls, no tokens: nothing to count


SUMMARY_TARGET = 160  # characters: stop adding sentences once the summary is this long
SUMMARY_LIMIT = 400
DETAIL_LIMIT = 300
TITLE_LIMIT = 160
MAX_DETAILS = 5
MAX_USE_CASES = 3
_USE_MARGIN = 0.6  # how much less central a news sentence may be to open instead of a use

# A news lead (the first sentence) is written to stand alone; later sentences lean on it.
_POSITION_BONUS = (0.8, 0.3, 0.15, 0.1, 0.0)
# Centrality is weight per square root of length, but never of fewer tokens than this: a short
# line of the story's names alone ("Nvidia Rubin GPU AI chips") is dense in them and says nothing.
_MIN_NORM_TOKENS = 10
_ANAPHORA = re.compile(
    r"(?:it|this|these|those|they|he|she|both|the (?:model|company|firm|startup|feature|tool|system))\b"
    r"|(?:它|该|該|此|这|這|他们|他們)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    article: int  # index of the article in the topic
    position: int  # index of the sentence in the article
    tokens: frozenset[str]
    score: float


def extractive_item(edited: EditedTopic, *, language: str, writer: str = "extractive") -> Item:
    """An item written only from the topic's articles (also the LLM writer's per-item fallback)."""
    topic = dataclasses.replace(edited.topic, articles=distinct_articles(edited.topic.articles))
    candidates = _candidates(topic)
    # Sentences go where their shape says: the lead opens the summary; "who uses it for what"
    # goes to 應用場景; facts with names and numbers to 技術細節; nothing twice.
    opening = _opening(candidates)
    use_cases = _choose_use_cases(
        [c for c in candidates if c is not opening], [] if opening is None else [opening.tokens]
    )
    routed = {id(c) for c in use_cases}
    summary = _choose_summary(_summary_pool(candidates, routed, opening, language), opening)
    used = [c.tokens for c in summary]
    use_cases = _pick_distinct(use_cases, used, MAX_USE_CASES)
    used += [c.tokens for c in use_cases]
    rest = [c for c in candidates if id(c) not in routed]
    papers = is_paper_theme(topic)
    details = _paper_details(topic, rest, used, language) if papers else None
    title = clip(theme_title(topic, language) or _headline(topic), TITLE_LIMIT)
    lead = clip(_join(c.text for c in summary), SUMMARY_LIMIT)
    if language.startswith("zh") and papers:
        lead = _paper_theme_lead(topic, lead)
    elif language.startswith("zh"):
        title, lead, use_cases = _in_chinese(edited, title, lead, summary, opening, use_cases, rest)
    return assemble_item(
        edited,
        title=title,
        summary=lead,
        details=details if details is not None else _choose_details(rest, used),
        use_cases=[clip(c.text, DETAIL_LIMIT) for c in use_cases],
        writer=writer,
        language=language,
    )


def _paper_theme_lead(topic: Topic, lead: str) -> str:
    """A Chinese lead for several English papers on one theme: how many, on what, what they found."""
    if has_cjk(lead) or not lead:
        return lead
    theme = chinese_theme(topic)
    opening = f"{len(topic.articles)} 篇新研究{'聚焦' + theme if theme else '探討同一主題'}"
    return clip(chinese_lead(opening, lead, lead), SUMMARY_LIMIT)


def _summary_pool(
    candidates: list[_Candidate], routed: set[int], opening: _Candidate | None, language: str
) -> list[_Candidate]:
    """The sentences the summary may go on with after ``opening``.

    A Chinese lead goes on in Chinese: another outlet's English sentence would make the summary
    half English, so it may only be a detail (it stays in ``rest``).
    """
    pool = [c for c in candidates if id(c) not in routed]
    if language.startswith("zh") and opening is not None and has_cjk(opening.text):
        return [c for c in pool if has_cjk(c.text)]
    return pool


def _in_chinese(
    edited: EditedTopic,
    title: str,
    lead: str,
    summary: list[_Candidate],
    opening: _Candidate | None,
    use_cases: list[_Candidate],
    rest: list[_Candidate],
) -> tuple[str, str, list[_Candidate]]:
    """Title, lead and use cases of a zh item.

    A headline composed in Chinese tells the news, so a source's opening sentence that says what
    the thing is for ("…raised $200M to build robots for warehouses") need not be quoted after it:
    when the item has no other use, that sentence is its 應用場景 and the rest of the summary, or
    the best sentence of ``rest`` no bullet took, is quoted. With nothing else to quote it stays:
    a summary that is only a headline says too little.
    """
    if use_cases or opening is None or has_cjk(title) or not is_use_case(opening.text):
        return (*chinese_headline(edited, title, lead), use_cases)
    kept = [c for c in summary if c is not opening]
    if not kept:
        in_summary = {id(c) for c in summary}
        others = [c for c in rest if id(c) not in in_summary and not is_use_case(c.text)]
        kept = [c for c in [_best_next(others, [opening], 0)] if c is not None]
    quoted = clip(_join(c.text for c in kept), SUMMARY_LIMIT)
    if not quoted:
        return (*chinese_headline(edited, title, lead), use_cases)
    headline, composed = chinese_headline(edited, title, lead, quoted=quoted)
    # Nothing composed: the English lead stays the summary, and its use with it.
    return (headline, composed, [opening]) if headline != title else (headline, lead, use_cases)


def _headline(topic: Topic) -> str:
    return clean_headline(topic.lead.title, topic.lead.source)


# --- candidates -------------------------------------------------------------------------------


def _vocabulary(topic: Topic) -> dict[str, float]:
    """Token weights: shared by several articles, in the lead headline, or a topic term."""
    docs = [content_tokens(f"{a.title} {a.summary}") for a in topic.articles]
    df = Counter(t for doc in docs for t in doc)
    n = len(docs)
    weights = {t: df[t] / n for t in df if df[t] > 1 or n == 1}
    for t in content_tokens(topic.lead.title):
        weights[t] = weights.get(t, 0.0) + 1.0
    for rank, term in enumerate(topic.terms[:12]):
        for t in content_tokens(term):
            weights[t] = weights.get(t, 0.0) + 2.0 / (1 + 0.2 * rank)
    return weights


def _candidates(topic: Topic) -> list[_Candidate]:
    """Every usable sentence of every article, scored by centrality to the topic."""
    weights = _vocabulary(topic)
    out = []
    for index, article in enumerate(topic.articles):
        headline = clean_headline(article.title, article.source)
        sentences = [
            s
            for s in split_sentences(without_orders(article.summary))
            if is_clean(s) and not _is_filler(s, headline)
        ]
        if not sentences and index == 0:
            # A feed with titles only: the headline is the one fact we have. Only the lead's may
            # stand in: another article's, short and vague as titles-only items often are, would
            # open the summary of a story other outlets tell.
            sentences = [headline]
        for position, text in enumerate(sentences):
            tokens = content_tokens(text)
            score = _score(text, tokens, weights, index, position)
            out.append(_Candidate(text, index, position, tokens, score))
    return out


def _is_filler(sentence: str, headline: str) -> bool:
    """Too short to say anything, or the article's own headline again (titles-only feeds do that)."""
    return is_fragment(sentence) or match_key(sentence) == match_key(headline)


def _score(
    text: str, tokens: frozenset[str], weights: dict[str, float], article: int, position: int
) -> float:
    """Centrality (weight per square root of length), plus the news lead, minus weak openings."""
    if not tokens:
        return 0.0
    score = sum(weights.get(t, 0.0) for t in tokens) / math.sqrt(max(len(tokens), _MIN_NORM_TOKENS))
    score += _POSITION_BONUS[min(position, len(_POSITION_BONUS) - 1)] + (0.3 if article == 0 else 0.0)
    if _ANAPHORA.match(text):  # "It …", "The model …": needs the sentence before it
        score -= 0.6
    if looks_truncated(text):
        score -= 1.0
    if len(text) > SUMMARY_LIMIT:
        score -= 0.5
    return score


# --- choosing ---------------------------------------------------------------------------------


def _opening(candidates: list[_Candidate]) -> _Candidate | None:
    """The summary's first sentence: the lead article's best (see :func:`_choose_summary`).

    When that sentence says who uses the thing for what and another of the lead's sentences tells
    the news nearly as well, that one opens and the use goes to 應用場景 rather than the summary.
    """
    lead = [c for c in candidates if c.article == 0] or candidates
    best = _best_next(lead, [], 0)
    if best is None or not is_use_case(best.text):
        return best
    news = [c for c in lead if c is not best and not is_use_case(c.text) and _usable_bullet(c.text)]
    alternative = _best_next(news, [], 0)
    if alternative is not None and alternative.score >= best.score - _USE_MARGIN:
        return alternative
    return best


def _choose_summary(candidates: list[_Candidate], opening: _Candidate | None) -> list[_Candidate]:
    """1-3 central sentences, preferring a new article for each (facts merged across outlets).

    The lead article (the one that best speaks for the topic, see ``cluster``) gives the opening
    sentence: another outlet's line, however dense in the story's names, does not open it.
    """
    chosen = [opening] if opening else []
    length = sum(len(c.text) for c in chosen)
    while len(chosen) < 3 and length < SUMMARY_TARGET:
        pick = _best_next(candidates, chosen, length)
        if pick is None:
            break
        chosen.append(pick)
        length += len(pick.text)
    # The best sentence opens the summary; sentences of one article keep their own order.
    first_pick = {c.article: i for i, c in reversed(list(enumerate(chosen)))}
    return sorted(chosen, key=lambda c: (first_pick[c.article], c.position))


def _best_next(candidates: list[_Candidate], chosen: list[_Candidate], length: int) -> _Candidate | None:
    """The highest-scoring sentence that fits and repeats nothing chosen so far."""
    seen_articles = {c.article for c in chosen}
    best, best_score = None, -math.inf
    for c in candidates:
        if c in chosen or is_repeat(c.tokens, [x.tokens for x in chosen]):
            continue
        if chosen and (length + len(c.text) > SUMMARY_LIMIT or not _usable_bullet(c.text)):
            continue
        score = c.score + (0.4 if chosen and c.article not in seen_articles else 0.0)
        if score > best_score:
            best, best_score = c, score
    return best


def _choose_use_cases(candidates: list[_Candidate], used: list[frozenset[str]]) -> list[_Candidate]:
    """Sentences that say what the thing is for; none rather than an invented one."""
    cued = [c for c in candidates if is_use_case(c.text) and _usable_bullet(c.text)]
    return _pick_distinct(sorted(cued, key=lambda c: -c.score), used, MAX_USE_CASES)


def _choose_details(candidates: list[_Candidate], used: list[frozenset[str]]) -> list[str]:
    """Up to five specific sentences (with numbers or names) that the summary does not already say;
    a sentence with neither is no technical detail."""
    pool = [c for c in candidates if len(c.text) >= 25 and _usable_bullet(c.text) and specificity(c.text) > 0]
    ranked = sorted(pool, key=lambda c: -(c.score + specificity(c.text)))
    picked = _pick_distinct(ranked, used, MAX_DETAILS)
    return [clip(c.text, DETAIL_LIMIT) for c in sorted(picked, key=lambda c: (c.article, c.position))]


def _usable_bullet(text: str) -> bool:
    """A bullet must be a whole sentence: no publisher ellipsis, no "Read more" line (see ``hygiene``)."""
    return not looks_truncated(text) and is_clean(text)


def _pick_distinct(ranked: list[_Candidate], used: list[frozenset[str]], limit: int) -> list[_Candidate]:
    """The first ``limit`` candidates of ``ranked`` that repeat neither ``used`` nor each other."""
    picked: list[_Candidate] = []
    for c in ranked:
        if len(picked) == limit:
            break
        if not is_repeat(c.tokens, [*used, *(p.tokens for p in picked)]):
            picked.append(c)
    return picked


def _join(sentences: Iterable[str]) -> str:
    """Sentences joined; headlines (no end mark) are separated by a semicolon."""
    out = ""
    for sentence in sentences:
        if not out:
            out = sentence
        elif out[-1] in "。！？」』）":
            out += sentence
        elif out[-1] in ".!?…\"'”’)":
            out += " " + sentence
        else:
            out += "；" + sentence if has_cjk(out[-1]) else "; " + sentence
    return out


# --- papers -----------------------------------------------------------------------------------


def _paper_details(
    topic: Topic, candidates: list[_Candidate], used: list[frozenset[str]], language: str
) -> list[str]:
    """One bullet per paper: its title and its most central sentence not already used."""
    separator = "：" if language.startswith("zh") else ": "
    bullets = []
    for index, article in enumerate(topic.articles[:MAX_DETAILS]):
        title = clean_headline(article.title, article.source)
        own = [c for c in candidates if c.article == index and c.text != title]
        fresh = _pick_distinct(sorted(own, key=lambda c: -c.score), used, 1)
        if fresh:
            used.append(fresh[0].tokens)
        bullets.append(f"{title}{separator}{clip(fresh[0].text, 220)}" if fresh else title)
    return bullets
