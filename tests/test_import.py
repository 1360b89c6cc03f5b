"""The Markdown importer: the two real sample reports, the shapes old reports take, round trips
through our renderer, idempotent imports into both databases, and ``aidaily import`` as a user runs it.

The sample reports are the team's own, copied under ``tests/data/sample-reports`` so that a clean
clone has them; a test checks the copies still equal the shared originals when those exist.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from cli import Done
from cli import aidaily as run_aidaily
from sqlalchemy import func, select
from test_markdown import HOSTILE, golden_report

from core.models import ITEM_SECTION_KEYS, ITEM_SECTIONS, Importance, Item, Report, SourceLink
from core.report.importing.files import import_files
from core.report.importing.reader import ReportFormatError, parse_report
from core.report.rendering.markdown import link_target, render_markdown
from core.store import Store
from core.store.tables import ReportItemArticleRow, ReportItemRow, ReportItemSourceRow, ReportRow

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "sample-reports"
COPIED_SAMPLES = Path(__file__).resolve().parent / "data" / "sample-reports"
SAMPLES = COPIED_SAMPLES if COPIED_SAMPLES.is_dir() else SHARED_SAMPLES
SAMPLE_NAMES = ("2025-11-25.md", "2025-12-12.md")
#: Counted by hand once; the tests compare with a scan of the files too.
KNOWN_COUNTS = {
    "2025-11-25.md": {
        "top_headlines": 3, "research": 4, "tools": 4, "applications": 6, "trends": 9, "market": 4,
    },
    "2025-12-12.md": {
        "top_headlines": 6, "research": 20, "tools": 5, "applications": 14, "trends": 8, "market": 5,
    },
}  # fmt: skip
ROUND_TRIP_FIELDS = (
    "section", "title", "summary", "details", "use_cases", "entities",
    "importance", "importance_reason", "sources", "follow_up",
)  # fmt: skip


def sample_text(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def sample(name: str) -> Report:
    return parse_report(sample_text(name), source_name=name)


def heading_counts(text: str) -> dict[str, int]:
    """``###`` headings under each item section's ``##`` heading, counted by a plain scan."""
    by_heading = {spec.heading: spec.key for spec in ITEM_SECTIONS}
    counts = dict.fromkeys(by_heading.values(), 0)
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = by_heading.get(line[3:].strip())
        elif line.startswith("### ") and current:
            counts[current] += 1
    return counts


def item(report: Report, title_start: str) -> Item:
    return next(i for i in report.items if i.title.startswith(title_start))


# --- the sample reports -----------------------------------------------------------------------


def test_copied_samples_equal_the_shared_reports() -> None:
    if not SHARED_SAMPLES.is_dir() or SAMPLES == SHARED_SAMPLES:
        pytest.skip("no shared sample-reports folder beside the repository")
    for name in SAMPLE_NAMES:
        assert (COPIED_SAMPLES / name).read_bytes() == (SHARED_SAMPLES / name).read_bytes()


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_one_item_per_heading_in_each_section(name: str) -> None:
    expected = heading_counts(sample_text(name))
    assert expected == KNOWN_COUNTS[name]
    report = sample(name)
    assert [s.key for s in report.sections] == [spec.key for spec in ITEM_SECTIONS]
    assert {s.key: len(s.items) for s in report.sections} == expected
    assert all(i.writer == "import" and i.section == s.key for s in report.sections for i in s.items)


def test_front_matter_footer_and_window() -> None:
    report = sample("2025-12-12.md")
    assert report.date == date(2025, 12, 12)
    assert report.title == "生成式人工智慧與基礎模型觀察報告 — 2025/12/12"
    assert report.generated_at.isoformat() == "2025-12-12T06:43:41+08:00"
    assert report.timezone == "Asia/Taipei"
    assert report.window_end == report.generated_at
    assert report.window_end - report.window_start == timedelta(hours=24)
    assert (report.articles_count, report.topics_count) == (293, 59)
    assert report.tags == ("生成式AI", "基礎模型", "產業動態", "治理與法規", "研究匯總")
    assert report.cover_image == "/images/2025-12-12-ai-intel.png"
    assert report.description.startswith("每日 AI 快訊：涵蓋 Disney‑OpenAI 合作")
    assert report.language == "zh-TW"


def test_a_full_item() -> None:
    sora = sample("2025-12-12.md").items[0]
    assert sora.title == "OpenAI Sora 與迪士尼角色的個人化影片生成"
    assert sora.summary.startswith("迪士尼以約 10 億美元入股 OpenAI")
    assert len(sora.details) == 5 and sora.details[0].startswith("生成引擎：OpenAI 的 Sora")
    assert len(sora.use_cases) == 3
    assert sora.entities[:3] == ("Sora", "OpenAI", "The Walt Disney Company")
    assert sora.importance is Importance.HIGH and sora.importance_reason == ""
    assert [s.name for s in sora.sources] == ["The Guardian", "TechCrunch", "OpenAI"]
    assert all(s.valid for s in sora.sources)
    assert sora.article_urls == tuple(s.url for s in sora.sources)


def test_repeated_summary_is_appended_and_missing_parts_are_empty() -> None:
    avocado = item(sample("2025-12-12.md"), "Meta「Avocado」")
    first, second = avocado.summary.split("\n")
    assert first.startswith("彭博社消息稱") and second.startswith("此舉被部分觀察者解讀為")
    assert avocado.details == () and avocado.use_cases == ()


def test_nested_bullets_fold_into_their_parent() -> None:
    judge = sample("2025-11-25.md").items[0]
    assert len(judge.details) == 5
    assert judge.details[0].startswith("評估範式與效率：一般 LLM-as-a-Judge 實作")
    assert "多模態 LLM 作為評審時存在基本張力：迫使模型輸出單一 scalar 分數" in judge.details[0]
    assert "魯棒性：避免單一獎勵模型偏斜" in judge.details[1]
    assert not any("**" in d for d in judge.details)


def test_link_targets_that_are_not_urls_are_kept_and_flagged() -> None:
    judge = sample("2025-11-25.md").items[0]
    assert judge.sources[0] == SourceLink("來源1", "1", valid=False)
    assert len(judge.sources) == 12 and judge.article_urls == ()
    rivian = item(sample("2025-12-12.md"), "Rivian")
    assert rivian.sources == (SourceLink("TechCrunch", "TechCrunch", valid=False),)
    repeat = item(sample("2025-12-12.md"), "AI 生成系統安全要求")
    assert repeat.sources == (SourceLink("同「今日焦點」所列", "", valid=False),)


def test_arxiv_id_targets_become_arxiv_urls() -> None:
    research = sample("2025-11-25.md").section("research").items
    assert research[0].sources[0] == SourceLink("arXiv:2405.17838", "https://arxiv.org/abs/2405.17838")
    assert research[3].sources[0] == SourceLink("arXiv:2406.03283", "https://arxiv.org/abs/2406.03283")
    iss = item(sample("2025-11-25.md"), "ISS-Geo142")  # "arXiv:2504.21194v2": the paper, not the version
    assert iss.sources == (SourceLink("arXiv:2504.21194", "https://arxiv.org/abs/2504.21194"),)
    assert iss.article_urls == ("https://arxiv.org/abs/2504.21194",)


def test_an_item_without_entities_importance_or_sources_is_kept_as_written() -> None:
    drax = item(sample("2025-12-12.md"), "Drax 電廠轉型")
    assert drax.summary.startswith("（見前述「產業與應用動態」）")
    assert drax.entities == () and drax.sources == () and drax.importance is Importance.MEDIUM


def test_a_summary_written_as_bullets_stays_the_summary() -> None:
    oracle = item(sample("2025-12-12.md"), "Oracle 業績衝擊")
    assert oracle.summary.split("\n") == [
        "即時財經報導顯示：",
        "- 多家綠色生技公司計畫在 Grangemouth 設廠。",
        "- Oracle 財報表現不佳導致股價大跌（與 AI 泡沫疑慮呼應）。",
        "- IEA 數據稱俄羅斯自 2022 年以來原油與成品油出口收入降至新低。",
    ]


def test_insight_and_reading() -> None:
    report = sample("2025-12-12.md")
    insight, reading = report.insight, report.reading
    assert len(insight.trends) == 2 and insight.trends[0].startswith("2025/12/12 的訊號顯示")
    assert insight.context[0].split("\n")[1].startswith("1. 世界模型與智能體：Runway")
    assert len(insight.outlook) == 2
    assert len(insight.watchlist) == 5 and insight.watchlist[0].startswith("GPT‑5.2 實際在開源")
    assert len(reading.articles) == 4
    assert reading.articles[0].title == "Introducing GPT‑5.2"
    assert reading.articles[0].url == "https://openai.com/index/introducing-gpt-5-2"
    assert reading.articles[0].note.startswith("從官方系統卡")
    assert reading.background[0] == (
        "世界模型（World Model）",
        "以單一潛在模型統一環境動態、感知與預測的架構，常用於模擬、規劃與智能體訓練。",
    )
    assert reading.keywords[:3] == ("GPT-5.2", "Sora", "世界模型") and len(reading.keywords) == 15


# --- shapes the samples do not show --------------------------------------------------------------

VARIANTS = """\
---
cover:
  image: '/images/x.png'
title: 測試報告
date: "2025-11-25T06:42:17+08:00"
tags: [alpha, "b c"]
---

## 今日焦點 (Top Headlines)

### 第一則

**核心摘要**：第一段。

**核心摘要（續）**
第二段。

**關鍵實體**：甲、乙, Gamma，丁, 5,000 萬美元
**重要性**：中-高 - 有理由
**來源**： [arXiv:2406.03283](2406.03283) | [來源1](1) | 同「今日焦點」所列

### 第二則

**核心摘要**
沒有細節也沒有來源。

**重要性**：非常重要

## 模型與技術更新

（今日無相關項目）

## Tools & Resources

### 其他技術更新（精選）

- **Alpha**：第一個更新。
- **Beta**：第二個更新
  - 子項目一；
  - 子項目二

---

*資料來源：1,234 篇文章 | 分析主題：7 個*
*資料收集時間：過去 12 小時 | 報告生成時間：2025/11/25 06:42:17 CST*
"""


def test_heading_variants_and_empty_sections() -> None:
    report = parse_report(VARIANTS)
    counts = {s.key: len(s.items) for s in report.sections}
    assert counts == {
        "top_headlines": 2,
        "research": 0,
        "tools": 1,
        "applications": 0,
        "trends": 0,
        "market": 0,
    }
    assert report.section("research").heading == "模型與技術更新（Model & Research Updates）"


def test_field_variants() -> None:
    first, second = parse_report(VARIANTS).section("top_headlines").items
    assert first.summary == "第一段。\n第二段。"
    assert first.entities == ("甲", "乙", "Gamma", "丁", "5,000 萬美元")
    assert (first.importance, first.importance_reason) == (Importance.MEDIUM_HIGH, "有理由")
    assert first.sources == (
        SourceLink("arXiv:2406.03283", "https://arxiv.org/abs/2406.03283"),
        SourceLink("來源1", "1", valid=False),
        SourceLink("同「今日焦點」所列", "", valid=False),
    )
    assert first.article_urls == ("https://arxiv.org/abs/2406.03283",)
    assert (second.importance, second.importance_reason) == (Importance.MEDIUM, "非常重要")
    assert second.sources == () and second.details == ()


def test_a_bullet_block_is_one_item_with_its_bullets_as_details() -> None:
    (block,) = parse_report(VARIANTS).section("tools").items
    assert block.title == "其他技術更新（精選）"
    assert block.summary == ""
    assert block.details == ("Alpha：第一個更新。", "Beta：第二個更新：子項目一；子項目二")


def test_quoted_date_flow_tags_and_footer() -> None:
    report = parse_report(VARIANTS)
    assert report.generated_at == datetime.fromisoformat("2025-11-25T06:42:17+08:00")
    assert report.timezone == "Asia/Taipei" and report.date == date(2025, 11, 25)
    assert report.window_end - report.window_start == timedelta(hours=12)
    assert (report.articles_count, report.topics_count) == (1234, 7)
    assert report.tags == ("alpha", "b c") and report.cover_image == "/images/x.png"


def test_bom_and_crlf_are_tolerated() -> None:
    assert parse_report("\ufeff" + VARIANTS.replace("\n", "\r\n")) == parse_report(VARIANTS)


def test_the_footer_time_stands_in_for_a_missing_date() -> None:
    report = parse_report(VARIANTS.replace('date: "2025-11-25T06:42:17+08:00"\n', ""))
    assert report.generated_at == datetime.fromisoformat("2025-11-25T06:42:17+08:00")
    assert report.timezone == "Asia/Taipei"


@pytest.mark.parametrize(
    ("line", "importance", "reason"),
    [
        ("高", Importance.HIGH, ""),
        ("中‑高 — 理由", Importance.MEDIUM_HIGH, "理由"),
        ("中-高 - 理由", Importance.MEDIUM_HIGH, "理由"),
        ("中–高 – 理由", Importance.MEDIUM_HIGH, "理由"),
        ("極高：首發", Importance.CRITICAL, "首發"),
        ("低", Importance.LOW, ""),
        ("Medium-high — why", Importance.MEDIUM_HIGH, "why"),
        ("中等", Importance.MEDIUM, "中等"),
        ("高度關注", Importance.MEDIUM, "高度關注"),
    ],
)
def test_importance_labels_and_reasons(line: str, importance: Importance, reason: str) -> None:
    text = VARIANTS.replace("**重要性**：中-高 - 有理由", f"**重要性**：{line}")
    first = parse_report(text).items[0]
    assert (first.importance, first.importance_reason) == (importance, reason)


# --- round trip through our renderer -------------------------------------------------------------


def as_rendered(source: SourceLink) -> SourceLink:
    """A source as the Markdown keeps it: a percent-encoded URL, or only the name when not http(s)."""
    target = link_target(source.url)
    return SourceLink(source.name, target, True) if target else SourceLink(source.name, "", valid=False)


def assert_same_items(parsed: Report, original: Report) -> None:
    assert len(parsed.items) == len(original.items)
    for got, want in zip(parsed.items, original.items, strict=True):
        want = dataclasses.replace(want, sources=tuple(map(as_rendered, want.sources)))
        for name in ROUND_TRIP_FIELDS:
            assert getattr(got, name) == getattr(want, name), name


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_round_trip_of_the_golden_report(language: str) -> None:
    original = golden_report(language)
    parsed = parse_report(render_markdown(original))
    assert_same_items(parsed, original)
    # Headings follow the language, as the pipeline writes them.
    headings = [spec.heading if language == "zh-TW" else spec.heading_en for spec in ITEM_SECTIONS]
    assert [(s.key, s.heading) for s in parsed.sections] == list(
        zip(ITEM_SECTION_KEYS, headings, strict=True)
    )
    rest = dataclasses.replace(
        original, sections=parsed.sections, cover_image="/images/2025-12-12-ai-intel.png"
    )
    assert parsed == rest


def test_round_trip_of_the_golden_file() -> None:
    golden = (ROOT / "tests" / "golden" / "report.md").read_text(encoding="utf-8")
    assert_same_items(parse_report(golden), golden_report())


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_round_trip_of_hostile_text(language: str) -> None:
    unescaped = dataclasses.replace(
        HOSTILE,
        title="a\\b *c* _d_ `e` [f](g) ~h~ &amp; &lt; <i> {{< s >}} # i ###",
        summary="1. looks like a list | pipe \\| escaped",
        entities=("x、y",),  # joined by the separator it contains: comes back as two entities
    )
    original = golden_report(language, items=(HOSTILE, unescaped))
    parsed = parse_report(render_markdown(original))
    assert parsed.items[0].title == HOSTILE.title
    assert parsed.items[1].title == unescaped.title and parsed.items[1].summary == unescaped.summary
    assert parsed.items[1].entities == ("x", "y")
    original = golden_report(language, items=(HOSTILE, dataclasses.replace(unescaped, entities=("xy",))))
    assert_same_items(parse_report(render_markdown(original)), original)


# --- files that are not reports -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty file"),
        ("\n  \n", "empty file"),
        ("\x00\x01\x02binary", "NUL"),
        ("# A note\n\nJust Markdown.\n", "no front matter"),
        ("---\ntitle: x\n", "no closing"),
        ("---\ntitle: x\ndate: 2025-12-12T06:00:00+08:00\n---\n\nJust text.\n", "no report sections"),
        ("---\ndate: tomorrow\n---\n\n## 今日焦點\n", "not an ISO date"),
        ("---\ntitle: x\n---\n\n## 今日焦點\n", "no report date"),
    ],
)
def test_text_that_is_not_a_report(text: str, fragment: str) -> None:
    with pytest.raises(ReportFormatError) as raised:
        parse_report(text, source_name="note.md")
    assert fragment in raised.value.reason and "\n" not in str(raised.value)
    assert str(raised.value).startswith("note.md: ")


# --- importing into the store ---------------------------------------------------------------------


def row_counts(store: Store) -> tuple[int, ...]:
    tables = (ReportRow, ReportItemRow, ReportItemSourceRow, ReportItemArticleRow)
    with store.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables)


def test_import_is_idempotent(store: Store) -> None:
    paths = [SAMPLES / name for name in SAMPLE_NAMES]
    first = import_files(store, paths)
    stored = {d: store.get_report(d) for d in store.report_dates()}
    counts = row_counts(store)
    second = import_files(store, paths)
    assert first == second
    assert [o.line() for o in first] == ["imported 2025-11-25: 30 items", "imported 2025-12-12: 58 items"]
    assert {d: store.get_report(d) for d in store.report_dates()} == stored
    assert row_counts(store) == counts == (2, 88, counts[2], counts[3])
    for name in SAMPLE_NAMES:
        day = date.fromisoformat(name.removesuffix(".md"))
        assert stored[day] == sample(name)  # the store keeps every imported value, valid flags included
        assert store.get_markdown(day) == sample_text(name)


def test_bad_files_are_skipped_and_the_others_imported(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "garbage.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "note.md").write_text("# A note\n\nNo front matter.\n", encoding="utf-8")
    (tmp_path / "bom.md").write_bytes(b"\xef\xbb\xbf" + sample_text("2025-11-25.md").encode("utf-8"))
    names = ["garbage.bin", "missing.md", "empty.md", "note.md", "bom.md"]
    outcomes = import_files(sqlite_store, [tmp_path / n for n in names])
    assert [o.ok for o in outcomes] == [False, False, False, False, True]
    assert [o.error for o in outcomes[:4]] == [
        "binary data (NUL bytes), not a Markdown report",
        "no such file",
        "empty file",
        "no front matter: a report starts with a '---' line and YAML keys",
    ]
    assert outcomes[0].line().startswith(f"skipped {tmp_path / 'garbage.bin'}: ")
    assert sqlite_store.get_report(date(2025, 11, 25)) == sample("2025-11-25.md")


def test_other_encodings_are_named(sqlite_store: Store, tmp_path: Path) -> None:
    (tmp_path / "latin1.md").write_bytes("---\ntitle: café\n---\n".encode("latin-1"))
    (tmp_path / "utf16.md").write_bytes(sample_text("2025-11-25.md").encode("utf-16"))
    latin1, utf16 = import_files(sqlite_store, [tmp_path / "latin1.md", tmp_path / "utf16.md"])
    assert latin1.error == "not UTF-8 text (byte 0xe9 at offset 14)"
    assert utf16.error == "UTF-16 text: save it as UTF-8"
    assert sqlite_store.report_dates() == []


# --- the command line -----------------------------------------------------------------------------


def aidaily(*args: str, cwd: Path) -> Done:
    return run_aidaily(*args, cwd=cwd, env={"AIDAILY_DATABASE_URL": f"sqlite:///{cwd / 'import.db'}"})


def test_cli_import_then_show(tmp_path: Path) -> None:
    done = aidaily("import", *(str(SAMPLES / n) for n in SAMPLE_NAMES), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["imported 2025-11-25: 30 items", "imported 2025-12-12: 58 items"]
    shown = aidaily("show", "--date", "2025-12-12", "--format", "json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    counts = {s["key"]: len(s["items"]) for s in data["sections"]}
    assert counts == heading_counts(sample_text("2025-12-12.md"))
    assert data["sections"][0]["items"][0]["writer"] == "import"
    assert data["stats"] == {"articles": 293, "topics": 59, "items": 58, "more": 0, "left_out": {}}
    markdown = aidaily("show", "--date", "2025-11-25", cwd=tmp_path)
    assert markdown.stdout == sample_text("2025-11-25.md")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (bytes(range(256)) * 4, "binary data"),
        (b"\xc3\x28 garbage \xff", "not UTF-8 text"),
        (b"", "empty file"),
        (b"# A note\n\nNo front matter.\n", "no front matter"),
    ],
)
def test_cli_bad_file_is_one_line_and_the_rest_is_imported(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    (tmp_path / "bad.md").write_bytes(content)
    done = aidaily("import", "bad.md", str(SAMPLES / "2025-12-12.md"), cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("skipped bad.md: ") and fragment in lines[0], done.stderr
    assert done.stdout.splitlines() == ["imported 2025-12-12: 58 items"]


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_an_item_without_entities_has_no_entities_line_and_reads_back(language: str) -> None:
    nameless = dataclasses.replace(HOSTILE, entities=())
    original = golden_report(language, items=(nameless, HOSTILE))
    markdown = render_markdown(original)
    first = markdown.split("\n### ")[1].split("\n---")[0]
    assert "關鍵實體" not in first and "Key entities" not in first and "（無）" not in first
    assert "**重要性**" in first or "**Importance**" in first
    assert_same_items(parse_report(markdown), original)


def test_a_list_of_blank_bullets_has_no_label() -> None:
    blank = dataclasses.replace(HOSTILE, details=("  ", "\u200b"), use_cases=("",))
    markdown = render_markdown(golden_report("zh-TW", items=(blank,)))
    first = markdown.split("\n### ")[1].split("\n---")[0]
    assert "技術細節" not in first and "應用場景" not in first
