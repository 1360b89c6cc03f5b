"""How well the bot finds items: the team's and the held-out question sets over the sample reports.

``rates`` asks every question of a set against an index and counts hit@1 and hit@3 (the expected
item first, or among the first three) over the answerable questions, and the unanswerable ones
answered "not found". ``bench.ask`` prints them for SQLite and PostgreSQL (the two sample reports
imported into a scratch store of each); ``tests/test_search.py`` holds the same figures to their
floors. A question set is TOML: ``[[questions]]`` with ``q``, ``lang`` and, when a report answers
it, the expected item's ``title`` and report ``date``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.search import SearchIndex
from core.report.importing.files import import_files
from core.store import Store

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
SAMPLES = sorted((DATA / "sample-reports").glob("*.md"))
SETS = {"team (tuning)": DATA / "questions.toml", "held-out": DATA / "questions_holdout.toml"}


def questions(path: Path) -> list[dict]:
    return tomllib.loads(path.read_text(encoding="utf-8"))["questions"]


@dataclass(frozen=True, slots=True)
class Rates:
    """hit@1 and hit@3 over the answerable questions; the unanswerable ones found anyway."""

    answerable: int
    hit1: float
    hit3: float
    unanswerable: int
    wrongly_found: tuple[str, ...]
    missed: tuple[str, ...] = field(default=())  # answerable questions not in the first three


def rates(index: SearchIndex, asked: list[dict]) -> Rates:
    answered = [q for q in asked if "title" in q]
    hit1 = hit3 = 0
    missed = []
    for question in answered:
        expected = (question["date"], question["title"])
        hits = [(h.found.date.isoformat(), h.found.item.title) for h in index.search(question["q"]).hits]
        hit1 += hits[:1] == [expected]
        hit3 += expected in hits[:3]
        if expected not in hits[:3]:
            missed.append(question["q"])
    wrongly = tuple(q["q"] for q in asked if "title" not in q and index.search(q["q"]).found)
    n = max(len(answered), 1)
    return Rates(len(answered), hit1 / n, hit3 / n, len(asked) - len(answered), wrongly, tuple(missed))


def measure(backend: str, url: str) -> list[dict]:
    """Import the sample reports into the store at ``url`` and rate every question set."""
    from bot.search import ItemIndex

    with Store.open(url) as store:
        assert all(outcome.ok for outcome in import_files(store, SAMPLES))
        index = ItemIndex.from_store(store)
    return [
        {"backend": backend, "set": name, "rates": rates(index, questions(path))}
        for name, path in SETS.items()
    ]


def table(rows: list[dict]) -> str:
    lines = [
        "| backend | question set | answerable | hit@1 | hit@3 | unanswerable | answered not found "
        "| missed |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        r: Rates = row["rates"]
        right = r.unanswerable - len(r.wrongly_found)
        missed = "; ".join(r.missed) or "none"
        lines.append(
            f"| {row['backend']} | {row['set']} | {r.answerable} | {r.hit1:.3f} | {r.hit3:.3f} "
            f"| {r.unanswerable} | {right} of {r.unanswerable} | {missed} |"
        )
    return "\n".join(lines)
