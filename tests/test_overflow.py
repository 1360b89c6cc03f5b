"""Stories past a section's cap: listed as briefs everywhere the report goes, never dropped.

The editor keeps ``max_per_section`` items a section and hands the rest on as overflow; the
pipeline writes each as a ``Brief`` (title, one line, link) in the section's 更多報導 list. The
list must survive every road: Markdown and back through the importer, the store, Slack,
Telegram, email (HTML and text), ``show --stats``.
"""

from __future__ import annotations

import dataclasses
import json
import re

from cli import aidaily
from factories import article, topic
from fakes.reports import synthetic_report

from core.models import Brief, Channel, Report, Subscription
from core.report.editing.editor import OFF_TOPIC, edit_day
from core.report.importing.reader import parse_report
from core.report.rendering.labels import labels_for
from core.report.rendering.markdown import render_markdown
from delivery.email_render import EmailRenderer
from delivery.slack_format import plan
from delivery.telegram_format import render_parts, threads

HOSTILE = "<script>alert(1)</script> *bold* _x_ <!channel> [link](javascript:alert(1))"


def _with_briefs(report: Report, count: int = 23) -> Report:
    briefs = tuple(
        Brief(
            f"研究簡報 {n}：{HOSTILE if n == 3 else '稀疏注意力'}",
            f"第 {n} 則的一句話。",
            f"https://example.org/p/{n}?a=1&b=2",
        )
        for n in range(count)
    )
    sections = tuple(
        dataclasses.replace(s, more=briefs) if s.key == "research" else s for s in report.sections
    )
    return dataclasses.replace(report, sections=sections, left_out=(("off_topic", 4), ("told_before", 2)))


def _papers(count: int) -> list:
    return [
        topic(
            article(
                f"Sparse attention variant {n} speeds up long-context inference of language models",
                f"We propose method {n} for sparse attention in transformer language models.",
                source="arXiv cs.CL",
                url=f"https://arxiv.org/abs/2611.{n:05d}",
                kind="paper",
            )
        )
        for n in range(count)
    ]


def test_the_editor_hands_on_what_is_past_the_cap_and_counts_what_it_left_out():
    off_topic = topic(
        article("Bank robbery suspect arrested downtown", "Police arrested a man.", source="Local")
    )
    edition = edit_day([*_papers(20), off_topic], max_per_section=12)
    assert len([e for e in edition.items if e.section != "top_headlines"]) <= 12 * 6
    assert edition.overflow, "twenty papers, a cap of twelve: some are listed in one line"
    kept = {e.topic.key for e in edition.items} | {e.topic.key for e in edition.overflow}
    assert len(kept) == 20
    assert edition.left_out == {OFF_TOPIC: 1}
    weakest_item = max(e.score for e in edition.overflow)
    assert all(e.score >= weakest_item or e.section != "research" for e in edition.items)


def test_briefs_round_trip_through_markdown_and_the_importer():
    report = _with_briefs(synthetic_report({"research": 3, "tools": 1}))
    markdown = render_markdown(report)
    assert "### 更多報導（23 則）" in markdown
    assert not re.search(r"(?<!\\)\]\(javascript:", markdown)  # hostile text stays text, never a link
    back = parse_report(markdown)
    assert back.section("research").more == report.section("research").more
    assert len(back.section("research").items) == 3  # the list is not read as one more item


def test_the_store_keeps_briefs_and_what_was_left_out(store):
    report = _with_briefs(synthetic_report({"research": 2}))
    store.save_report(report, render_markdown(report))
    stored = store.get_report(report.date)
    assert stored.section("research").more == report.section("research").more
    assert dict(stored.left_out) == {"off_topic": 4, "told_before": 2}
    assert report.to_json()["stats"]["more"] == 23


def test_slack_lists_briefs_as_escaped_links_in_the_section_thread():
    report = _with_briefs(synthetic_report({"research": 2}))
    messages = [m for m in plan(report, Subscription(Channel.SLACK, "C0123ABCD")) if m.section == "research"]
    text = json.dumps([m.payload for m in messages], ensure_ascii=False)
    assert "更多報導（23 則）" in text
    assert all(f"https://example.org/p/{n}?a=1&amp;b=2" in text for n in range(23))
    assert "<!channel>" not in text and "<script>" not in text


def test_telegram_lists_briefs_in_the_section_replies():
    report = _with_briefs(synthetic_report({"research": 2}))
    thread = next(t for t in threads(report, labels_for("zh-TW")) if t.key == "research")
    parts = render_parts(thread)
    joined = "\n".join(parts)
    assert "更多報導（23 則）" in joined
    assert all(f'href="https://example.org/p/{n}?a=1&amp;b=2"' in joined for n in range(23))
    assert "<script>" not in joined
    assert len(thread.titles) == 2  # the parent lists the items; the briefs are replies


def test_email_shows_briefs_in_html_and_text():
    report = _with_briefs(synthetic_report({"research": 2}))
    compiled = EmailRenderer().for_subscription(report, (), None)
    assert "更多報導（23 則）" in compiled.html and "更多報導（23 則）" in compiled.text
    assert "https://example.org/p/22?a=1&amp;b=2" in compiled.html
    assert "<https://example.org/p/22?a=1&b=2>" in compiled.text
    assert "<script>" not in compiled.html


def test_a_section_with_only_briefs_is_not_called_empty():
    report = synthetic_report({"research": 0, "tools": 1})
    report = _with_briefs(report, count=2)
    markdown = render_markdown(report)
    research = markdown.split("## 模型與技術更新")[1].split("\n## ")[0]
    assert "（今日無相關項目）" not in research and "更多報導（2 則）" in research


def test_show_stats_says_what_was_listed_and_what_was_left_out(tmp_path):
    report = _with_briefs(synthetic_report({"research": 2}))
    path = tmp_path / f"{report.date}.md"
    path.write_text(render_markdown(report), encoding="utf-8")
    assert aidaily("import", str(path), cwd=tmp_path).returncode == 0
    shown = aidaily("show", "--stats", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "23 more listed in one line past the section cap (research 23)" in shown.stdout
