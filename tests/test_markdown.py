"""The Markdown renderer: the sample reports' structure, a golden snapshot, and hostile feed text.

The rendered Markdown is also parsed with markdown-it (CommonMark, raw HTML allowed, which is
stricter than Hugo's default) to check what a browser would get: no script, only http(s) links.
Regenerate the snapshot after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_markdown.py``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from core.models import (
    ITEM_SECTIONS,
    FollowUp,
    Importance,
    Insight,
    Item,
    Reading,
    ReadingLink,
    Report,
    Section,
    SourceLink,
)
from core.report.rendering.labels import EN, ZH_TW
from core.report.rendering.markdown import escape_inline, link_target, render_markdown, unescape_inline
from core.report.writing.items import clean_text

GOLDEN = Path(__file__).parent / "golden" / "report.md"
TAIPEI = timezone(timedelta(hours=8))

GPT = Item(
    section="top_headlines",
    title="GPT-5.2 前沿模型的技術特徵與基準表現",
    summary=(
        "OpenAI 推出 GPT-5.2，針對推理、程式碼、長上下文與視覺能力全面強化，"
        "在 GPQA Diamond、FrontierMath 等基準上達成新 SOTA。模型已在 ChatGPT 與 OpenAI API 上線。"
    ),
    details=(
        "能力增強：reasoning / coding / long-context / vision 四大能力。",
        "價格：每百萬輸入 token 1.75 美元。",
    ),
    use_cases=("作為 agentic workflows 的核心模型，驅動多步規劃與工具調用。",),
    entities=("GPT-5.2", "OpenAI", "ChatGPT", "GPQA Diamond"),
    importance=Importance.CRITICAL,
    importance_reason="前沿模型發布，刷新多項基準",
    sources=(
        SourceLink("OpenAI", "https://openai.com/index/introducing-gpt-5-2"),
        SourceLink("TechCrunch", "https://techcrunch.com/2025/12/11/openai-gpt-5-2/"),
        SourceLink("TechCrunch\u20112", "https://techcrunch.com/2025/12/11/gpt-5-2-developers/"),
    ),
    topic_key="gpt-5-2",
)
AVOCADO = Item(
    section="top_headlines",
    title="Meta「Avocado」閉源模型與對阿里 Qwen 的採用",
    summary="彭博社消息稱，Meta 計畫於明年春季推出代號「Avocado」的新大型模型，將改走閉源路線。",
    entities=("Meta", "Avocado", "Qwen"),
    importance=Importance.HIGH,
    sources=(SourceLink("量子位", "https://www.qbitai.com/2025/12/360104.html"),),
    follow_up=FollowUp(date(2025, 12, 10), "Meta 調整開源策略"),
    topic_key="meta-avocado",
)
PLASTICITY = Item(
    section="research",
    title="Plasticity、Reinforcement Learning 等 3 篇研究",
    summary="Neural networks lose plasticity as they accumulate experience. Trainability is lost too.",
    details=("This survey reviews 40 methods for mitigating plasticity loss.",),
    entities=("plasticity loss", "offline-to-online RL"),
    importance=Importance.MEDIUM_HIGH,
    sources=(
        SourceLink("arXiv:2512.01034", "https://arxiv.org/abs/2512.01034"),
        SourceLink("arXiv:2510.01460", "https://arxiv.org/abs/2510.01460"),
    ),
    topic_key="plasticity",
)
SWISSCOM = Item(
    section="applications",
    title="Swisscom 使用 Amazon Bedrock AgentCore 構建企業級 Agentic AI",
    summary="AWS ML Blog 分享 Swisscom 如何基於 AgentCore 打造客服與銷售代理；C++ & Rust 以 <gRPC> 串接。",
    entities=("Swisscom", "Amazon Bedrock", "AgentCore"),
    importance=Importance.MEDIUM,
    sources=(
        SourceLink("AWS ML Blog", "https://aws.amazon.com/blogs/machine-learning/swisscom agentcore (2)"),
        SourceLink("TechCrunch", "TechCrunch", valid=False),
    ),
    topic_key="swisscom",
)
ORACLE = Item(
    section="market",
    title="甲骨文營收放緩與支出攀升引發 AI 泡沫疑慮",
    summary="Oracle 公佈季度財報後股價重挫約 15%，市場修正對 AI 驅動成長的預期。",
    entities=("Oracle",),
    importance=Importance.LOW,
    importance_reason="財報消息，技術細節有限",
    sources=(SourceLink("The Guardian", "https://www.theguardian.com/business/2025/dec/11/oracle-results"),),
    topic_key="oracle",
)


def golden_report(language: str = "zh-TW", items: tuple[Item, ...] | None = None) -> Report:
    """One fixed report: two headlines, one paper theme, one application, one market item."""
    items = items if items is not None else (GPT, AVOCADO, PLASTICITY, SWISSCOM, ORACLE)
    sections = tuple(
        Section(spec.key, spec.heading, tuple(i for i in items if i.section == spec.key))
        for spec in ITEM_SECTIONS
    )
    generated = datetime(2025, 12, 12, 6, 43, 41, tzinfo=TAIPEI)
    return Report(
        date=date(2025, 12, 12),
        title="AI 每日情報：OpenAI、GPT-5.2 與 Meta — 2025/12/12",
        generated_at=generated,
        timezone="Asia/Taipei",
        window_start=generated - timedelta(hours=24),
        window_end=generated,
        articles_count=293,
        topics_count=59,
        sections=sections,
        insight=Insight(
            trends=("今日從 293 篇文章中整理出 5 則重點。", "「GPT-5.2」：OpenAI 推出 GPT-5.2。"),
            context=("模型研究與工具類共 1 則項目，主題包括強化學習。",),
            outlook=("重要性為高以上的「GPT-5.2」與「Avocado」值得留意。",),
            watchlist=(
                "「GPT-5.2」：OpenAI 的後續進展",
                "「Avocado」：Meta 的後續進展",
                "「Oracle」的後續進展",
            ),
        ),
        reading=Reading(
            articles=(
                ReadingLink(
                    "Introducing GPT-5.2", "https://openai.com/index/introducing-gpt-5-2", "長文｜官方介紹"
                ),
                ReadingLink("Plasticity 等 3 篇研究", "https://arxiv.org/abs/2512.01034", "論文｜可塑性喪失"),
            ),
            background=(
                ("強化學習（Reinforcement Learning）", "代理透過與環境互動、依獎勵訊號調整策略的學習方式。"),
            ),
            keywords=("OpenAI", "GPT-5.2", "Meta", "強化學習"),
        ),
        description="每日 AI 快訊：今日 5 則重點。",
        summary="聚焦 OpenAI、GPT-5.2 與 Meta。",
        tags=("OpenAI", "GPT-5.2", "強化學習", "yes", "C++: notes"),
        language=language,
    )


def _body(markdown: str) -> str:
    """The Markdown after the front matter."""
    return markdown.split("\n---\n", 1)[1]


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).render(_body(markdown))


def _front_matter(markdown: str) -> dict[str, str]:
    lines = markdown.split("\n---\n", 1)[0].splitlines()[1:]
    return dict(line.split(": ", 1) for line in lines if ": " in line and not line.startswith(" "))


# --- the format -------------------------------------------------------------------------------


def test_golden_snapshot() -> None:
    rendered = render_markdown(golden_report())
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(rendered, encoding="utf-8")
    if not GOLDEN.exists():
        pytest.fail(f"{GOLDEN} is missing: run with UPDATE_GOLDEN=1, review it and commit it")
    assert rendered == GOLDEN.read_text(encoding="utf-8"), "run with UPDATE_GOLDEN=1 to accept the change"


def test_front_matter_matches_the_samples() -> None:
    markdown = render_markdown(golden_report())
    assert markdown.startswith('---\ncover:\n  image: "/images/2025-12-12-ai-intel.png"\n  alt: "AI Daily"\n')
    meta = _front_matter(markdown)
    assert json.loads(meta["title"]) == "AI 每日情報：OpenAI、GPT-5.2 與 Meta — 2025/12/12"
    assert meta["date"] == "2025-12-12T06:43:41+08:00"
    assert meta["draft"] == "false"
    assert "  - OpenAI\n  - GPT-5.2\n  - 強化學習\n" in markdown
    assert '  - "yes"\n  - "C++: notes"\n' in markdown  # YAML would misread these unquoted


def test_eight_sections_in_order_and_empty_ones_say_so() -> None:
    markdown = render_markdown(golden_report())
    headings = re.findall(r"^## (.+)$", markdown, re.MULTILINE)
    assert headings == [*(s.heading for s in ITEM_SECTIONS), "編輯洞察（Editor’s Insight）", "延伸閱讀與資源"]
    tools = markdown.split("## 工具與資源（Tools & Resources）")[1].split("\n## ")[0]
    assert "（今日無相關項目）" in tools


def test_every_item_has_its_fields_and_http_links() -> None:
    markdown = render_markdown(golden_report())
    blocks = re.split(r"^### ", _body(markdown).split("## 編輯洞察")[0], flags=re.MULTILINE)[1:]
    assert len(blocks) == 5
    for block in blocks:
        for label in ("**核心摘要**  \n", "**關鍵實體**：", "**重要性**：", "**來源**： "):
            assert label in block, (label, block)
    targets = re.findall(r"\]\(([^)]*)\)", markdown)
    assert targets and all(t.startswith(("http://", "https://")) for t in targets)
    assert "**重要性**：極高 — 前沿模型發布，刷新多項基準  \n" in markdown
    assert "**後續報導**：延續 2025/12/10「Meta 調整開源策略」" in markdown
    assert "**關鍵實體**：GPT-5.2、OpenAI、ChatGPT、GPQA Diamond  \n" in markdown


def test_invalid_and_odd_urls() -> None:
    markdown = render_markdown(golden_report())
    assert (
        "[AWS ML Blog](https://aws.amazon.com/blogs/machine-learning/swisscom%20agentcore%20%282%29)"
        in markdown
    )
    assert "| TechCrunch\n" in markdown  # an imported non-URL target prints as text, not as a link
    assert link_target("javascript:alert(1)") is None
    assert link_target("data:text/html,hi") is None
    assert link_target("//evil.example/x") is None
    assert link_target("https://a.example/x\ny") is None


def test_footer_states_counts_window_and_time() -> None:
    report = golden_report()
    markdown = render_markdown(report)
    counts = re.search(r"\*資料來源：(\d+) 篇文章 \| 分析主題：(\d+) 個\*  \n", markdown)
    assert counts and (int(counts[1]), int(counts[2])) == (report.articles_count, report.topics_count)
    assert markdown.endswith("*資料收集時間：過去 24 小時 | 報告生成時間：2025/12/12 06:43:41 CST*\n\n---\n")


def test_time_zone_and_window_come_from_the_report() -> None:
    report = dataclasses.replace(
        golden_report(), timezone="UTC", window_start=golden_report().window_end - timedelta(hours=12)
    )
    markdown = render_markdown(report)
    assert "date: 2025-12-11T22:43:41+00:00\n" in markdown
    assert "過去 12 小時 | 報告生成時間：2025/12/11 22:43:41 UTC*" in markdown


def test_english_labels() -> None:
    markdown = render_markdown(golden_report("en"))
    for text in (
        "## Top Headlines\n",
        "**Summary**  \n",
        "**Technical details**  \n",
        "**Use cases**  \n",
        "**Key entities**: GPT-5.2, OpenAI, ChatGPT, GPQA Diamond  \n",
        "**Importance**: Critical — ",
        "**Sources**: [OpenAI](",
        "**Follow-up**: continues “Meta 調整開源策略” (2025/12/10)",
        "## Editor’s Insight\n\n### Today’s Trends\n",
        "### Technical Context\n",
        "### Outlook\n",
        "**Watchlist**:\n\n1. ",
        "## Further Reading & Resources\n",
        "(No items today.)",
        "*Sources: 293 articles | Topics: 59*  \n",
        "*Collection window: past 24 hours | Generated: 2025/12/12 06:43:41 CST*",
    ):
        assert text in markdown, text
    assert "核心摘要" not in markdown


def test_label_tables_agree() -> None:
    assert set(ZH_TW.sections) == set(EN.sections) == {s.key for s in ITEM_SECTIONS}
    for importance in Importance:
        assert EN.parse_importance(EN.importance_name(importance)) is importance
        assert ZH_TW.parse_importance(ZH_TW.importance_name(importance)) is importance
    assert EN.parse_importance("medium-high") is Importance.MEDIUM_HIGH


# --- hostile text -----------------------------------------------------------------------------

HOSTILE = Item(
    section="top_headlines",
    title="# Breaking <script>alert(1)</script> ### [x](y)",
    summary="---",
    details=(
        "<img src=x onerror=alert(1)> and [click](javascript:alert(1)) and `code` and *bold*",
        "# heading at line start",
        "1. not a list",
        "> not a quote",
        "{{< shortcode >}} and {{% raw %}}",
        "&lt;script&gt; stays text",
    ),
    use_cases=("=====", "- nested", "| a | b |"),
    entities=("A](javascript:alert(1))", "<b>bold</b>", "x_y_z"),
    importance_reason="<iframe src=//evil>",
    sources=(
        SourceLink("Evil](javascript:alert(1)) [x", "https://evil.example/a(b)c d"),
        SourceLink("JS", "javascript:alert(1)"),
        SourceLink("Data", "data:text/html;base64,PHNjcmlwdD4="),
    ),
    follow_up=FollowUp(date(2025, 12, 1), "]] <script>"),
)


def _hostile_report() -> Report:
    long_word = "a" * 5000
    flood = Item(
        section="research",
        title=long_word,
        summary=("長摘要" * 3000) + " " + long_word,
        entities=("x",),
        sources=(SourceLink("ok", "https://ok.example/"),),
    )
    report = golden_report(items=(HOSTILE, flood, GPT))
    return dataclasses.replace(
        report,
        title='Title "quoted" \\ with\nnewline: and # hash',
        tags=("- dash", "a: b", "#tag", "[list]", "@at", "normal"),
        description="line1\n---\nline2",
        insight=dataclasses.replace(report.insight, watchlist=("## not a heading", "<script>x</script>")),
        reading=Reading(
            articles=(ReadingLink("[x](javascript:alert(1))", "javascript:alert(1)", "note <b>"),),
            background=(("* term", "expl `tick`"),),
            keywords=("`rm -rf`", "{{< x >}}", "<script>"),
        ),
    )


def test_hostile_text_cannot_inject_html_or_links() -> None:
    markdown = render_markdown(_hostile_report())
    html = _html(markdown)
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<iframe" not in html.lower()
    assert "<b>" not in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    assert "https://evil.example/a%28b%29c%20d" in hrefs
    assert "{{<" not in markdown and "{{%" not in markdown


def test_hostile_text_cannot_change_the_structure() -> None:
    markdown = render_markdown(_hostile_report())
    html = _html(markdown)
    assert len(re.findall(r"<h2>", html)) == 8
    h3 = re.findall(r"<h3>(.*?)</h3>", html)
    assert h3[0] == "# Breaking &lt;script&gt;alert(1)&lt;/script&gt; ### [x](y)"
    assert len(h3) == 3 + 3 + 3  # three items, three insight and three reading subsections
    assert "<blockquote>" not in html and "<ol>" in html  # only the watchlist is an ordered list
    assert html.count("<hr />") == markdown.count("\n---\n") - 1  # every rule is one of ours
    assert "<strong>核心摘要</strong><br />\n---</p>" in html  # the summary "---" stays text
    assert "<code>" in html and "rm -rf" in html


def test_hostile_front_matter_stays_valid() -> None:
    markdown = render_markdown(_hostile_report())
    meta = _front_matter(markdown)
    assert json.loads(meta["title"]) == 'Title "quoted" \\ with newline: and # hash'
    assert json.loads(meta["description"]) == "line1 --- line2"
    front = markdown.split("\n---\n", 1)[0]
    assert '  - "- dash"\n  - "a: b"\n  - "#tag"\n  - "[list]"\n  - "@at"\n  - normal\n' in front


def test_very_long_text_renders_in_full_on_one_line() -> None:
    markdown = render_markdown(_hostile_report())
    assert ("長摘要" * 3000) in markdown
    assert "\n### " + "a" * 5000 + "\n" in markdown


def test_escape_inline() -> None:
    assert escape_inline("a <b> & c &amp; [d](e) *f* _g_ `h` \\") == (
        "a &lt;b> & c &amp;amp; \\[d\\](e) \\*f\\* \\_g\\_ \\`h\\` \\\\"
    )
    assert escape_inline("line\nbreak\x00") == "line break"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script> & &amp; &lt;b&gt;",
        "[x](javascript:alert(1)) ![i](y) `c` *b* _i_ ~s~ \\ back\\slash",
        "{{< shortcode >}} {{{% raw %}}} }}}",
        "# 1. > - + = | 標題",
        "line\nbreak\x00 tab\t",
    ],
)
def test_unescape_reverses_escape(text: str) -> None:
    escaped = escape_inline(text)
    assert "{{" not in escaped and "}}" not in escaped
    assert unescape_inline(escaped) == clean_text(text)


@pytest.mark.parametrize("text", ["# h", "- l", "+ l", "> q", "1. o", "2) o", "=== s", "| t |"])
def test_line_starts_are_neutralised(text: str) -> None:
    item = dataclasses.replace(GPT, summary=text, details=(text,), use_cases=())
    html = _html(render_markdown(golden_report(items=(item,))))
    for tag in ("<h1>", "<blockquote>", "<table>"):
        assert tag not in html
    # one detail bullet, three watchlist entries, two reading links, one background term
    assert html.count("<li>") == 1 + 3 + 2 + 1 and html.count("<ol>") == 1 and html.count("<h2>") == 8
