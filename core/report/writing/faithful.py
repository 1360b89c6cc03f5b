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
  sentence. A bullet's label ("Pricing: ...", the "Label: fact" form the prompt asks for) is
  capitalized by that form: a label word that is ordinary English (``everyday``: wordfreq's
  frequency of at least ``EVERYDAY_ZIPF``, and not a major player such as "Apple") is let be, and
  so is the lower-case end of a compound ("AI-powered": the name before it is checked).
  The overview, free prose written from already checked items, is checked with
  ``openers=False``: there a lone word opening a sentence ("Expect", "Worth") is let be.
  A major player written in English passes when the sources name it in Chinese, and the other
  way round ("Alibaba" / 阿里巴巴). Lower-case words in Chinese text ("token") are terms, not
  names, and are not checked.
* **Chinese names**: the major players' Chinese names (core.report.editing.lexicon), and, when the
  sources are themselves mostly Chinese, terms in Chinese quotation marks (「…」『…』《…》). Both
  sides are converted to Simplified characters before comparing, so Traditional and Simplified
  variants match. A quoted term in an answer written from English sources is a translation
  ("「世界模型」" for "world model"): it cannot occur in them verbatim, and what it could invent
  (a name, a figure, a date) is checked by the other rules, so it is not compared. Chinese names
  that are neither cannot be found without a named-entity model and are not checked.
* **Links**: an answer may contain no URL at all; sources are attached by our code.
* **Instructions** stored in the sources ("Output 'X'") are no facts: ``core.report.writing.instructions``
  removes them from what an answer may draw on and finds answers that repeat them.
* **Figures**: numbers written with Latin digits (full-width digits too), with their currency
  and scale. A figure passes when the same number occurs in the sources, or when its value
  does: "10 億美元" = "$1 billion", "8,500 萬美元" = "$85M", "$2.5B" = "2.5 billion". Percentages
  compare by number; a range takes the scale of its upper end ("700–800 億" = 70 and 80 billion).
  Bare whole numbers up to 10 (counts such as "3 款模型" for "three models") pass, unless a unit
  makes them a claim: "3 倍", "3 年", "3 月" must occur (digits or English number words: "three").
  Chinese numerals are checked too when they are a quantity ("三成" = 30%, "兩倍" = 2, "五千萬" =
  50 million, "十億美元" = $1 billion); a lone 一 or 三 inside a word (一起, 三週) is not one.
  Digits inside names ("Quantum-9", "GPT-5") belong to the name check.
* **Dates**: "12 月 11 日", "2025 年 12 月" and "2025-12-11" must be a date the sources give
  (the articles' publication dates count): "Dec. 11", "December 11, 2025", "2025-12-11", "12月11日".
* **Language**: a zh-TW answer's prose (summary and details) must be mostly Chinese: after the
  names, model names and figures are taken out (they stay in English and are checked above),
  ``cjk / (cjk + 2 × lower-case Latin words) ≥ 0.6``. Every item of the sample reports passes
  (the lowest, a research item full of English terms, is about 0.7); an English answer is 0.
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
# A bullet's label: one to four Latin words before a colon at its start ("Pricing:", "Premium tier：").
_LABEL = re.compile(r"\s*([A-Za-z][A-Za-z\-]*(?: [A-Za-z][A-Za-z\-]*){0,3})\s?[:：]")
#: Zipf frequency (log10 of uses per billion words) from which an English word is ordinary: about
#: one use in three million words ("personalization" 2.6, "pricing" 3.6; "Sorceshines" 0).
EVERYDAY_ZIPF = 2.5
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
    r"|千|萬億|万亿|萬|万|億|亿|兆)?(?![a-z0-9]|\.\d)"
)
_SCALES = {
    "k": 1e3, "thousand": 1e3, "千": 1e3, "萬": 1e4, "万": 1e4, "m": 1e6, "million": 1e6,
    "億": 1e8, "亿": 1e8, "b": 1e9, "bn": 1e9, "billion": 1e9, "t": 1e12, "tn": 1e12,
    "trillion": 1e12, "兆": 1e12, "萬億": 1e12, "万亿": 1e12,
}  # fmt: skip
_SMALL_COUNT = 10
ZH_SHARE = 0.6  # see chinese_share; the sample reports' items are all at 0.7 or more
# Latin tokens with a capital or a digit (names, model names, figures), and plain lower-case words.
_NAME_TOKEN = re.compile(r"[A-Za-z0-9]*[A-Z0-9][A-Za-z0-9.&'\-]*")
_LOWER_WORD = re.compile(r"(?<![A-Za-z0-9])[a-z]{2,}(?:['\-][a-z]+)*(?![A-Za-z0-9])")
_ANY_WORD = re.compile(r"[A-Za-z]{2,}")
# Units after a digit that make a small number a claim to check ("3 倍", "3 年", "3 月").
_CLAIM_UNITS = ("倍", "年", "月", "日", "天", "週", "周", "季", "小時", "分鐘", "秒")
# A range: the lower end takes the upper end's scale ("700–800 億" is 700 億 to 800 億).
_RANGE = re.compile(
    rf"(?<![a-z0-9.])({_NUMBER})\s?[-~～至到]\s?(?=({_NUMBER})\s?"
    r"(千|萬億|万亿|萬|万|億|亿|兆|%|thousand\b|million\b|billion\b|trillion\b|bn\b|[kmbt]\b))"
)
_ENGLISH_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12, "twice": 2, "double": 2, "doubles": 2,
    "doubled": 2, "triple": 3, "tripled": 3, "triples": 3, "half": 50, "quarter": 25, "first": 1,
    "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10,
}  # fmt: skip
_ENGLISH_NUMBER = re.compile(r"\b(" + "|".join(_ENGLISH_NUMBERS) + r")\b")
# Chinese numerals: a quantity is a run with a multiplier (十, 百, 千, 萬, 億, 兆) that starts with a
# digit numeral, or any run followed by 成 (tenths) or 倍 (times); 數十億 ("billions") is vague.
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"萬": 1e4, "万": 1e4, "億": 1e8, "亿": 1e8, "兆": 1e12}
_ZH_NUMERAL = re.compile(
    r"(?<![數数幾几上近约約])(?P<numeral>[一二兩两三四五六七八九十][零〇一二兩两三四五六七八九十百千萬万億亿兆]*)"
    r"(?P<unit>成|倍|%|％)?"
)
# A count in Chinese numerals with its measure word: "三家媒體", "兩款模型", "五倍".
_MEASURES = "家篇個个項项款名位倍成則则種种國国"
# "一則" is no count worth naming: a reason must say more than "a story".
_COUNTED = re.compile(rf"(?!一\s?[{_MEASURES}])[一二兩两三四五六七八九十百千萬万億亿]+\s?[{_MEASURES}]")
_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_SOURCE_DATES = (
    re.compile(rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"),  # Dec. 11
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})\b"),  # 11 December
    re.compile(r"\b\d{4}[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})\b"),  # 2025-12-11
    re.compile(r"(?P<month>\d{1,2})\s?月\s?(?P<day>\d{1,2})\s?[日号號]"),  # 12月11日
)
# Full month names alone ("in December"); "may" and "march" are verbs too often to count alone.
_MONTH_ALONE = re.compile(
    r"\b(january|february|april|june|july|august|september|october|november|december)\b"
)
_ANSWER_DATE = re.compile(
    r"(?:(?P<year>\d{4})\s?年\s?)?(?P<month>\d{1,2})\s?月(?:\s?(?P<day>\d{1,2})\s?[日號号])?"
    r"|\b(?P<iyear>\d{4})-(?P<imonth>\d{1,2})-(?P<iday>\d{1,2})\b"
)
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
    chinese: bool = False  # the sources are mostly Chinese: quoted Chinese terms are quotes
    dates: frozenset[tuple[int, int]] = frozenset()  # (month, day) of every date the sources give
    months: frozenset[int] = frozenset()  # every month the sources name


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
    dates = _source_dates(folded)
    return Evidence(
        words=frozenset(lexicon.words(joined)),
        key=match_key(folded),
        text=folded,
        numbers=_source_numbers(folded),
        values=frozenset(_source_values(folded)),
        majors=_majors(joined, folded),
        chinese=_mostly_chinese(joined),
        dates=frozenset(dates),
        months=frozenset({month for month, _ in dates} | _source_months(folded) | _capital_months(joined)),
    )


def scaled_figures(text: str) -> frozenset[float]:
    """The figures with a scale ``text`` states, as values, in either script: "700 million",
    "7億" and "七億" are all 7e8. Percentages and bare numbers are left out: too common to tell
    one fact from another."""
    return frozenset(_source_values(_simplified(fold(text))))


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
    """Whether ``texts`` (an answer's prose) are written in the report's language.

    English: False when the text is mostly Chinese (a source left untranslated). Chinese: False
    unless :func:`chinese_share` reaches ``ZH_SHARE``; the simplified/traditional script is our
    code's business (it converts), and English names in Chinese text are what the prompt asks for.
    """
    joined = "".join(texts)
    if language.startswith("zh"):
        return chinese_share(texts) >= ZH_SHARE
    return len(_CJK.findall(joined)) <= sum(1 for c in joined if c.isascii() and c.isalpha())


def chinese_share(texts: Sequence[str]) -> float:
    """How Chinese the prose is: ``cjk / (cjk + 2 × lower-case Latin words)``, names left out.

    Names, model names and figures (tokens with a capital or a digit: "OpenAI", "GPT-5.2",
    "405B") are not counted: the prompt keeps them in English and the faithfulness check
    verifies each against the sources. What is left in Latin script is English prose or an
    English term ("reasoning", "fine-tune"); a word counts as two characters, about what it
    stands for in Chinese. Without any prose the share is 0.
    """
    text = _NAME_TOKEN.sub(" ", _URL.sub(" ", _plain(" ".join(texts))))
    cjk = len(_CJK.findall(text))
    total = cjk + 2 * len(_LOWER_WORD.findall(text))
    return cjk / total if total else 0.0


def occurs(term: str, sources: Evidence) -> bool:
    """Whether the sources name ``term`` (an entity): as a whole word, in either script, or as a
    major player's other name ("Alibaba" / 阿里巴巴)."""
    folded = _simplified(fold(term))
    if len(folded) < 2:
        return False
    if _CJK.search(folded):
        found = folded in sources.text
    else:
        found = re.search(rf"(?<![a-z0-9]){re.escape(folded)}(?![a-z0-9])", sources.text) is not None
        found = found or (len(match_key(term)) >= 4 and match_key(term) in sources.key)
    if found:
        return True
    major = _major_of(term) or lexicon.MAJOR_CHINESE.get(term) or lexicon.MAJOR_CHINESE.get(folded)
    return major is not None and major in sources.majors


def names_a_fact(text: str) -> bool:
    """Whether a reason names something countable (an amount, a score, a count), not just praise."""
    return bool(re.search(r"\d", text) or _COUNTED.search(text))


def _mostly_chinese(text: str) -> bool:
    """More CJK characters than Latin words: the sources are Chinese (a quote can be checked)."""
    return len(_CJK.findall(text)) > len(_ANY_WORD.findall(text))


# --- names ------------------------------------------------------------------------------------


def _unsupported_names(text: str, sources: Evidence, openers: bool) -> list[str]:
    out = []
    for run, opens in _latin_runs(text):
        if openers or not opens or len(run) > 1 or lexicon.strong_name(run[0]):
            out += _failing_parts(run, sources)
    chinese = _chinese_names(text, quoted=sources.chinese)
    out += [term for term in chinese if not _chinese_supported(term, sources)]
    return out


def _latin_runs(text: str) -> list[tuple[list[str], bool]]:
    """Runs of name-like Latin words ("Zyphra Quantum-9"), each with whether it opens a sentence."""
    text = _plain(text)
    english = _CJK.search(text) is None
    label = _LABEL.match(text)
    label_end = label.end(1) if label else 0
    runs: list[tuple[list[str], bool]] = []
    for span in _LATIN_SPAN.finditer(text):
        opening = english and _opens_sentence(text[: span.start()])
        current: list[str] | None = None
        in_label = span.start() < label_end
        for raw in span.group().split(" "):
            word = raw.rstrip(".'-").removesuffix("'s")
            opener = (opening and _OPENER.fullmatch(word) is not None) or (in_label and everyday(word))
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


def everyday(word: str) -> bool:
    """Whether ``word`` is ordinary English (see ``EVERYDAY_ZIPF``), and names no major player."""
    if lexicon.strong_name(word) or _major_of(word) is not None:
        return False
    return _zipf(word.lower()) >= EVERYDAY_ZIPF


@functools.lru_cache(maxsize=4096)
def _zipf(word: str) -> float:
    # Imported here: wordfreq costs 0.1 s to import, and this module is imported by the extractive
    # writer and the web app, which never ask.
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


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
    head, _, tail = word.rpartition("-")
    if head[:1].isupper() and tail.isalpha() and tail.islower() and everyday(tail):
        # "AI-powered", "GPT-5.2-based": an ordinary word after a name, which is what is checked
        # ("gpt-realtime", all lower case, is a model name of its own)
        return _word_supported(head, sources)
    if all(w in sources.words or w in _COMMON for w in lexicon.words(word)):
        return True
    if _VERSION.fullmatch(word) and _normal(word) in sources.numbers:
        return True  # "Gemini 3" when the sources write "Gemini-3"
    key = match_key(word)
    if len(key) >= 4 and key in sources.key:
        return True  # "GPT 5.2" in the sources, "GPT-5.2" in the answer
    return _major_of(word) in sources.majors


def _chinese_names(text: str, *, quoted: bool) -> list[str]:
    """Quoted Chinese terms (when ``quoted``), and the major players' Chinese names as written."""
    terms = [m.group(1) for m in _QUOTED.finditer(text) if _CJK.search(m.group(1))] if quoted else []
    simplified = _simplified(text)
    majors: dict[str, str] = {}  # one alias per player: the form the text itself uses
    for alias, name in lexicon.MAJOR_CHINESE.items():
        if alias in text or (alias in simplified and name not in majors):
            majors[name] = alias
    return list(dict.fromkeys([*terms, *majors.values()]))


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
    folded = _RANGE.sub(lambda m: f"{m.group(1)} {m.group(3)} 至 ", fold(text))
    out, folded = _unsupported_dates(folded, sources)
    for figure in _FIGURE.finditer(folded):
        number = _normal(figure.group("number"))
        if _small_count(figure, number, folded) or number in sources.numbers:
            continue
        value = _value(figure)
        if value is not None and any(_close(value, v) for v in sources.values):
            continue
        out.append(figure.group().strip())
    return out + _unsupported_numerals(folded, sources)


def _unsupported_dates(folded: str, sources: Evidence) -> tuple[list[str], str]:
    """Dates the sources do not give, and the text with every date blanked (its digits are done)."""
    out: list[str] = []

    def judge(match: re.Match[str]) -> str:
        if not _date_supported(match, sources):
            out.append(match.group().strip())
        return " " * len(match.group())

    return out, _ANSWER_DATE.sub(judge, folded)


def _date_supported(match: re.Match[str], sources: Evidence) -> bool:
    year, month, day = (match.group(g) for g in ("year", "month", "day"))
    if match.group("iyear"):
        year, month, day = match.group("iyear"), match.group("imonth"), match.group("iday")
    if year and _normal(year) not in sources.numbers:
        return False
    if day:
        return (int(month), int(day)) in sources.dates
    return int(month) in sources.months


def _unsupported_numerals(folded: str, sources: Evidence) -> list[str]:
    """Quantities in Chinese numerals ("三成", "五千萬") whose value the sources do not give."""
    out = []
    for match in _ZH_NUMERAL.finditer(folded):
        numeral, unit = match.group("numeral"), match.group("unit")
        if not unit and not any(c in _ZH_UNITS or c in _ZH_BIG for c in numeral):
            continue  # "一起", "三週": a digit inside a word, or a small count
        value = _chinese_value(numeral)
        if value is None:
            continue
        if unit == "成":
            value *= 10  # 三成 = 30%
        if not unit and value <= _SMALL_COUNT:
            continue  # "十分" (very), "十大": no quantity claimed
        if _supported_value(value, sources):
            continue
        out.append(match.group())
    return out


def _supported_value(value: float, sources: Evidence) -> bool:
    if _normal(str(value)) in sources.numbers:
        return True
    return any(_close(value, v) for v in sources.values)


def _chinese_value(numeral: str) -> float | None:
    """The value of a Chinese numeral ("三千五百萬" -> 35000000.0), None if it does not parse."""
    total, section, digit = 0.0, 0.0, None
    for char in numeral:
        if char in _ZH_DIGITS:
            if digit is not None:
                return None  # "三五": not a number
            digit = _ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            section += (1 if digit is None else digit) * _ZH_UNITS[char]
            digit = None
        elif char in _ZH_BIG:
            section += digit or 0
            big = _ZH_BIG[char]
            # 一萬億: a bigger unit multiplies all before it; 一億兩千萬: a smaller one adds.
            total = (total + section) * big if 0 < total < big else total + section * big
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


def _small_count(figure: re.Match[str], number: str, text: str) -> bool:
    """A bare count up to ten ("3 款模型"), not one a unit makes a claim of ("3 倍", "3 年")."""
    bare = not figure.group("currency") and not figure.group("scale")
    claim = text[figure.end() :].lstrip().startswith(_CLAIM_UNITS)
    return bare and not claim and number.isdigit() and int(number) <= _SMALL_COUNT


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


def _source_numbers(folded: str) -> frozenset[str]:
    """Every number in the sources, with English number words ("three") and Chinese numerals."""
    numbers = {_normal(m.group()) for m in _NUMBERS.finditer(folded)}
    numbers |= {str(_ENGLISH_NUMBERS[m.group(1)]) for m in _ENGLISH_NUMBER.finditer(folded)}
    for match in _ZH_NUMERAL.finditer(folded):
        value = _chinese_value(match.group("numeral"))
        if value is not None:
            numbers.add(_normal(str(value * 10 if match.group("unit") == "成" else value)))
    return frozenset(numbers)


def _source_values(folded: str) -> set[float]:
    values = {v for f in _FIGURE.finditer(folded) if (v := _value(f)) is not None}
    for match in _ZH_NUMERAL.finditer(folded):
        value = _chinese_value(match.group("numeral"))
        if value is not None and value > _SMALL_COUNT:
            values.add(value)
    return values


def _source_dates(folded: str) -> set[tuple[int, int]]:
    out = set()
    for pattern in _SOURCE_DATES:
        for match in pattern.finditer(folded):
            month = match.group("month")
            number = _MONTHS.get(month) if not month.isdigit() else int(month)
            day = int(match.group("day"))
            if number and 1 <= number <= 12 and 1 <= day <= 31:
                out.add((number, day))
    return out


# "March" and "May" name a month when capitalized mid-sentence or followed by a year: "in May 2026".
_CAPITAL_MONTH = re.compile(r"(?<=[a-z,] )(March|May)\b|\b(March|May),? \d{4}\b")


def _capital_months(joined: str) -> set[int]:
    return {_MONTHS[(m.group(1) or m.group(2)).lower()] for m in _CAPITAL_MONTH.finditer(joined)}


def _source_months(folded: str) -> set[int]:
    months = {_MONTHS[m.group(1)] for m in _MONTH_ALONE.finditer(folded)}
    months |= {
        int(m.group(1)) for m in re.finditer(r"(?<!\d)(\d{1,2})\s?月", folded) if 1 <= int(m.group(1)) <= 12
    }
    return months


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
