"""The extractive writer and the shared item helpers, on literal topics.

Articles are built here as plain literals (no network, no clock), so every expectation can be
read off the text below.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import UTC, date, datetime

import pytest

from core.models import Article, EditedTopic, FollowUp, Importance, Item, SourceKind, Topic
from core.report.writing.glossary import GLOSSARY
from core.report.writing.items import (
    MAX_SOURCES,
    clean_headline,
    clean_text,
    converter_available,
    sources_for,
    to_report_script,
)
from core.report.writing.overview import build_overview
from core.report.writing.sentences import content_tokens, similarity, split_sentences
from core.report.writing.summarize import ExtractiveSummarizer, Summarizer, extractive_item

NOON = datetime(2025, 12, 11, 12, 0, tzinfo=UTC)


def _article(
    title: str,
    summary: str = "",
    *,
    source: str = "TechCrunch",
    url: str | None = None,
    kind: SourceKind = SourceKind.NEWS,
    arxiv_id: str | None = None,
) -> Article:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or str(abs(hash(title)))
    host = re.sub(r"[^a-z0-9]+", "", source.lower()) or "example"
    return Article(
        source=source,
        source_kind=kind,
        url=url or f"https://{host}.example.com/2025/12/11/{slug}",
        title=title,
        summary=summary,
        published=NOON,
        fetched_at=NOON,
        arxiv_id=arxiv_id,
    )


def _paper(title: str, abstract: str, arxiv_id: str) -> Article:
    return _article(
        title,
        f"arXiv:{arxiv_id}v1 Announce Type: new Abstract: {abstract}",
        source="arXiv cs.LG",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        kind=SourceKind.PAPER,
        arxiv_id=arxiv_id,
    )


def _edited(topic: Topic, section: str = "top_headlines", **changes: object) -> EditedTopic:
    edited = EditedTopic(topic=topic, section=section, importance=Importance.HIGH, score=5.0)
    return dataclasses.replace(edited, **changes)


GPT_STORY = Topic(
    key="gpt-5-2",
    terms=("gpt-5.2", "openai", "gpqa"),
    articles=(
        _article(
            "OpenAI launches GPT-5.2 with stronger reasoning and coding - TechCrunch",
            "OpenAI on Thursday released GPT-5.2, the latest model in its GPT-5 family. The company says "
            "GPT-5.2 sets new state-of-the-art scores on GPQA Diamond and FrontierMath. It is available "
            "in ChatGPT and the OpenAI API starting today. Developers can use it for agentic workflows "
            "and long documents. The post OpenAI launches GPT-5.2 appeared first on TechCrunch.",
        ),
        _article(
            "OpenAI's GPT-5.2 arrives as Google's Gemini 3 race heats up",
            "GPT-5.2 arrives weeks after Google launched Gemini 3. OpenAI said the model scored 93.2% on "
            "GPQA Diamond, up from 88.1% for GPT-5.1. Analysts expect compute costs to rise as labs race "
            "to ship frontier models.",
            source="The Verge",
        ),
        _article(
            "Introducing GPT-5.2",
            "Today we are introducing GPT-5.2, our most capable model for professional work. GPT-5.2 is "
            "better at reasoning, coding, long context and vision. It helps scientists write rigorous "
            "mathematical proofs. Pricing is $1.75 per million input tokens.",
            source="OpenAI Blog",
            url="https://openai.com/index/introducing-gpt-5-2",
        ),
        _article(
            "OpenAI GPT-5.2: what developers need to know",
            "The GPT-5.2 model supports a 400,000-token context window. It enables developers to build "
            "more reliable agents.",
        ),
    ),
)

PAPERS = Topic(
    key="plasticity",
    terms=("plasticity", "reinforcement"),
    articles=(
        _paper(
            "Loss of Plasticity in Offline-to-Online Reinforcement Learning",
            "Neural networks lose plasticity as they accumulate experience. We study offline-to-online RL "
            "and show that performance is highly sensitive to design choices. Our experiments across 12 "
            "benchmarks reveal that resets help recover plasticity.",
            "2512.01034",
        ),
        _paper(
            "Understanding Loss of Trainability Through Noise and Curvature",
            "Loss of trainability is a key obstacle in continual learning. We analyse it through the "
            "noise-curvature structure of updates and show that mismatched step sizes stall training.",
            "2510.01460",
        ),
        _paper(
            "Plasticity Loss in Deep Reinforcement Learning: A Survey",
            "Plasticity loss limits deep reinforcement learning agents. This survey reviews 40 methods "
            "for mitigating plasticity loss.",
            "2509.19698",
        ),
    ),
)

SIMPLIFIED = Topic(
    key="meta-avocado",
    articles=(
        _article(
            "Meta 新模型「牛油果」将闭源，训练中使用了阿里千问",
            "据彭博社报道，Meta 计划明年春季推出代号为 Avocado 的新大模型，并将改走闭源路线。"
            "报道称，该模型在训练过程中使用了阿里巴巴的 Qwen 模型。这一变化被认为标志着 Meta "
            "开源时代可能告一段落。该模型将主要用于 Meta 的广告和社交产品。",
            source="量子位",
        ),
    ),
)


def _write(edited: EditedTopic, language: str = "zh-TW") -> Item:
    return asyncio.run(ExtractiveSummarizer().write_item(edited, language=language))


# --- items ------------------------------------------------------------------------------------


def test_multi_outlet_story_fills_every_field() -> None:
    follow = FollowUp(date(2025, 12, 10), "GPT-5.1 update", item_id=7)
    edited = _edited(
        GPT_STORY,
        importance=Importance.CRITICAL,
        reason="Frontier model release",
        entities=("OpenAI", "GPT-5.2", "ChatGPT"),
        follow_up=follow,
    )
    item = _write(edited, "en")

    assert item.title == "OpenAI launches GPT-5.2 with stronger reasoning and coding"
    assert 120 <= len(item.summary) <= 400
    assert 2 <= len(item.details) <= 5
    assert item.use_cases and all("agents" in u or "for" in u or "helps" in u for u in item.use_cases)
    assert item.entities == ("OpenAI", "GPT-5.2", "ChatGPT")
    assert (item.importance, item.importance_reason) == (Importance.CRITICAL, "Frontier model release")
    assert item.follow_up == follow
    assert (item.writer, item.topic_key, item.section) == ("extractive", "gpt-5-2", "top_headlines")
    assert item.article_urls == tuple(a.url for a in GPT_STORY.articles)
    assert [s.name for s in item.sources] == ["TechCrunch", "The Verge", "OpenAI Blog", "TechCrunch\u20112"]
    assert [s.url for s in item.sources] == list(item.article_urls)


def test_summary_merges_outlets_and_drops_boilerplate() -> None:
    item = _write(_edited(GPT_STORY), "en")
    sentences = split_sentences(item.summary)
    assert len(sentences) >= 2
    assert "appeared first on" not in " ".join([item.summary, *item.details, *item.use_cases])
    # facts from more than one outlet: the 93.2% score is only in The Verge's story
    assert "93.2%" in item.summary or any("93.2%" in d for d in item.details)


def test_no_sentence_is_repeated_across_summary_details_and_use_cases() -> None:
    for topic in (GPT_STORY, PAPERS, SIMPLIFIED):
        item = _write(_edited(topic), "en")
        summary = [content_tokens(s) for s in split_sentences(item.summary)]
        for line in (*item.details, *item.use_cases):
            body = line.split(": ", 1)[-1] if topic is PAPERS else line
            assert all(similarity(content_tokens(body), s) < 0.5 for s in summary), line
        assert len(set(item.details)) == len(item.details)


def test_paper_theme_titles_count_the_papers() -> None:
    zh = _write(_edited(PAPERS, "research"), "zh-TW")
    en = _write(_edited(PAPERS, "research"), "en")
    assert zh.title == "持續學習與強化學習：3 篇研究"  # what they share, in Chinese
    # A Chinese lead, then the abstract as the source's words.
    assert zh.summary.startswith("3 篇新研究聚焦持續學習與強化學習。原文摘錄：")
    assert en.title == "Plasticity and Reinforcement Learning: 3 related papers"
    assert [s.name for s in en.sources] == ["arXiv:2512.01034", "arXiv:2510.01460", "arXiv:2509.19698"]
    assert len(en.details) == 3 and en.details[0].startswith("Loss of Plasticity in Offline-to-Online")
    assert "Announce Type" not in en.summary


def test_the_same_paper_listed_twice_counts_once() -> None:
    twice = dataclasses.replace(
        PAPERS.articles[0], source="arXiv cs.AI", url="https://arxiv.org/abs/2512.01034v2"
    )
    topic = dataclasses.replace(PAPERS, articles=(*PAPERS.articles, twice))
    item = _write(_edited(topic, "research"), "en")
    assert item.title.endswith(": 3 related papers")
    assert len(item.sources) == 3 and len(item.details) == 3


def test_the_news_lead_opens_the_summary_and_promo_lines_are_dropped() -> None:
    topic = Topic(
        key="oss",
        articles=(
            _article(
                "gpt-oss-2 is now available on Hugging Face",
                "OpenAI's gpt-oss-2-30b and gpt-oss-2-160b are now on the Hugging Face Hub under Apache 2.0. "
                "Read the Hugging Face guide to run them with Transformers, vLLM or llama.cpp. "
                "The models are mixture-of-experts reasoning models that run on a single H100 GPU.",
                source="Hugging Face",
            ),
        ),
    )
    item = _write(_edited(topic), "en")
    assert item.summary.startswith("OpenAI's gpt-oss-2-30b")
    assert "Read the" not in " ".join([item.summary, *item.details, *item.use_cases])


def test_use_cases_are_left_empty_rather_than_invented() -> None:
    topic = Topic(
        key="bench",
        articles=(
            _article(
                "New benchmark measures chatbot wellbeing",
                "A new benchmark scores chatbots on psychological safety. The authors tested 14 models. "
                "Most models failed at least one of the eight scenarios.",
            ),
        ),
    )
    assert _write(_edited(topic), "en").use_cases == ()


@pytest.mark.skipif(not converter_available(), reason="OpenCC is not installed")
def test_simplified_chinese_becomes_traditional_in_zh_tw() -> None:
    edited = _edited(SIMPLIFIED, entities=("阿里巴巴", "蚂蚁集团"), reason="开源策略转向")
    item = _write(edited, "zh-TW")
    assert item.title == "Meta 新模型「牛油果」將閉源，訓練中使用了阿里千問"
    assert "據彭博社報道" in item.summary and "开源" not in item.summary
    assert item.entities == ("阿里巴巴", "螞蟻集團")
    assert item.importance_reason == "開源策略轉向"
    assert item.use_cases == ("該模型將主要用於 Meta 的廣告和社交產品。",)


def test_a_chinese_lead_goes_on_in_chinese_and_the_english_outlets_facts_become_details() -> None:
    story = Topic(
        key="deepseek-v4",
        articles=(
            _article(
                "DeepSeek-V4發布：推理成本再降一半",
                "DeepSeek正式發布並開源DeepSeek-V4，官方稱推理成本降低約50%。輸出價格降至每百萬tokens 4元。",
                source="量子位",
            ),
            _article(
                "DeepSeek releases V4",
                "DeepSeek released V4 with sparse attention. API prices were cut by 50% at launch, "
                "putting pressure on Western providers such as OpenAI and Anthropic.",
                source="AI Business",
            ),
        ),
        terms=("deepseek",),
    )
    item = _write(_edited(story, entities=("DeepSeek", "DeepSeek-V4")), "zh-TW")
    assert item.title.startswith("DeepSeek-V4發布")
    assert "降低約50%" in item.summary
    assert not re.search(r"[A-Za-z]{3,} [a-z]{3,} [a-z]{3,}", item.summary), item.summary  # no English prose
    assert any("API prices were cut" in d for d in item.details), item.details


@pytest.mark.skipif(not converter_available(), reason="OpenCC is not installed")
def test_traditional_text_is_not_rewritten() -> None:
    # The Taiwan phrase table would turn 刷新 ("set a record") into 重新整理 ("reload").
    assert to_report_script("前沿模型發布，刷新多項基準", "zh-TW") == "前沿模型發布，刷新多項基準"
    assert to_report_script("服务器和软件", "zh-TW") == "伺服器和軟體"
    # AI vocabulary survives: OpenCC's Taiwan phrase table would write 引數 and 重新整理 here.
    assert to_report_script("激活参数170亿，刷新纪录", "zh-TW") == "激活參數170億，刷新紀錄"
    assert to_report_script("服务器和软件", "en") == "服务器和软件"


def test_english_report_keeps_the_articles_own_script() -> None:
    item = _write(_edited(SIMPLIFIED), "en")
    assert item.title == "Meta 新模型「牛油果」将闭源，训练中使用了阿里千问"
    assert item.summary.startswith("据彭博社报道")


def test_output_is_deterministic_and_concurrent_calls_agree() -> None:
    summarizer: Summarizer = ExtractiveSummarizer()
    topics = [_edited(GPT_STORY), _edited(PAPERS, "research"), _edited(SIMPLIFIED)]

    async def write_all() -> list[Item]:
        return list(await asyncio.gather(*(summarizer.write_item(t, language="zh-TW") for t in topics)))

    first, second = asyncio.run(write_all()), asyncio.run(write_all())
    assert first == second
    assert first[0] == extractive_item(topics[0], language="zh-TW")


def test_long_sentences_are_clipped_at_a_word_boundary() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    topic = Topic(key="long", articles=(_article("A very long story", f"{words} ends here."),))
    item = _write(_edited(topic), "en")
    assert len(item.summary) <= 400 and item.summary.endswith("…")
    assert item.summary[:-1].split()[-1] in words.split()


def test_control_characters_never_reach_an_item() -> None:
    nasty = "Open\x00AI ships\u202e a model\x1b[31m today.\u200b It runs 40% faster on H100 GPUs in tests."
    topic = Topic(key="ctl", articles=(_article("Open\x07AI ships\u202e a model", nasty),))
    item = _write(_edited(topic, entities=("Open\x00AI",)), "en")
    text = " ".join([item.title, item.summary, *item.details, *item.entities])
    assert not any(ord(c) < 32 or c in "\u202e\u200b" for c in text)


def test_titles_only_feed_still_gives_a_summary() -> None:
    topic = Topic(
        key="t", articles=(_article("Nvidia unveils new inference chip for data centers | Reuters"),)
    )
    item = _write(_edited(topic), "en")
    assert item.title == "Nvidia unveils new inference chip for data centers"
    assert item.summary == item.title


def test_another_articles_short_vague_line_never_opens_the_summary() -> None:
    lead = _article(
        "Anthropic releases Claude Opus 5 for coding agents",
        "Anthropic released Claude Opus 5. It leads rivals on coding benchmarks.",
    )
    titles_only = _article("Anthropic Claude agent AI model", source="Digest")
    restated = _article("Anthropic Claude agent AI model", "Anthropic Claude agent AI model", source="Digest")
    for vague in (titles_only, restated):
        item = _write(_edited(Topic(key="opus", articles=(lead, vague))), "en")
        assert item.summary.startswith("Anthropic released Claude Opus 5.")
        assert "Anthropic Claude" not in item.summary
    # A line of the story's names, not its headline, may add to the summary but never opens it.
    names = _article("Claude news", "Anthropic Claude Opus agent coding model.", source="Digest")
    item = _write(_edited(Topic(key="opus", articles=(lead, names))), "en")
    assert item.summary.startswith("Anthropic released Claude Opus 5.")


# --- shared helpers ---------------------------------------------------------------------------


def test_sources_are_capped_named_uniquely_and_only_http() -> None:
    many = tuple(_article(f"Story part {i}", url=f"https://techcrunch.com/p/{i}") for i in range(11))
    bad = _article("Bad link", url="javascript:alert(1)")
    dup = _article("Same link again", url="https://techcrunch.com/p/0")
    topic = Topic(key="many", articles=(*many, bad, dup))
    links = sources_for(topic)
    assert len(links) == MAX_SOURCES
    assert [link.name for link in links[:3]] == ["TechCrunch", "TechCrunch\u20112", "TechCrunch\u20113"]
    assert len({link.name for link in links}) == len(links)
    assert all(link.url.startswith("https://") for link in links)
    item = _write(_edited(topic), "en")
    assert len(item.article_urls) == 11 and len(item.sources) == MAX_SOURCES
    assert "javascript:alert(1)" not in item.article_urls


@pytest.mark.parametrize(
    ("title", "source", "expected"),
    [
        ("Anthropic releases Opus 4.5 - TechCrunch", "TechCrunch", "Anthropic releases Opus 4.5"),
        (
            "Anthropic releases Opus 4.5 with Chrome | The Verge",
            "Google News",
            "Anthropic releases Opus 4.5 with Chrome",
        ),
        ("GPT-5.2 is here: what it means", "TechCrunch", "GPT-5.2 is here: what it means"),
        ("阿里巴巴发布 Qwen 新模型 | 量子位", "量子位", "阿里巴巴发布 Qwen 新模型"),
        ("Plasticity in RL (arXiv:2512.01034v1 [cs.LG])", "arXiv", "Plasticity in RL"),
    ],
)
def test_clean_headline(title: str, source: str, expected: str) -> None:
    assert clean_headline(title, source) == expected


def test_sentence_splitting_handles_english_and_chinese() -> None:
    english = "The U.S. Commerce Dept. approved it. GPT-5.2 costs $1.75 per 1M tokens! Is it fast? Yes."
    assert split_sentences(english) == [
        "The U.S. Commerce Dept. approved it.",
        "GPT-5.2 costs $1.75 per 1M tokens!",
        "Is it fast?",
        "Yes.",
    ]
    chinese = "阿里发布了新模型。它支持「长上下文」！效果如何？还需观察"
    assert split_sentences(chinese) == [
        "阿里发布了新模型。",
        "它支持「长上下文」！",
        "效果如何？",
        "还需观察",
    ]


def test_clean_text_collapses_whitespace_and_controls() -> None:
    assert clean_text(" a\tb\n\nc\x00d\u2028e ") == "a b c d e"


# --- overview ---------------------------------------------------------------------------------


def _items(language: str) -> list[Item]:
    topics = [
        _edited(GPT_STORY, importance=Importance.CRITICAL, entities=("OpenAI", "GPT-5.2", "ChatGPT")),
        _edited(
            SIMPLIFIED, entities=("Meta", "Avocado", "Qwen"), follow_up=FollowUp(date(2025, 12, 10), "Meta")
        ),
        _edited(PAPERS, "research", importance=Importance.MEDIUM, entities=("plasticity loss", "OpenAI")),
    ]
    return [extractive_item(t, language=language) for t in topics]


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_overview_pieces_are_filled_from_the_items(language: str) -> None:
    items = _items(language)
    overview = build_overview(items, day=date(2025, 12, 12), language=language, articles_count=293)
    assert overview.title.endswith("— 2025/12/12") and "OpenAI" in overview.title
    assert overview.description and overview.summary and 3 <= len(overview.tags) <= 6
    insight = overview.insight
    assert insight.trends and insight.context and insight.outlook and 3 <= len(insight.watchlist) <= 5
    # 今日趨勢總結 tells the day's storylines, each naming the items that carry it.
    titles = [item.title for item in items]
    assert sum(title in insight.trends[0] for title in titles) >= 2 and "OpenAI" in insight.trends[0]
    source_urls = {s.url for item in items for s in item.sources}
    assert 3 <= len(overview.reading.articles) <= 5
    assert {r.url for r in overview.reading.articles} <= source_urls
    assert (
        overview.reading.articles[0].url == "https://openai.com/index/introducing-gpt-5-2"
    )  # a long read first
    glossary_terms = {t.text(language) for t in GLOSSARY}
    assert 3 <= len(overview.reading.background) <= 5
    assert set(overview.reading.background) <= glossary_terms
    assert 8 <= len(overview.reading.keywords) <= 15
    assert overview.reading.keywords[0] == "OpenAI"  # the only keyword of two items


def test_overview_mentions_follow_ups_and_uses_the_report_language() -> None:
    zh = build_overview(_items("zh-TW"), day=date(2025, 12, 12), language="zh-TW", articles_count=10)
    en = build_overview(_items("en"), day=date(2025, 12, 12), language="en", articles_count=10)
    assert any("2025/12/10" in p for p in zh.insight.outlook)
    assert zh.title.startswith("AI 每日情報：") and en.title.startswith("AI Daily: ")
    assert "串起今日" in zh.insight.trends[0] and "of today's stories" in en.insight.trends[0]
    assert not any("\u4e00" <= c <= "\u9fff" for c in en.insight.trends[0])  # English terms in English


def test_overview_of_no_items_is_still_complete() -> None:
    overview = build_overview([], day=date(2025, 12, 12), language="zh-TW", articles_count=5)
    assert overview.title == "AI 每日情報 — 2025/12/12"
    assert overview.insight.trends and overview.insight.context and overview.insight.outlook
    assert overview.reading.articles == () and len(overview.tags) >= 2
