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


def test_one_fact_told_in_both_scripts_is_said_once_in_the_reports_language():
    english = "Alibaba says Qwen models have now been downloaded more than 700 million times."
    chinese = "模型已同步上架Hugging Face與魔搭社區，Qwen系列累計下載量已超過七億次。"
    other = "Qwen3.5全系支持混合思考模式。"
    details = [english, other, chinese]
    assert without_repeats("Alibaba 開源 Qwen3.5。", details, [], chinese_first=True) == (
        (other, chinese),
        (),
    )
    assert without_repeats("Alibaba open-sources Qwen3.5.", details, []) == ((english, other), ())


def test_the_same_figure_about_another_company_or_with_no_scale_is_another_fact():
    english = "OpenAI says ChatGPT now has 800 million weekly users."
    rival = "Google 稱 Gemini 月活躍用戶已達 8 億。"  # the same figure, someone else's
    percent = "Alibaba 稱推理成本降低 50%。"
    cut = "Alibaba cut API prices by 50% at launch."  # a bare percentage tells no fact apart
    assert without_repeats("今日消息。", [english, rival], [], chinese_first=True) == ((english, rival), ())
    assert without_repeats("今日消息。", [percent, cut], [], chinese_first=True) == ((percent, cut), ())


def test_a_bullet_that_says_what_the_headlines_deal_is_for_stays():
    lead = "CoreWeave 簽署 40 億美元合作協議。原文摘錄：The GPU cloud's backlog now exceeds $60 billion."
    use = "CoreWeave disclosed a new $4 billion, five-year contract to supply Nvidia GB300 capacity."
    assert without_repeats(lead, [], [use], chinese_first=True) == ((), (use,))
