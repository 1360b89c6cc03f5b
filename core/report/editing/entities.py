"""Named things in a topic's text: products, companies, people, models.

Used by the editor (:mod:`core.report.editing.editor`, which re-exports :func:`extract_entities`), the
writers and the bot. Word lists live in :mod:`core.report.editing.lexicon`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from core.report.editing import lexicon
from core.report.writing import hygiene
from core.text import has_cjk, match_key

# Latin letters with their accents ("Zürich", "Élysée", "Škoda"): a name is never cut at "ü".
_LETTERS = "A-Za-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LATIN = rf"[{_LETTERS}][{_LETTERS}.&'’\-\u2010\u2011]*"
_SPAN = re.compile(rf"{_LATIN}(?: {_LATIN})*")
_QUOTED = re.compile(r"[「『《“]([^」』》”]{2,16})[」』》”]")
_VERSION = re.compile(r"\d+(?:\.\d+)*[A-Za-z]?")
_AMOUNT = re.compile(
    r"[$€£¥]?\d[\d.,]*(?:[kmbtx]n?|bn|tn|%|[kmgt]?w|[kmgtp]b|ms|fps|[kmb]?s)?", re.IGNORECASE
)  # "$50M", "1.9x", "500MW", "80GB"
# An adjective compound ends in a lowercase adjective ("AI-powered", "Gemini-based", "GPU-heavy");
# "SWE-bench" or "Meta-World" end in a noun and stay names.
_COMPOUND = re.compile(
    r"-(?:[a-z]+(?:ed|ing|ive|ic|al|able|ful|less)|like|style|scale|level|grade|ready|native|first|only|"
    r"free|class|wide|centric|friendly|specific|aware|heavy|led|made|built|backed|sized|size|wise|bound)$"
)
_OPENER = re.compile(r"^[A-Z][a-z]+(?:ing|ed|ly)$")  # a headline's first verb or adverb
_MAX_SPAN = 4
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
_PLURAL_ACRONYM = re.compile(r"[A-Z]{2,5}s")  # "LLMs", "CIOs", "EHRs": kinds of things
# "Self-Preference", "Multi-Agent", "Fine-Tuning": capitals of a Title Case compound, not a name
_TITLE_COMPOUND = re.compile(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)+")
# A title's subject: "Arm raises ...", "Figure shows off ...", "Nordbank deploys ..."
# "Researchers say ..." / "Researchers found ...": a plural noun opening sentences names no one.
_COMMON_PLURAL = re.compile(r"^[A-Z][a-z]+(?:ers|ists|ians|als|ors|ants|ents|ies|ics|ees|ches)$")
_SUBJECT_VERB = re.compile(r"[a-z]{2,}s")
_VERB = r"(?:[a-z]{2,}(?:s|ed)|said|has|is|will|can|plans?|now)\b"
_NOT_ENTITY = lexicon.NOT_ENTITIES | lexicon.GENERIC_NAMES | lexicon.PLACES_AND_PEOPLES
# Acronyms that end a product's or a firm's name ("Mistral AI", "Realtime API"), never open one.
_NAME_TAILS = frozenset({"AI", "API", "SDK"})
_KINDS = frozenset(lexicon.KINDS_OF_FIRMS)
# Licenses are terms a release is under, not someone it is about: "Apache 2.0", "GPL-3.0",
# "CC BY-NC 4.0", "MIT License" (MIT alone may be the university: it stays).
_LICENSE = re.compile(
    r"(?:apache(?:[- ]?v?\d(?:\.\d)*| license)|(?:a|l)?gpl(?:[- ]?v?\d(?:\.\d)*)?|mpl[- ]?\d(?:\.\d)*"
    r"|bsd(?:[- ]\d-clause)?|cc[- ]by(?:[- ](?:sa|nc|nd))*(?:[- ]\d(?:\.\d)*)?|mit license)(?: license)?",
    re.IGNORECASE,
)


def extract_entities(texts: Sequence[str], limit: int = 8, *, outlets: Sequence[str] = ()) -> tuple[str, ...]:
    """Named things in ``texts`` (organisations, products, models, people), the headline's subject
    first, then the most prominent.

    Pass the lead headline first, titles before summaries: an earlier text weighs more. Names keep
    their display form ("GPT‑5.2") and are deduplicated by :func:`core.text.match_key`. Left out:
    peoples and places ("Chinese", "Texas"), words for kinds of things ("AI", "SDK", "模型"),
    amounts, single letters, and a word that only repeats the end of a longer name ("Atlas" beside
    "ChatGPT Atlas"). Feed boilerplate and lines addressed to a model are not read. No names, no
    entities: the renderer then leaves the line out. ``outlets`` are the texts' sources, in order:
    an outlet naming itself ("told TechCrunch", "The Guardian view on …") names the reporter, not
    the story; another text naming it (OpenAI's blog, covered by TechCrunch) still counts.
    """
    texts = [_readable(text) for text in texts]
    scores, display = _tally(texts, [_outlet_key(o) for o in outlets])
    order = {key: i for i, key in enumerate(display)}
    ranked = [display[k] for k in sorted(scores, key=lambda k: (-scores[k], order[k]))]
    ranked = [name for name in ranked if _is_entity(name)]
    subject = _subject(texts) if texts else None
    if subject is not None and (not outlets or _outlet_key(subject) != _outlet_key(outlets[0])):
        ranked = [subject, *(n for n in ranked if match_key(n) != match_key(subject))]
    return tuple(_without_parts(ranked)[:limit])


def _outlet_key(name: str) -> str:
    return match_key(re.sub(r"^(?:the)\s+", "", name, flags=re.IGNORECASE))


def _readable(text: str) -> str:
    """``text`` without feed wrappers and the sentences that are boilerplate or orders to a model."""
    text = hygiene.unglue(hygiene.strip_boilerplate(text))
    if not (hygiene.has_url(text) or hygiene.is_boilerplate(text) or hygiene.addresses_model(text)):
        return text  # the common case: nothing to drop
    return " ".join(s for s in _SENTENCE_END.split(text) if hygiene.is_clean(s))


def _without_kind(name: str) -> str:
    """A name without the leading words that say what kind of thing it is ("Fintech Ledgerly",
    "Swiss Re" keeps its name: only words for kinds of things and peoples go, and never all)."""
    words = name.split(" ")
    while len(words) > 1 and words[0].casefold() in _KINDS:
        words = words[1:]
    return " ".join(words)


def _is_entity(name: str) -> bool:
    """An organisation, product, model or person rather than a people, a place or a kind of thing."""
    folded = name.casefold()
    if folded in _NOT_ENTITY or len(name) < 2 or _AMOUNT.fullmatch(name) or _PLURAL_ACRONYM.fullmatch(name):
        return False
    if _LICENSE.fullmatch(name):
        return False
    words = [w.rstrip(".") for w in folded.split()]
    # "Chinese AI", "European AI", "AI API": peoples, places and kinds of things only
    return not all(w in lexicon.PLACES_AND_PEOPLES or w in lexicon.GENERIC_NAMES for w in words)


def _subject(texts: Sequence[str]) -> str | None:
    """The name the lead headline is about: its first word when a verb follows it there or in
    another text ("Arm raises forecast", "Vodafone Uses AI Agents" / "Vodafone says ..."), else
    its first sure name."""
    headline = texts[0]
    names = [_without_kind(name) for name, sure in _names(headline) if sure and _is_entity(name)]
    words = headline.split()
    first = _bare(words[0]) if len(words) > 1 and not has_cjk(words[0]) else ""
    if (
        first[:1].isupper()
        and not _COMMON_PLURAL.search(first)
        and _is_entity(first)
        and first.lower() not in lexicon.NOT_ENTITIES
        and not (names and names[0].startswith(first))
    ):
        acts = re.compile(rf"(?<![\w-]){re.escape(first)}(?:['’]s)? {_VERB}")
        sentence_case = not lexicon.headline_style(headline)
        if (sentence_case and _SUBJECT_VERB.fullmatch(words[1])) or any(acts.search(t) for t in texts[1:]):
            return first
    return names[0] if names else None


def _without_parts(names: list[str]) -> list[str]:
    """Names without a single word that is a later word of another name ("Hub" of "Kernels Hub")."""
    keys = [match_key(n) for n in names]
    out = []
    for name, key in zip(names, keys, strict=True):
        inner = " " not in name and any(
            other != name and key != k and name in re.split(r"[\s-]", other)[1:]
            for other, k in zip(names, keys, strict=True)
        )
        if not inner:
            out.append(name)
    return out


def _tally(texts: Sequence[str], outlets: Sequence[str] = ()) -> tuple[dict[str, float], dict[str, str]]:
    """Prominence per name key (each mention weighs 1 + 1/(text index + 1)) and display forms;
    a text's mention of its own outlet (``outlets``: match keys, one per text) does not count."""
    scores: dict[str, float] = {}
    display: dict[str, str] = {}
    pending: list[tuple[str, str, float]] = []
    for index, text in enumerate(texts):
        own = outlets[index] if index < len(outlets) else None
        for name, sure in _names(text):
            name = _without_kind(name)
            if own and _outlet_key(name) == own:
                continue
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
        if key in scores or (openings[key] > 1 and not _COMMON_PLURAL.search(name)):
            scores[key] = scores.get(key, 0.0) + weight
            display.setdefault(key, name)


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
        found += [(text.find(name), name, True) for name in lexicon.CHINESE_ORGS if name in text]
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
        # "Introducing GPT-5.2", "All Qwen3.5 models": the sentence's first word is not the name's
        opener = starts_sentence and (_OPENER.search(word) is not None or _leading_word(word))
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


def _leading_word(word: str) -> bool:
    """A sentence's first word that opens no name: "Introducing GPT-5.2", "All Qwen3.5 models"
    ("The" and "One" may: "The Walt Disney Company", "One Medical")."""
    folded = word.casefold()
    return folded in lexicon.STOPWORDS and folded not in ("the", "one")


def _bare(raw: str) -> str:
    """A word without edge punctuation or a possessive "'s"."""
    word = raw.rstrip(".,'’-")
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _is_compound(word: str) -> bool:
    """An adjective compound ("AI-powered", "60-person", "10,000-example"), not a name ("SWE-bench")."""
    head, _, tail = word.rpartition("-")
    if not head or not tail.islower():
        return False
    return _COMPOUND.search(word) is not None or len(head) < 3 or not any(c.isalpha() for c in head)


def _name_like(word: str, continuing: bool, headline: bool) -> bool:
    if continuing and (_VERSION.fullmatch(word) or word in _NAME_TAILS):
        return True  # "Opus 4.5", "Gemini 3", "Mistral AI", "Realtime API"
    if word[0].islower() and not lexicon.strong_name(word):
        return False  # most words: decided without looking further
    if word.lower() in lexicon.NOT_ENTITIES or _AMOUNT.fullmatch(word) or _is_compound(word):
        return False  # "$50M", "5.5B", "AI-powered", "Gemini-based" name nothing
    strong = lexicon.strong_name(word) and not _TITLE_COMPOUND.fullmatch(word)
    return strong or (word[0].isupper() and not headline)
