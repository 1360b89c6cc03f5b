"""Benchmark keyword rules: what filtering a 60-item report costs per subscriber.

    .venv/bin/python -m bench.rules [--subscribers 1000,10000,50000] [--terms 5]

Every subscriber has rules of its own (``--terms`` include and as many exclude terms drawn from
the synthetic report's vocabulary, English and Chinese), or, in the "shared" rows, all have the
same rules. Times ``core.rules.view_for`` over all of them (what ``delivery.dispatch.deliver``
does before planning each subscription) and counts the distinct views (the newsletter's
variants); then, for the first 1,000, the newsletter of each view (``EmailRenderer``: a variant
made once, MJML compiled once per skeleton, that is per set of sections shown). Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fakes.reports import synthetic_report  # noqa: E402

from core.models import Channel, Rules, Subscription  # noqa: E402
from core.rules import view_for  # noqa: E402
from delivery.email_render import EmailRenderer  # noqa: E402

VOCABULARY = [
    *("OpenAI", "Anthropic", "Google DeepMind", "Meta", "Mistral", "Nvidia", "Alibaba", "DeepSeek"),
    *("model", "inference", "benchmark", "reasoning", "agents", "retrieval", "GPU", "funding", "policy"),
    *("safety", "open-weight", "fine-tuning", "regulation", "dataset", "startup", "pricing", "training"),
    *("語言模型", "晶片", "開源", "代理", "融資", "監管", "資料集", "推論", "量子位", "生成式AI"),
]


def rules_for(rng: random.Random, terms: int) -> Rules:
    picked = rng.sample(VOCABULARY, 2 * terms)
    return Rules(tuple(picked[:terms]), tuple(picked[terms:]))


def run(subscribers: int, terms: int, shared: bool) -> dict[str, object]:
    report = synthetic_report()
    rng = random.Random(subscribers)
    common = Rules(tuple(VOCABULARY[:terms]), tuple(VOCABULARY[-terms:]))  # companies in, Chinese out
    subs = [
        Subscription(Channel.EMAIL, f"r{n}@example.org", rules=common if shared else rules_for(rng, terms))
        for n in range(subscribers)
    ]
    started = time.perf_counter()
    views = [view_for(report, sub) for sub in subs]
    seconds = time.perf_counter() - started
    distinct = len({tuple(i.title for i in v.items) for v in views})
    kept = sum(len(v.items) for v in views) / len(views)
    renderer, sample = EmailRenderer(), views[:1000]
    started = time.perf_counter()
    for view in sample:
        renderer.for_subscription(view, (), "zh-TW")
    email = (time.perf_counter() - started) / len(sample)
    return {
        "subscribers": f"{subscribers:,}",
        "rules": "shared" if shared else "each its own",
        "terms": f"{terms} + {terms}",
        "seconds": f"{seconds:.2f}",
        "µs / subscriber": f"{seconds / subscribers * 1e6:.0f}",
        "distinct views": f"{distinct:,}",
        "items kept (mean of 60)": f"{kept:.1f}",
        "email ms / subscriber (first 1,000)": f"{email * 1000:.1f}",
        "MJML compilations (first 1,000)": f"{renderer.compilations:,}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", default="1000,10000,50000")
    parser.add_argument("--terms", type=int, default=3)
    args = parser.parse_args()
    rows = [run(int(n), args.terms, shared) for n in args.subscribers.split(",") for shared in (True, False)]
    header = list(rows[0])
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(row[key]) for key in header) + " |")


if __name__ == "__main__":
    main()
