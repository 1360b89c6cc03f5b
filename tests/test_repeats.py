"""The writer's last look at a finished item: no bullet says again what the summary or an
earlier bullet said (issue 13), in English, Chinese and both mixed."""

from __future__ import annotations

from core.report.writing.items import without_repeats

LEAD = (
    "Anthropic 發布 Claude Opus 5。原文摘錄：Anthropic released Claude Opus 5 today, scoring 82.4% on "
    "SWE-bench Verified. The model is available in the Anthropic API, Amazon Bedrock and Google "
    "Cloud Vertex AI at $10 per million input tokens."
)


def test_another_outlets_paraphrase_of_the_quoted_lead_is_dropped():
    paraphrase = (
        "The model is offered through the Anthropic API, Amazon Bedrock and Google Cloud Vertex AI, "
        "and Anthropic claims state-of-the-art results on SWE-bench Verified."
    )
    assert without_repeats(LEAD, [paraphrase], []) == ((), ())


def test_a_bullet_with_a_figure_of_its_own_stays_though_its_words_overlap():
    new_fact = "The model is available in the Anthropic API at $40 per million output tokens."
    assert without_repeats(LEAD, [new_fact], []) == ((new_fact,), ())


def test_a_paper_title_that_repeats_the_groups_chinese_lead_is_dropped():
    lead = "兩項架構嘗試從結構與可證明性層面提升神經網路可解釋性與魯棒性：MonoKAN 提供可證明的單調性。"
    details = [
        "兩項架構嘗試從結構與可證明性層面提升神經網路可解釋性與魯棒性",
        "另一篇以合作式網路做逆向設計，誤差降低 30%。",
    ]
    assert without_repeats(lead, details, []) == ((details[1],), ())


def test_a_label_is_not_content_and_a_use_case_may_not_repeat_a_detail():
    details = ["價格：每百萬輸入 token 10 美元，比前代低三分之一。"]
    use_cases = ["每百萬輸入 token 10 美元，比前代低三分之一。", "銀行以它審閱合約，縮短法務流程。"]
    kept = without_repeats("新模型上線。", details, use_cases)
    assert kept == (tuple(details), (use_cases[1],))


def test_distinct_bullets_and_empty_input_pass_untouched():
    details = ["First fact with GPT-5.2.", "第二個事實：營收 20 億美元。"]
    assert without_repeats("", details, []) == (tuple(details), ())
    assert without_repeats("Lead.", [], []) == ((), ())
