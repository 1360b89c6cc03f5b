"""Named things in a topic's text: products, companies, people, models.

Used by the editor (:mod:`core.report.editing.editor`, which re-exports :func:`extract_entities`), the
writers and the bot. Word lists live in :mod:`core.report.editing.lexicon`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from core.report.editing import lexicon
from core.text import has_cjk, match_key

_LATIN = r"[A-Za-z0-9][A-Za-z0-9.&'’\-\u2010\u2011]*"
_SPAN = re.compile(rf"{_LATIN}(?: {_LATIN})*")
_QUOTED = re.compile(r"[「『《“]([^」』》”]{2,16})[」』》”]")
_VERSION = re.compile(r"\d+(?:\.\d+)*[A-Za-z]?")
_AMOUNT = re.compile(r"\$?\d[\d.,]*(?:[kmbt]n?|bn|tn|%)?", re.IGNORECASE)
_COMPOUND = re.compile(r"-[a-z]{3,}$")  # an adjective compound ends in a lowercase word
_OPENER = re.compile(r"^[A-Z][a-z]+(?:ing|ed|ly)$")  # a headline's first verb or adverb
_MAX_SPAN = 4
_FEW = 3  # fewer names than this and key concepts fill in
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{2,4}s?(?![A-Za-z])")


def extract_entities(texts: Sequence[str], limit: int = 8) -> tuple[str, ...]:
    """Named things in ``texts`` (products, companies, people, models), most prominent first.

    Pass titles before summaries: an earlier text weighs more. Names keep their display form
    ("GPT‑5.2") and are deduplicated by :func:`core.text.match_key`. When fewer than three
    names turn up, key concepts ("大模型", "API") fill in.
    """
    scores, display = _tally(texts)
    order = {key: i for i, key in enumerate(display)}
    ranked = [display[k] for k in sorted(scores, key=lambda k: (-scores[k], order[k]))]
    if len(ranked) < _FEW:
        ranked += [term for term in _concepts(texts) if match_key(term) not in scores][: _FEW - len(ranked)]
    return tuple(ranked[:limit])


def _tally(texts: Sequence[str]) -> tuple[dict[str, float], dict[str, str]]:
    """Prominence per name key (each mention weighs 1 + 1/(text index + 1)) and display forms."""
    scores: dict[str, float] = {}
    display: dict[str, str] = {}
    pending: list[tuple[str, str, float]] = []
    for index, text in enumerate(texts):
        for name, sure in _names(text):
            key, weight = match_key(name), 1.0 + 1.0 / (index + 1)
            if key and sure:
                scores[key] = scores.get(key, 0.0) + weight
                display.setdefault(key, name)
            elif key:
                pending.append((key, name, weight))
    _add_openings(scores, display, pending)
    return scores, display


def _add_openings(
    scores: dict[str, float], display: dict[str, str], pending: list[tuple[str, str, float]]
) -> None:
    """A lone capitalized word opening a sentence is a name if written so elsewhere too, or if it
    opens two sentences ("Drax plans ..." / "Drax said ...")."""
    openings = Counter(key for key, _, _ in pending)
    for key, name, weight in pending:
        if key in scores or openings[key] > 1:
            scores[key] = scores.get(key, 0.0) + weight
            display.setdefault(key, name)


def _concepts(texts: Sequence[str]) -> list[str]:
    """Where a text names no one ("大模型價格戰再起"), its key concepts stand in: Chinese lexicon
    terms (longest first, none inside another) and acronyms such as "API" or "LLM"."""
    joined = "\n".join(texts)
    chinese = sorted(
        (t for t in lexicon.RELEVANCE_ZH if t in joined), key=lambda t: (-len(t), joined.find(t))
    )
    found: list[str] = []
    for term in chinese:
        if not any(term in longer for longer in found):
            found.append(term)
    acronyms = (w for w in _ACRONYM.findall(joined) if w.lower() in lexicon.WEAK_NAMES)
    return list(dict.fromkeys([*found, *acronyms]))


def _names(text: str) -> list[tuple[str, bool]]:
    """Candidate names in one text, each with whether it is surely a name.

    Capitalized runs of Latin words (in Chinese text every Latin word is a name), and terms in
    Chinese quotation marks.
    """
    # Quoted Chinese terms ("「慧思開物」"); quoted Latin names are found as spans below.
    found = [(m.start(), m.group(1).strip(), True) for m in _QUOTED.finditer(text) if has_cjk(m.group(1))]
    chinese = has_cjk(text)
    if chinese:  # the major players by their Chinese names ("百度", "阿里巴巴"), as written
        found += [(text.find(alias), alias, True) for alias in lexicon.MAJOR_CHINESE if alias in text]
    headline = lexicon.headline_style(text)
    for match in _SPAN.finditer(text):
        before = text[max(0, match.start() - 4) : match.start()].rstrip()
        initial = not chinese and (not before or before[-1] in ".!?:;。！？：；")
        runs = _runs(match.group().split(" "), initial=initial, headline=headline)
        found.extend((match.start(), name, sure) for name, sure in runs)
    return [(name, sure) for _, name, sure in sorted(found, key=lambda f: f[0])]


def _runs(words: list[str], *, initial: bool, headline: bool) -> list[tuple[str, bool]]:
    """Runs of name-like words in a span of Latin words, cleaned of edge punctuation."""
    runs: list[tuple[list[str], bool]] = []
    current: list[str] = []
    starts_sentence = initial
    for raw in words:
        word = _bare(raw)
        opener = starts_sentence and _OPENER.search(word) is not None  # "Introducing GPT-5.2"
        if word and not opener and _name_like(word, bool(current), headline):
            if not current:
                runs.append((current, not starts_sentence or lexicon.strong_name(word)))
            current.append(word)
        else:
            current = []
        if raw != word:
            current = []  # "OpenAI's model", "GPT-6. The": punctuation ends a name
        starts_sentence = raw.endswith((".", "!", "?"))
    # A run of two or more words is a name even at the start of a sentence ("Sam Altman said").
    return [(" ".join(run), sure or len(run) > 1) for run, sure in runs if len(run) <= _MAX_SPAN]


def _bare(raw: str) -> str:
    """A word without edge punctuation or a possessive "'s"."""
    word = raw.rstrip(".,'’-")
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _name_like(word: str, continuing: bool, headline: bool) -> bool:
    if continuing and _VERSION.fullmatch(word):
        return True  # "Opus 4.5", "Gemini 3"
    if word[0].islower() and not lexicon.strong_name(word):
        return False  # most words: decided without looking further
    if word.lower() in lexicon.NOT_ENTITIES or _AMOUNT.fullmatch(word) or _COMPOUND.search(word):
        return False  # "$50M", "5.5B", "AI-powered", "Gemini-based" name nothing
    return lexicon.strong_name(word) or (word[0].isupper() and not headline)
