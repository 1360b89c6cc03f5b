"""What the CLI prints and writes about a run: summaries on the console, report files under out/."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from core.models import Report, WriterStats
from core.pipeline import BuildResult, IngestResult


def print_ingest(result: IngestResult, out: Console, err: Console) -> None:
    out.print(
        f"Read {result.parsed_articles} articles from {len(result.feeds)} feeds, {result.new_articles} new."
    )
    for feed in result.failed:
        err.print(f"[yellow]skipped[/] {feed.source}: {feed.error}", highlight=False)
    for feed in result.feeds:
        if feed.warning and not feed.error:
            err.print(f"[yellow]repaired[/] {feed.source}: {feed.warning}", highlight=False)


def print_build(result: BuildResult, out: Console) -> None:
    report = result.report
    out.print(
        f"Report {report.date}: {len(report.items)} items from {report.topics_count} topics "
        f"and {report.articles_count} articles."
    )
    stats = result.stats
    if stats.writer == "llm":
        out.print(
            f"LLM {stats.model}: {stats.calls} calls, {stats.tokens_in} tokens in, {stats.tokens_out} out, "
            f"{stats.cache_hits} cached, {stats.fallbacks} written by the fallback"
            + (f", {stats.trimmed} without bullets that failed the checks." if stats.trimmed else "."),
            highlight=False,
        )
        for reason, keys in stats.fallback_reasons().items():
            out.print(f"  fell back ({len(keys)}): {_clip(reason)} - {_keys(keys)}", highlight=False)


def _clip(reason: str, width: int = 100) -> str:
    """One line per reason: the stored reason is whole, ``show --stats`` prints it."""
    return reason if len(reason) <= width else reason[: width - 1] + "…"


def _keys(keys: list[str], shown: int = 4) -> str:
    listed = ", ".join(keys[:shown])
    return listed + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


#: How ``show --stats`` names the editor's reasons for leaving a topic out.
LEFT_OUT_REASONS = {"off_topic": "not about AI", "told_before": "already told in an earlier report"}


def print_stats(report: Report, stats: WriterStats | None, out: Console) -> None:
    """``aidaily show --stats``: what made the report, what did not and why, what writing it cost."""
    day = report.date
    out.print(f"Report {day}")
    out.print(_edition_line(report), highlight=False)
    if stats is None:
        out.print(f"No writer stats for {day} (an imported report, or one built before stats were kept).")
        return
    names = ("calls", "tokens_in", "tokens_out", "cache_hits", "failures", "fallbacks", "trimmed")
    table = Table("writer", "model", *(name.replace("_", " ") for name in names))
    table.add_row(stats.writer, stats.model or "-", *(f"{getattr(stats, name):,}" for name in names))
    out.print(table)
    if stats.fell_back:
        reasons = Table("fell back", "why")
        for key, reason in stats.fell_back:
            reasons.add_row(key, reason)
        out.print(reasons)


def _edition_line(report: Report) -> str:
    more = [(s.key, len(s.more)) for s in report.sections if s.more]
    line = f"{report.topics_count} topics from {report.articles_count} articles: {len(report.items)} items"
    if more:
        listed = ", ".join(f"{key} {count}" for key, count in more)
        line += f", {sum(c for _, c in more)} more listed in one line past the section cap ({listed})"
    left = [(reason, count) for reason, count in report.left_out if count]
    if left:
        line += "; left out: " + ", ".join(f"{c} {LEFT_OUT_REASONS.get(r, r)}" for r, c in left)
    return line + "."


def write_outputs(result: BuildResult, out_dir: Path) -> tuple[Path, Path]:
    """Write the report as out/<date>.md and out/<date>.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    day = result.report.date.isoformat()
    md_path, json_path = out_dir / f"{day}.md", out_dir / f"{day}.json"
    md_path.write_text(result.markdown, encoding="utf-8")
    json_path.write_text(report_json(result.report), encoding="utf-8")
    return md_path, json_path


def report_json(report) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n"
