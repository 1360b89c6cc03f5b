"""應用場景: "who uses it for what" goes to use cases, facts to details, nothing twice."""

from __future__ import annotations

import pytest
from factories import article

from core.models import EditedTopic, Importance, Topic
from core.report.writing.sentences import content_tokens, similarity
from core.report.writing.summarize import extractive_item
from core.report.writing.use_cases import is_use_case


def _item(topic: Topic, language: str = "en"):
    edited = EditedTopic(topic=topic, section="applications", importance=Importance.HIGH, score=5.0)
    return extractive_item(edited, language=language)


@pytest.mark.parametrize(
    "sentence",
    [
        "Early customers report closing their books four days faster.",
        "The company says it reviews 3 million pull requests a month for 900 customers.",
        "Agent mode lets ChatGPT book tables on the user’s behalf.",
        "The tool helps radiologists flag fractures in seconds.",
        "Siemens has deployed the assistant at 100 factories across Germany.",
        "The feature is in public preview for Copilot Business and Enterprise customers.",
        "The method can be applied to clinical named entity recognition.",
        "該模型將主要用於 Meta 的廣告和社交產品。",
        "公司稱已在汽車零部件工廠完成小批量部署。",
        "醫生只需審核修改，書寫時間縮短六成。",
        "该系统协助银行审核信用证。",
    ],
)
def test_use_sentences_are_recognised(sentence: str) -> None:
    assert is_use_case(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Anthropic released Claude Opus 5 today, scoring 82.4% on SWE-bench Verified.",
        "Royalty revenue rose 31% in the quarter.",
        "The largest model has 17 billion active parameters.",
        "Most models failed at least one of the eight scenarios.",
        "阿里雲正式開源Qwen3.5系列，共8款模型。",
        "We show that brief fine-tuning elicits hidden capabilities in models trained to sandbag.",
        "DeepSeek-V4採用新一代稀疏注意力架構，全系採用Apache 2.0協議開源。",
    ],
)
def test_facts_are_not_use_cases(sentence: str) -> None:
    assert not is_use_case(sentence)


LEDGER = Topic(
    key="ledger",
    articles=(
        article(
            "Ledgerly launches AI agents that reconcile invoices",
            "Ledgerly, a New York accounts-payable startup, launched agents that match invoices to payments "
            "and flag anomalies. The agents cost $400 a month per company. "
            "Early customers report closing their books four days faster.",
        ),
        article(
            "Ledgerly's new agents take on accounts payable",
            "Ledgerly launched AI agents that match invoices with payments and flag anomalies for finance "
            "teams. The startup raised $12 million last year.",
            source="AI Business",
            minutes=20,
        ),
    ),
)


@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_a_use_sentence_goes_to_use_cases_not_the_summary(language: str) -> None:
    item = _item(LEDGER, language)
    assert any("customers report" in u for u in item.use_cases)
    assert "customers report" not in item.summary
    assert not any("customers report" in d for d in item.details)


def test_no_bullet_repeats_the_summary_or_another_bullet_across_sources_and_languages() -> None:
    topic = Topic(
        key="qwen",
        articles=(
            article(
                "Alibaba releases Qwen3.5 open-weight models",
                "Alibaba Cloud released Qwen3.5, a family of eight open-weight models ranging from "
                "0.8 billion to 397 billion parameters, under the Apache 2.0 license. "
                "The largest model is a mixture of experts with 17 billion active parameters.",
            ),
            article(
                "阿里开源Qwen3.5",
                "阿里云通义千问团队正式开源Qwen3.5系列，共8款模型，参数规模从0.8B到397B，其中旗舰为激活参数170亿的MoE模型。"
                "官方称Qwen3.5在数学与代码基准上超过DeepSeek-V3.2。",
                source="量子位",
                minutes=10,
            ),
        ),
    )
    for language in ("en", "zh-TW"):
        item = _item(topic, language)
        bullets = [*item.details, *item.use_cases]
        assert not any("0.8B到397B" in b or "0.8B 到 397B" in b for b in bullets), bullets
        seen = [content_tokens(item.summary)]
        for bullet in bullets:
            tokens = content_tokens(bullet)
            assert all(similarity(tokens, other) < 0.5 for other in seen), bullet
            seen.append(tokens)


def test_no_use_case_is_invented() -> None:
    topic = Topic(
        key="bench",
        articles=(
            article(
                "Chip sales rise",
                "Chip sales rose 12% in the third quarter. Margins were flat at 41%. Shares fell 3%.",
            ),
        ),
    )
    assert _item(topic).use_cases == ()


def test_two_outlets_wording_one_fact_is_one_sentence() -> None:
    topic = Topic(
        key="eu",
        articles=(
            article(
                "EU regulators demand answers from AI firms over training data summaries",
                "The EU AI Office has written to several developers of general-purpose AI models asking why "
                "their public summaries of training data fall short of the AI Act. Companies have a month "
                "to respond.",
                source="The Guardian",
            ),
            article(
                "The EU AI Act's first real test has arrived",
                "Brussels’ AI Office is asking general-purpose AI model providers to explain gaps in the "
                "training-data summaries the AI Act requires.",
                source="MIT Technology Review",
                minutes=15,
            ),
        ),
    )
    item = _item(topic)
    lines = [item.summary, *item.details, *item.use_cases]
    assert sum("training" in line and "summaries" in line for line in lines) == 1, lines
    assert sum(line.count("summaries") for line in lines) == 1


def test_a_noun_that_looks_like_a_cue_is_not_a_use() -> None:
    assert not is_use_case("Data center cooling and the power plants behind it consume far more water.")
    assert not is_use_case("The chip serves as a reference design for the industry.")
    assert is_use_case("The chip powers the company's new data centers in Texas.")


def test_details_are_facts_with_names_or_numbers() -> None:
    topic = Topic(
        key="chips",
        articles=(
            article(
                "Acme ships the Nimbus 3 inference chip",
                "Acme shipped the Nimbus 3 inference chip on Tuesday to cloud providers in Europe and Asia, "
                "its first product since the company was founded by former chip designers four years ago. "
                "The chip runs Llama 4 at 1,200 tokens a second on 80GB of memory. "
                "The approach is still clumsy, but observers are hopeful about where it leads.",
            ),
        ),
    )
    item = _item(topic)
    assert any("1,200" in d for d in item.details)
    assert not any("clumsy" in d for d in item.details)
