"""Titles for paper themes: several arXiv papers clustered on one subject get one item.

The title names what the papers share and how many there are. In Chinese, by the terms of our
bilingual lexicon (``core.terms``) two papers share: "強化學習與獎勵模型：3 篇研究"; in English,
as their own titles spell it: "Speculative Decoding: 3 related papers". Phrases come from the
topic terms and the tokens two titles share, grown by a neighbouring word while two titles still
agree; abstracts are the fallback when titles share nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from core.models import SourceKind, Topic
from core.report.writing.items import clean_headline, clean_text
from core.report.writing.sentences import content_tokens, strip_boilerplate, word_set
from core.terms import chinese_terms
from core.text import fold, has_cjk

# Words that a title shares without sharing a theme ("Across", "Towards", "Models").
_FUNCTION_WORDS = word_set(
    "a an and the of in on for to with from via by at as is are do does can not no new our we its "
    "across towards toward through under using based beyond within without between into over"
)
# Alone they name no theme; inside a longer phrase they may ("Reinforcement Learning").
_GENERIC_WORDS = word_set(
    "making understanding learning rethinking revisiting evaluating improving analysis approach "
    "study method methods framework model models large language data task tasks"
)
_TITLE_NOISE = _FUNCTION_WORDS | _GENERIC_WORDS


def is_paper_theme(topic: Topic) -> bool:
    """Several papers clustered on one theme (rather than one story told by several outlets)."""
    papers = [a for a in topic.articles if a.source_kind is SourceKind.PAPER or a.arxiv_id]
    return len(topic.articles) > 1 and len(papers) == len(topic.articles)


def theme_title(topic: Topic, language: str) -> str | None:
    """For several papers on one theme, the shared terms and the number of papers; else None."""
    if not is_paper_theme(topic):
        return None
    lead_title = clean_headline(topic.lead.title, topic.lead.source)
    n = len(topic.articles)
    terms = _theme_terms(topic)
    if language.startswith("zh"):
        # A Chinese paper names its own theme better than the words two titles happen to share.
        named = chinese_theme(topic) or (lead_title if has_cjk(lead_title) else "")
        if named:
            return f"{named}：{n} 篇研究"
        return f"{'、'.join(terms) if terms else lead_title} 等 {n} 篇研究"
    if terms:
        return f"{_capitalize(' and '.join(terms))}: {n} related papers"
    return f"{lead_title} and {n - 1} related paper{'s' if n > 2 else ''}"


def chinese_theme(topic: Topic) -> str:
    """The theme in Chinese: the lexicon's terms two papers share, else those of the lead paper."""
    per_paper = [
        chinese_terms(clean_text(f"{a.title} {strip_boilerplate(a.summary)}"), 6) for a in topic.articles
    ]
    counts = Counter(term for terms in per_paper for term in terms)
    shared = [term for term, n in counts.most_common() if n > 1][:2]
    return "與".join(shared or chinese_terms(clean_text(topic.lead.title), 2))


def _theme_terms(topic: Topic, limit: int = 2) -> list[str]:
    """Up to ``limit`` phrases shared by two paper titles (else by two abstracts), as spelled there."""
    titles = [clean_text(a.title) for a in topic.articles]
    found = _shared_phrases(topic.terms, titles, limit)
    if found:
        return found
    texts = [clean_text(f"{a.title} {strip_boilerplate(a.summary)}") for a in topic.articles]
    return _shared_phrases(topic.terms, texts, limit)


def _shared_phrases(terms: Sequence[str], texts: list[str], limit: int) -> list[str]:
    """Topic terms, then shared tokens, that at least two ``texts`` contain; extended to phrases."""
    out: list[str] = []
    for term in [*terms, *_shared_title_tokens(texts)]:
        display = _spelled_as_in(term, texts)
        if display is None or not _substantial(display):
            continue
        display = _extend_phrase(display, texts)
        if not any(fold(display) in fold(t) or fold(t) in fold(display) for t in out):
            out.append(display)
        if len(out) == limit:
            break
    return out


def _extend_phrase(phrase: str, titles: list[str]) -> str:
    """Grow a Latin phrase by a word either side while two titles still share it ("LLM Judges")."""
    if has_cjk(phrase):
        return phrase
    for _ in range(3):
        longer = _neighbour(phrase, titles, before=False) or _neighbour(phrase, titles, before=True)
        if longer is None:
            break
        phrase = longer
    return phrase


def _neighbour(phrase: str, titles: list[str], *, before: bool) -> str | None:
    """``phrase`` with the word most titles put right after (or before) it, if two titles agree."""
    word = r"([\w-]+)"
    core = re.escape(phrase)
    shape = rf"{word}\s+{core}(?![\w-])" if before else rf"(?<![\w-]){core}\s+{word}"
    pattern = re.compile(shape, re.IGNORECASE)
    counts = Counter(m.group(1).casefold() for t in titles if (m := pattern.search(t)))
    found, count = counts.most_common(1)[0] if counts else ("", 0)
    if count < 2 or found in _FUNCTION_WORDS:
        return None
    return _spelled_as_in(f"{found} {phrase}" if before else f"{phrase} {found}", titles)


def _shared_title_tokens(titles: list[str]) -> list[str]:
    """Tokens in more than one title, most shared first."""
    counts = Counter(t for title in titles for t in content_tokens(title))
    return [t for t, n in counts.most_common() if n > 1]


def _spelled_as_in(term: str, titles: list[str]) -> str | None:
    """``term`` as written in the titles, if at least two of them contain it."""
    # Latin terms match whole words only; CJK has no word boundaries to respect.
    bounded = "{}" if has_cjk(term) else r"(?<![\w-]){}(?:s|es)?(?![\w-])"
    pattern = re.compile(bounded.format(re.escape(term)), re.IGNORECASE)
    found = [m.group() for title in titles if (m := pattern.search(title))]
    return found[0] if len(found) > 1 else None


def _substantial(term: str) -> bool:
    """A term worth naming in a title: a CJK word of 2+ characters, a Latin word of 4+ or an acronym."""
    if has_cjk(term):
        return len(term) >= 2
    if term.casefold() in _TITLE_NOISE:
        return False
    return len(term) >= 4 or any(c.isupper() for c in term[1:])


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
