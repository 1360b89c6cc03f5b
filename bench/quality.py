"""How our report reads next to the sample reports: the demo and both samples rebuilt from feeds.

    .venv/bin/python -m bench.quality                 # the table of the README
    .venv/bin/python -m bench.quality --write out/quality   # and the three reports' Markdown

Three days are built with the configured defaults and the extractive writer (no LLM):

- the demo's bundled feeds (``app/demo/feeds``), English and Chinese, as ``aidaily demo`` reads
  them; its stories are the topics the editor finds on topic with no section cap, so a story
  left out past a cap counts as missing;
- each report of ``tests/data/sample-reports`` turned back into feeds (``bench.report_feeds``:
  one story per item, told by up to four outlets, with boilerplate and injection lines mixed
  in), served on loopback and read through the real fetch path. Their stories are the items of
  the sample; "in sample's section" is the share of our items in the section the sample gave
  the same story.

The measures are in ``bench.quality_measures``; the goals are issue 13's. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.building import build_day, ingest_sources  # noqa: E402
from app.demo.server import DemoFeedServer, ServedFeed, StaticServer  # noqa: E402
from bench.quality_measures import Measures, measure  # noqa: E402
from bench.report_feeds import sample_day  # noqa: E402
from core.config import Settings  # noqa: E402
from core.models import SourceConfig  # noqa: E402
from core.pipeline import BuildResult  # noqa: E402
from core.report.editing.cluster import cluster  # noqa: E402
from core.report.editing.editor import edit  # noqa: E402
from core.report.importing.reader import parse_report  # noqa: E402
from core.store.store import Store  # noqa: E402

SAMPLES = ROOT / "tests" / "data" / "sample-reports"
UNCAPPED = 10_000

#: (row label, Measures field, goal text, test)
ROWS = (
    ("items", "items", "", None),
    ("headlines", "headlines", ">= 3", lambda v: v >= 3),
    ("Chinese titles", "chinese_titles", ">= 90%", lambda v: v >= 0.9),
    ("Chinese leads", "chinese_leads", ">= 80%", lambda v: v >= 0.8),
    ("entity noise", "entity_noise", "<= 3%", lambda v: v <= 0.03),
    ("items with 應用場景", "use_cases", ">= 50%", lambda v: v >= 0.5),
    ("repeated bullets", "repeated_bullets", "0", lambda v: v == 0),
    ("leaked lines", "leaked_lines", "0", lambda v: v == 0),
    ("stories missing", "missing_stories", "0", lambda v: v == 0),
    ("in sample's section", "in_sample_section", ">= 60%", lambda v: v >= 0.6),
)


@dataclasses.dataclass(frozen=True, slots=True)
class Day:
    name: str
    result: BuildResult
    measures: Measures


def _settings(data: Path) -> Settings:
    # The extractive writer whatever the environment says: this measures the keyless default.
    return Settings(openai_api_key=None, out_dir=data / "out", database_url=f"sqlite:///{data}/bench.db")


async def _ingest_and_build(
    store: Store, settings: Settings, sources, base_url: str, now: datetime
) -> BuildResult:
    loopback = urlsplit(base_url).hostname or "127.0.0.1"
    await ingest_sources(store, settings, sources, allow_private=(loopback,))
    return await build_day(store, settings, None, now)


def demo_day(data: Path) -> Day:
    settings, now = _settings(data), datetime.now(UTC)
    with DemoFeedServer(now=now) as server, Store.open(f"sqlite:///{data}/demo.db") as store:
        result = asyncio.run(_ingest_and_build(store, settings, server.sources(), server.base_url, now))
        stories = _on_topic_stories(store, result)
    return Day("demo", result, measure(result.report, result.markdown, stories))


def _on_topic_stories(store: Store, result: BuildResult) -> dict[str, list[str]]:
    """The day's topics the editor keeps when no section has a cap: every story a reader is owed."""
    report = result.report
    articles = store.articles_between(report.window_start, report.window_end)
    kept = edit(cluster(articles), language=report.language, max_per_section=UNCAPPED, max_headlines=6)
    return {e.topic.key: [a.url for a in e.topic.articles] for e in kept}


def rebuilt_day(path: Path, data: Path) -> Day:
    sample = parse_report(path.read_text(encoding="utf-8"), source_name=path.name)
    now = sample.generated_at.astimezone(UTC) + timedelta(minutes=5)
    day = sample_day(sample, window_end=sample.generated_at)
    routes = {p: ServedFeed.of(body, last_modified=now) for p, body in day.feeds.items()}
    settings = _settings(data)
    with StaticServer(routes) as server, Store.open(f"sqlite:///{data}/{path.stem}.db") as store:
        sources: tuple[SourceConfig, ...] = day.sources(server.base_url)
        result = asyncio.run(_ingest_and_build(store, settings, sources, server.base_url, now))
    stories = {s.key: list(s.urls) for s in day.stories if s.on_topic}
    sections = {s.key: s.section for s in day.stories}
    return Day(path.stem, result, measure(result.report, result.markdown, stories, sections))


def days() -> list[Day]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        return [demo_day(data), *(rebuilt_day(path, data) for path in sorted(SAMPLES.glob("*.md")))]


def _cell(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.0%}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _met(test, values: list[object]) -> str:
    if test is None:
        return ""
    judged = [v for v in values if v is not None]
    return "yes" if all(test(v) for v in judged) else "NO"


def table(built: list[Day]) -> str:
    head = ["measure", *(d.name for d in built), "goal", "met"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(built) + "---|---|"]
    for label, field, goal, test in ROWS:
        values = [getattr(d.measures, field) for d in built]
        lines.append("| " + " | ".join([label, *(_cell(v) for v in values), goal, _met(test, values)]) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="write each day's report Markdown into this folder")
    args = parser.parse_args()
    built = days()
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for day in built:
            (args.write / f"{day.name}.md").write_text(day.result.markdown, encoding="utf-8")
    print("Report quality: the demo and the sample reports rebuilt from feeds, extractive writer\n")
    print(table(built))


if __name__ == "__main__":
    main()
