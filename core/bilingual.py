"""The bilingual lexicon shipped with us: English and Chinese names of one thing.

Two sources, read once: ``core/bilingual.tsv`` (general vocabulary of AI, technology, business,
policy, energy, health and places, and the Chinese names of companies and people that AI news
writes either way; its header says how it is written) and ``core.terms.TERMS`` (the writer's AI
terms). The bot's search (``bot.bridge``) matches a question's words against both languages'
forms, so an English question finds an item written in Chinese and a Chinese question one
written in English. Forms are returned as written: folding them is the matcher's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from core.terms import TERMS

FILE = "bilingual.tsv"


@dataclass(frozen=True, slots=True)
class Concept:
    """One thing under its English and its Chinese names."""

    english: tuple[str, ...]
    chinese: tuple[str, ...]


def parse(text: str) -> list[Concept]:
    """The concepts of a lexicon file: "english|forms<TAB>中文|形式" a line; "#" starts a comment."""
    concepts = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        english, tab, chinese = line.partition("\t")
        if not tab or not english.strip() or not chinese.strip():
            raise ValueError(f"{FILE} line {number}: expected 'english forms<TAB>chinese forms': {line!r}")
        concepts.append(Concept(_forms(english), _forms(chinese)))
    return concepts


def _forms(field: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(form.strip() for form in field.split("|") if form.strip()))


@cache
def concepts() -> tuple[Concept, ...]:
    """Every shipped concept: the lexicon file's, then the writer's terms."""
    text = resources.files("core").joinpath(FILE).read_text(encoding="utf-8")
    writer = [Concept(_forms(english), (zh,)) for english, zh in TERMS]
    return (*parse(text), *writer)
