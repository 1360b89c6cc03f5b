"""The bridge between English and Chinese in a question: concepts found by any of their names.

A ``Bridge`` holds concepts (``core.bilingual``: the shipped lexicon; ``bot.mining``: pairs
mined from the stored reports), each form folded as the index folds text (``bot.search.normalize``:
case, width, Traditional and Taiwan vocabulary to Simplified and mainland vocabulary). ``find``
walks a folded question: a run of Latin words that is a concept's English form (its last word may
be a plural) or a stretch of Chinese that is one of its Chinese forms becomes one ``Group`` whose
alternatives are every form of every concept so named, each as the phrase of index terms it is
(an English form its words, a Chinese one its bigrams). The longest form wins where forms
overlap, and the matched text is blanked so that its words are not matched again one by one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from core.report.editing import lexicon
from core.text import tokens

#: An alternative: the index terms that must all occur in an item (a word, or a Chinese phrase's bigrams).
Phrase = tuple[str, ...]

_LATIN = re.compile(r"[a-z0-9]+(?:[.\-'][a-z0-9]+)*")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_MAX_WORDS = 5
_MAX_CHARS = 10


@dataclass(frozen=True, slots=True)
class Group:
    """One thing a question asks about, matched by any of its alternatives.

    ``concept``: it came from the lexicon (a word we know to be one, with its other-language
    names), not from the question's own words alone. ``joined``: a name the question writes
    apart ("opus 4.5"), which means something only where its first word does.
    """

    phrases: tuple[Phrase, ...]
    concept: bool = False
    joined: bool = False  # two words of the question joined ("opus 4.5" -> opus-4.5)

    @property
    def head(self) -> str:
        return self.phrases[0][0] if self.phrases and self.phrases[0] else ""


class Bridge:
    """Concepts by every folded form; see the module docstring."""

    def __init__(
        self,
        concepts: Iterable[tuple[Sequence[str], Sequence[str]]],
        fold: Callable[[str], str],
        ignore: frozenset[str] = frozenset(),
    ) -> None:
        self._ignore = ignore | lexicon.STOPWORDS
        self._latin: dict[Phrase, set[int]] = defaultdict(set)
        self._cjk: dict[str, set[int]] = defaultdict(set)
        self._phrases: list[tuple[Phrase, ...]] = []
        for english, chinese in concepts:
            self._add(english, chinese, fold)

    def _add(self, english: Sequence[str], chinese: Sequence[str], fold: Callable[[str], str]) -> None:
        number = len(self._phrases)
        phrases: list[Phrase] = []
        for form in english:
            words = tuple(_LATIN.findall(fold(form)))
            if words and not set(words) <= self._ignore:  # "report", "news": boilerplate, no concept
                self._latin[words].add(number)
                phrases += [words, (*words[:-1], _plural(words[-1]))]
        for form in chinese:
            folded = fold(form)
            terms = tuple(tokens(folded))
            if not terms or (len(terms) == 1 and len(terms[0]) == 1 and not terms[0].isascii()):
                continue  # one Chinese character matches too much
            if _CJK_RUN.fullmatch(folded.replace(" ", "")):
                self._cjk[folded.replace(" ", "")].add(number)
            phrases.append(terms)
        self._phrases.append(tuple(dict.fromkeys(phrases)))

    def __len__(self) -> int:
        return len(self._phrases)

    def knows(self, word: str) -> bool:
        """Whether ``word`` (a folded Latin word) is, or stems to, a concept's one-word form."""
        return (word,) in self._latin or (lexicon.stem(word),) in self._latin

    def find(self, text: str, *more: Bridge) -> tuple[str, list[Group]]:
        """The concepts named in the folded ``text`` (by this bridge and ``more``: the shipped
        lexicon and the pairs mined from one index), and the text with their names blanked."""
        spans: dict[tuple[int, int], dict[Phrase, None]] = {}
        for bridge in (self, *more):
            for start, end, numbers in [*bridge._latin_spans(text), *bridge._cjk_spans(text)]:
                phrases = spans.setdefault((start, end), {})
                phrases.update(dict.fromkeys(p for n in sorted(numbers) for p in bridge._phrases[n]))
        groups, out, at = [], [], 0
        for (start, end), phrases in sorted(spans.items(), key=lambda span: (span[0][0], -span[0][1])):
            if start < at:
                continue  # inside a longer name already taken
            out += [text[at:start], " "]
            at = end
            groups.append(Group(tuple(phrases), concept=True))
        return "".join([*out, text[at:]]), groups

    def _latin_spans(self, text: str) -> list[tuple[int, int, set[int]]]:
        words = list(_LATIN.finditer(text))
        spans, n = [], 0
        while n < len(words):
            for size in range(min(_MAX_WORDS, len(words) - n), 0, -1):
                run = tuple(w.group() for w in words[n : n + size])
                numbers = self._latin.get(run) or self._latin.get((*run[:-1], lexicon.stem(run[-1])))
                if numbers and _adjacent(text, words[n : n + size]):
                    spans.append((words[n].start(), words[n + size - 1].end(), numbers))
                    n += size
                    break
            else:
                n += 1
        return spans

    def _cjk_spans(self, text: str) -> list[tuple[int, int, set[int]]]:
        spans = []
        for run in _CJK_RUN.finditer(text):
            chars, n = run.group(), 0
            while n < len(chars) - 1:
                for size in range(min(_MAX_CHARS, len(chars) - n), 1, -1):
                    numbers = self._cjk.get(chars[n : n + size])
                    if numbers:
                        spans.append((run.start() + n, run.start() + n + size, numbers))
                        n += size
                        break
                else:
                    n += 1
        return spans


def _adjacent(text: str, words: Sequence[re.Match[str]]) -> bool:
    """Words of one phrase: separated only by spaces or dashes, not by a comma or a full stop."""
    return all(text[a.end() : b.start()].strip(" -") == "" for a, b in pairwise(words))


def _plural(word: str) -> str:
    if not word.isalpha() or word.endswith(("s", "ed", "ing")):
        return word
    return word + "es" if word.endswith(("s", "x", "ch", "sh")) else word + "s"
