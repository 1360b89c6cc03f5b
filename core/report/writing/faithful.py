"""Faithful by construction: names and figures a model writes must occur in what it was given.

The LLM writer checks every answer against its sources (an item against its topic's articles,
the overview against the finished items) before using it. What is checked:

* **Latin-script names**: runs of capitalized, CamelCase, all-caps or lettered-and-digit words
  ("Zyphra Quantum-9", "GPT‑5.2", "Google DeepMind"). Each word of a run must occur in the
  sources, compared folded (:func:`core.text.fold`: width, dash, quote and case variants match),
  stemmed ("OpenAI's" is "OpenAI"), or as a substring of the sources' :func:`match_key` ("GPT 5.2"
  matches "GPT-5.2"). Common words pass (the lexicon's stopwords and generic news words, and a
  few sentence openers such as "Researchers"), so a Title-Case Headline is no problem; any other
  capitalized word counts as a name, even at the start of a sentence (except a verb or adverb
  form there: "Unveiled", "Notably"), because an invented name is worse than a rewritten
  sentence. The overview, free prose written from already checked items, is checked with
  ``openers=False``: there a lone word opening a sentence ("Expect", "Worth") is let be.
  A major player written in English passes when the sources name it in Chinese, and the other
  way round ("Alibaba" / 阿里巴巴). Lower-case words in Chinese text ("token") are terms, not
  names, and are not checked.
* **Chinese names**: the major players' Chinese names (core.report.editing.lexicon), and terms in
  Chinese quotation marks (「…」『…』《…》). Both sides are converted to Simplified characters
  before comparing, so Traditional and Simplified variants match. Chinese names that are neither
  cannot be found without a named-entity model and are not checked.
* **Links**: an answer may contain no URL at all; sources are attached by our code.
* **Instructions** stored in the sources ("Output 'X'") are no facts: ``core.report.writing.instructions``
  removes them from what an answer may draw on and finds answers that repeat them.
* **Figures**: numbers written with Latin digits (full-width digits too), with their currency
  and scale. A figure passes when the same number occurs in the sources, or when its value
  does: "10 億美元" = "$1 billion", "150 萬" = "1.5 million", "$2.5B" = "2.5 billion". Percentages
  compare by number. Bare whole numbers up to 10 (counts such as "3 款模型" for "three models")
  pass; numbers written in Chinese numerals (十億) are not checked. Digits inside names
  ("Quantum-9", "GPT-5") belong to the name check.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core.report.editing import lexicon
from core.text import fold, match_key

_LATIN_SPAN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.&'\-]*(?: [A-Za-z0-9][A-Za-z0-9.&'\-]*)*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_QUOTED = re.compile(r"[「『《]([^」』》]{2,16})[」』》]")
_VERSION = re.compile(r"\d+(?:\.\d+)*[a-z]?")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'）」]+", re.IGNORECASE)
# A verb or adverb opening an English sentence ("Built on ...", "Unveiled today ...", "Notably").
_OPENER = re.compile(r"[A-Z][a-z]+(?:ed|ing|ly)")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBERS = re.compile(_NUMBER)
# A figure in folded text: currency, a number not glued to a Latin word ("gpt-5", "h100" and "4o"
# are names), and a scale or unit. "10x" has a unit but no value; it is compared as a number.
_FIGURE = re.compile(
    rf"(?<![a-z0-9.\-])(?P<currency>[$€£¥])?\s?(?P<number>{_NUMBER})\s?"
    r"(?P<scale>%|percent\b|per cent\b|thousand\b|million\b|billion\b|trillion\b|bn\b|tn\b|[kmbtx]\b"
    r"|千|萬|万|億|亿|兆)?(?![a-z0-9]|\.\d)"
)
_SCALES = {
    "k": 1e3, "thousand": 1e3, "千": 1e3, "萬": 1e4, "万": 1e4, "m": 1e6, "million": 1e6,
    "億": 1e8, "亿": 1e8, "b": 1e9, "bn": 1e9, "billion": 1e9, "t": 1e12, "tn": 1e12,
    "trillion": 1e12, "兆": 1e12,
}  # fmt: skip
_SMALL_COUNT = 10
# Capitalized words that open sentences of news prose and name no one, beside the lexicon's lists.
_OPENERS = """researchers developers engineers customers analysts experts investors critics executives
    regulators officials scientists organizations enterprises businesses teams creators students
    patients doctors governments lawmakers additionally overall together instead unlike despite
    following notably separately similarly currently initially meanwhile built based visit available
    according"""
_COMMON = lexicon.STOPWORDS | lexicon.GENERIC | frozenset(lexicon.words(" ".join(lexicon.NOT_ENTITIES)))
_COMMON |= frozenset(lexicon.words(_OPENERS))


@dataclass(frozen=True, slots=True)
class Evidence:
    """The text an answer may draw on, prepared once for many checks."""

    words: frozenset[str]  # lexicon.words of the sources
    key: str  # match_key of all sources, Simplified characters
    text: str  # folded sources, Simplified characters
    numbers: frozenset[str]  # every number, normalized ("1,000.50" -> "1000.5")
    values: frozenset[float]  # every figure with a scale, as a value
    majors: frozenset[str]  # major players the sources name, in any of their names


@dataclass(frozen=True, slots=True)
class Problems:
    """What an answer says that its sources do not."""

    names: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    links: tuple[str, ...] = ()  # URLs: sources are attached by our code, never written
    language: str = ""  # set when the answer is not in this report language (see in_language)

    def __bool__(self) -> bool:
        return bool(self.names or self.figures or self.links or self.language)

    def describe(self) -> str:
        parts = (("names", self.names), ("figures", self.figures), ("links", self.links))
        found = [f"{label}: {', '.join(values)}" for label, values in parts if values]
        return "; ".join([*found, f"not in {self.language}"] if self.language else found)


def evidence(texts: Iterable[str]) -> Evidence:
    """Prepare source texts (article titles and summaries, or finished items) for checking."""
    joined = "\n".join(texts)
    folded = _simplified(fold(joined))
    return Evidence(
        words=frozenset(lexicon.words(joined)),
        key=match_key(folded),
        text=folded,
        numbers=frozenset(_normal(m.group()) for m in _NUMBERS.finditer(folded)),
        values=frozenset(v for f in _FIGURE.finditer(folded) if (v := _value(f)) is not None),
        majors=_majors(joined, folded),
    )


def check(texts: Sequence[str], sources: Evidence, *, openers: bool = True) -> Problems:
    """Names and figures in ``texts`` (a model's answer) that ``sources`` do not contain.

    ``openers=False`` leaves a lone capitalized word opening an English sentence unchecked (see
    the module docstring): for free prose such as the overview's, drawn from checked items.
    """
    names: dict[str, None] = {}
    figures: dict[str, None] = {}
    links: dict[str, None] = {}
    for text in texts:
        links.update(dict.fromkeys(_URL.findall(text)))
        text = _URL.sub(" ", text)  # a URL's parts are not names or figures of their own
        names.update(dict.fromkeys(_unsupported_names(text, sources, openers)))
        figures.update(dict.fromkeys(_unsupported_figures(text, sources)))
    return Problems(tuple(names), tuple(figures), tuple(links))


def in_language(texts: Sequence[str], language: str) -> bool:
    """False when an English report's text is mostly Chinese (a source left untranslated).

    A zh-TW answer is not judged: our code converts Simplified to Traditional, and English names
    in Chinese text are what the prompt asks for.
    """
    if language.startswith("zh"):
        return True
    joined = "".join(texts)
    return len(_CJK.findall(joined)) <= sum(1 for c in joined if c.isascii() and c.isalpha())


# --- names ------------------------------------------------------------------------------------


def _unsupported_names(text: str, sources: Evidence, openers: bool) -> list[str]:
    out = []
    for run, opens in _latin_runs(text):
        if openers or not opens or len(run) > 1 or lexicon.strong_name(run[0]):
            out += _failing_parts(run, sources)
    out += [term for term in _chinese_names(text) if not _chinese_supported(term, sources)]
    return out


def _latin_runs(text: str) -> list[tuple[list[str], bool]]:
    """Runs of name-like Latin words ("Zyphra Quantum-9"), each with whether it opens a sentence."""
    text = _plain(text)
    english = _CJK.search(text) is None
    runs: list[tuple[list[str], bool]] = []
    for span in _LATIN_SPAN.finditer(text):
        opening = english and _opens_sentence(text[: span.start()])
        current: list[str] | None = None
        for raw in span.group().split(" "):
            word = raw.rstrip(".'-").removesuffix("'s")
            opener = opening and _OPENER.fullmatch(word) is not None
            if word and not opener and _name_like(word, continuing=bool(current)):
                if current is None:
                    current = []
                    runs.append((current, opening))
                current.append(word)
            else:
                current = None
            opening = english and raw.endswith(".")
            if opening:
                current = None  # "GPT-6. The": a full stop ends a name
    return runs


def _opens_sentence(before: str) -> bool:
    before = before.rstrip()
    return not before or before[-1] in '.!?:;"“(–—-'


def _plain(text: str) -> str:
    """Width variants, dashes and quotes as ASCII, capitals kept (``fold`` would lose them)."""
    return _DASHES.sub("-", unicodedata.normalize("NFKC", text)).replace("\u2019", "'")


def _name_like(word: str, *, continuing: bool) -> bool:
    if continuing and _VERSION.fullmatch(word):
        return True  # "Gemini 3", "Opus 4.5"
    if word[0].isdigit() or not (word[0].isupper() or lexicon.strong_name(word)):
        return False  # "405B", "10x" are figures; lower-case words are not names
    return not _is_common(word)


def _is_common(word: str) -> bool:
    return all(w in _COMMON for w in lexicon.words(word))


def _failing_parts(run: list[str], sources: Evidence) -> list[str]:
    """The parts of a run whose words the sources do not contain ("OpenAI Zyphra" -> "Zyphra")."""
    key = match_key(" ".join(run))
    if len(key) >= 4 and key in sources.key:
        return []  # the whole run, spaced or dashed otherwise ("GPT 5.2" / "GPT-5.2")
    parts: list[str] = []
    current: list[str] = []
    for position, word in enumerate(run):
        if _word_supported(word, sources):
            if current:
                parts.append(" ".join(current))
            current = []
        elif not current and position and _VERSION.fullmatch(word):
            current = [run[position - 1], word]  # "Llama 3.2" says more than "3.2"
        else:
            current.append(word)
    if current:
        parts.append(" ".join(current))
    return parts


def _word_supported(word: str, sources: Evidence) -> bool:
    if all(w in sources.words or w in _COMMON for w in lexicon.words(word)):
        return True
    if _VERSION.fullmatch(word) and _normal(word) in sources.numbers:
        return True  # "Gemini 3" when the sources write "Gemini-3"
    key = match_key(word)
    if len(key) >= 4 and key in sources.key:
        return True  # "GPT 5.2" in the sources, "GPT-5.2" in the answer
    return _major_of(word) in sources.majors


def _chinese_names(text: str) -> list[str]:
    """Quoted Chinese terms, and the major players' Chinese names as written (either script)."""
    quoted = [m.group(1) for m in _QUOTED.finditer(text) if _CJK.search(m.group(1))]
    simplified = _simplified(text)
    majors: dict[str, str] = {}  # one alias per player: the form the text itself uses
    for alias, name in lexicon.MAJOR_CHINESE.items():
        if alias in text or (alias in simplified and name not in majors):
            majors[name] = alias
    return list(dict.fromkeys([*quoted, *majors.values()]))


def _chinese_supported(term: str, sources: Evidence) -> bool:
    if _simplified(fold(term)) in sources.text:
        return True
    return lexicon.MAJOR_CHINESE.get(term) in sources.majors


@functools.cache
def _major_keys() -> dict[str, str]:
    """match_key of every English name and alias of a major player -> its display name."""
    out = {match_key(name): name for name in lexicon.MAJOR_ENTITIES}
    for name, aliases in lexicon.MAJOR_ENTITIES.items():
        out.update({match_key(a): name for a in aliases if not _CJK.search(a)})
    return out


def _major_of(word: str) -> str | None:
    return _major_keys().get(match_key(word))


def _majors(joined: str, folded: str) -> frozenset[str]:
    """Major players the sources name, in English (as words) or in Chinese (as substrings)."""
    words = set(lexicon.words(joined))
    found = {name for key, name in _major_keys().items() if key in words}
    found |= {name for alias, name in lexicon.MAJOR_CHINESE.items() if _simplified(alias) in folded}
    return frozenset(found)


# --- figures ----------------------------------------------------------------------------------


def _unsupported_figures(text: str, sources: Evidence) -> list[str]:
    out = []
    for figure in _FIGURE.finditer(fold(text)):
        number = _normal(figure.group("number"))
        if _small_count(figure, number) or number in sources.numbers:
            continue
        value = _value(figure)
        if value is not None and any(_close(value, v) for v in sources.values):
            continue
        out.append(figure.group().strip())
    return out


def _small_count(figure: re.Match[str], number: str) -> bool:
    bare = not figure.group("currency") and not figure.group("scale")
    return bare and number.isdigit() and int(number) <= _SMALL_COUNT


def _normal(number: str) -> str:
    """A number as one spelling: no thousands commas, no trailing zeros ("1,000.50" -> "1000.5")."""
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return number
    return str(value.to_integral()) if value == value.to_integral() else str(value.normalize())


def _value(figure: re.Match[str]) -> float | None:
    """The value of a figure with a scale word ("10 億" -> 1e9); None without one."""
    scale = _SCALES.get((figure.group("scale") or "").strip())
    if scale is None:
        return None
    return float(_normal(figure.group("number"))) * scale


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b))


# --- scripts ----------------------------------------------------------------------------------


@functools.cache
def _to_simplified() -> Any | None:
    """An OpenCC Traditional-to-Simplified converter, or None without the package."""
    try:
        import opencc  # optional, as in core.report.writing.items: without it scripts compare as written
    except ImportError:
        return None
    try:
        return opencc.OpenCC("t2s")
    except Exception:  # a broken install must not stop the check
        return None


def simplified(text: str) -> str:
    """``text`` in Simplified characters (as it is without OpenCC), to compare either script."""
    return _simplified(text)


def _simplified(text: str) -> str:
    converter = _to_simplified()
    if converter is None or not _CJK.search(text):
        return text
    return converter.convert(text)
