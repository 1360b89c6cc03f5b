"""The day's storylines: what several items have in common, named, for 編輯洞察 and the title.

A storyline is a term or a name that two or more items share (a lexicon term of
``core.terms``, a glossary term, an entity) and that is not the whole day: a word every third
item carries ("大型語言模型" on a day of model news) says nothing about the day. Storylines are
picked greedily by the weight of the items they gather, each item carried by one storyline
only, so two or three storylines cover different stories. Nothing is inferred: a storyline is
only the shared word, the items that carry it, and facts those items state (their sections,
the names they share, how many outlets told them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from core.models import Importance, Item
from core.report.writing.glossary import find_terms as glossary_terms
from core.terms import find_terms
from core.text import fold

MAX_STORYLINES = 3
# A key shared by more than this share of the day's items (and more than three) is the day
# itself, not a storyline: "AI 代理" in fourteen of sixty items links nothing in particular.
_BROAD_SHARE = 0.15
_WEIGHT = {
    Importance.CRITICAL: 4.0,
    Importance.HIGH: 3.0,
    Importance.MEDIUM_HIGH: 2.0,
    Importance.MEDIUM: 1.0,
    Importance.LOW: 0.5,
}
# Names and terms that every AI story could carry: they link nothing.
_GENERIC = frozenset(
    fold(w)
    for w in (
        *("AI", "LLM", "LLMs", "GPU", "API", "模型", "人工智慧", "arXiv", "大型語言模型", "語言模型"),
        *("企業", "訓練", "推論", "評測", "預測", "搜尋", "檢索", "規劃", "調查", "政策", "開源", "AI 助理"),
    )
)


@dataclass(frozen=True, slots=True)
class Storyline:
    """A shared term or name and the items (positions in the list given) that carry it."""

    label: str
    items: tuple[int, ...]
    shared: tuple[str, ...]  # other keys every item of the storyline carries


def storylines(items: Sequence[Item], language: str) -> list[Storyline]:
    """Up to three storylines of ``items``, the weightiest first; none on a day without one."""
    keys = [_keys(item, language) for item in items]
    carriers: dict[str, set[int]] = defaultdict(set)
    display: dict[str, str] = {}
    for index, item_keys in enumerate(keys):
        for key, shown in item_keys.items():
            carriers[key].add(index)
            display.setdefault(key, shown)
    broad = max(3, int(_BROAD_SHARE * len(items)))
    candidates = {k: v for k, v in carriers.items() if 2 <= len(v) <= broad}
    chosen: list[Storyline] = []
    taken: set[int] = set()
    while candidates and len(chosen) < MAX_STORYLINES:
        key = max(candidates, key=lambda k: (_weight(items, candidates[k] - taken), len(display[k]), k))
        members = candidates.pop(key) - taken
        if len(members) < 2:
            break
        ordered = tuple(sorted(members))
        shared = set.intersection(*(set(keys[i]) for i in ordered)) - {key}
        chosen.append(Storyline(display[key], ordered, tuple(sorted(display[k] for k in shared))))
        taken |= members
    return chosen


def _keys(item: Item, language: str) -> dict[str, str]:
    """The item's lexicon terms, glossary terms and entities: folded key -> how to show it."""
    text = " ".join([item.title, item.summary, *item.details, *item.use_cases])
    chinese = language.startswith("zh")
    terms = [f.zh if chinese else f.english for f in find_terms(text)[:12]]
    shown = [*terms, *(_short(t.text(language)[0]) for t in glossary_terms(text))]
    shown += item.entities
    return {fold(word): word for word in shown if word and fold(word) not in _GENERIC}


def _short(term: str) -> str:
    return term.split("（")[0].split(" (")[0].strip()


def _weight(items: Sequence[Item], members: set[int]) -> float:
    return sum(_WEIGHT.get(items[i].importance, 1.0) for i in members) if len(members) >= 2 else 0.0
