"""Clustering: one topic per story or paper theme, deterministic, and fast on a big day."""

from __future__ import annotations

import functools
import itertools
import random
from datetime import timedelta

import pytest
from factories import article, paper

from core.models import Article, SourceKind, Topic
from core.report.editing.cluster import MAX_TOPIC_SIZE, cluster, merge_duplicates, topic_key

GPT6 = [
    article(
        "OpenAI launches GPT-6, its most capable model yet",
        "OpenAI on Thursday released GPT-6, a frontier model the company says beats rivals on "
        "reasoning, coding and long-context benchmarks. GPT-6 is available in ChatGPT and the API.",
        source="TechCrunch",
        weight=1.2,
        minutes=5,
    ),
    article(
        "GPT-6 arrives with better reasoning and a million-token context window",
        "The new model from OpenAI can read a million tokens at once and, according to the company, "
        "sets records on GPQA and FrontierMath. Sam Altman called GPT-6 a step change.",
        source="The Verge",
        minutes=20,
    ),
    article(
        "OpenAI's new model is here: what GPT-6 means for businesses",
        "Enterprises using ChatGPT Enterprise get GPT-6 first. Analysts say OpenAI's release raises "
        "the pressure on Google Gemini 3 and Anthropic's Claude.",
        source="AI Business",
        minutes=45,
    ),
]
DISNEY = article(
    "Disney invests $1bn in OpenAI and licenses its characters to Sora",
    "The Walt Disney Company will take a stake in OpenAI and let the Sora video generator use more "
    "than 200 characters from Marvel, Pixar and Star Wars.",
    source="The Guardian",
    minutes=30,
)
EXPORT = article(
    "US tightens export rules on Nvidia AI chips to China",
    "The Commerce Department will require licences for shipments of Nvidia H20 accelerators, "
    "a blow to the chipmaker's data-center sales in China.",
    source="Reuters",
    minutes=50,
)
RUNWARE = article(
    "AI startup Runware raises $50M Series A to power image generation APIs",
    "Runware, which sells fast image generation to developers, raised $50 million led by Dawn Capital "
    "and Comcast Ventures.",
    source="TechCrunch",
    minutes=10,
)
HOSPITAL = article(
    "Hospital trials AI to read chest X-rays in emergency rooms",
    "Doctors at St Thomas' will test software that flags pneumonia and collapsed lungs on chest "
    "X-rays, hoping to cut waiting times for patients.",
    source="The Guardian",
    minutes=15,
)
PLASTICITY = [
    paper(
        "Loss of Plasticity in Deep Reinforcement Learning Agents",
        "Deep reinforcement learning agents gradually lose plasticity, the ability to keep learning "
        "from new experience. We study plasticity loss in continual reinforcement learning and show "
        "that resetting dormant neurons restores trainability.",
        "2512.01034",
    ),
    paper(
        "Plasticity Loss in Offline-to-Online Reinforcement Learning",
        "Offline-to-online reinforcement learning fine-tunes a pretrained policy with online "
        "interaction. We find that plasticity loss explains why many offline-to-online methods "
        "stall, and that the loss of plasticity depends on the offline data.",
        "2510.01460",
        minutes=3,
    ),
    paper(
        "A Noise-Curvature View of Loss of Plasticity and Trainability",
        "Why do networks lose plasticity? We analyse loss of trainability and plasticity in "
        "reinforcement learning through the interaction of gradient noise and curvature.",
        "2509.19698",
        minutes=6,
    ),
]
OTHER_PAPERS = [
    paper(
        "GeoDM: Geometry-aware Distribution Matching for Dataset Distillation",
        "Dataset distillation condenses a large dataset into a small synthetic one. Existing "
        "distribution matching works in Euclidean space; GeoDM matches distributions on a manifold.",
        "2512.08317",
    ),
    paper(
        "Symbol Grounding and the Logical Limits of Large Language Models",
        "Using category theory we argue that large language models map sentences to propositions "
        "about possible worlds and so bypass rather than solve the symbol grounding problem.",
        "2512.09117",
    ),
    paper(
        "Robust Average-Reward Q-Learning under Wasserstein Uncertainty",
        "We give non-asymptotic convergence rates for robust Q-learning and actor-critic in "
        "average-reward MDPs with contamination and Wasserstein uncertainty sets.",
        "2506.07040",
    ),
]
GPT6_ZH = article(
    "OpenAI 发布 GPT-6：推理与编程能力大幅提升",
    "OpenAI 周四发布新一代旗舰模型 GPT-6，在推理、编程和长上下文基准上刷新纪录，已在 ChatGPT 上线。",
    source="量子位",
    minutes=90,
)
DAY = [*GPT6, DISNEY, EXPORT, RUNWARE, HOSPITAL, *PLASTICITY, *OTHER_PAPERS, GPT6_ZH]


def _topic_of(topics: list[Topic], item: Article) -> Topic:
    return next(t for t in topics if item in t.articles)


def _membership(topics: list[Topic]) -> set[frozenset[str]]:
    return {frozenset(a.url for a in t.articles) for t in topics}


def test_a_story_told_by_three_outlets_is_one_topic():
    topics = cluster(DAY)
    story = _topic_of(topics, GPT6[0])
    assert set(GPT6) <= set(story.articles)
    assert {"TechCrunch", "The Verge", "AI Business"} <= set(story.source_names)
    assert DISNEY not in story.articles and EXPORT not in story.articles
    assert "gpt-6" in story.terms


def test_the_lead_is_the_article_that_best_speaks_for_the_story_and_the_key_follows_the_urls():
    story = _topic_of(cluster(DAY), GPT6[1])
    assert story.lead == GPT6[0]
    assert story.key == topic_key(a.url for a in story.articles)


@pytest.mark.parametrize("weight", [1.0, 1.5, 5.0])
def test_a_short_vague_item_never_leads_a_story_whatever_its_weight_or_time(weight):
    vague = article("OpenAI GPT-6 AI model", source="Digest", weight=weight, minutes=-120)
    story = _topic_of(cluster([vague, *DAY]), GPT6[0])
    assert vague in story.articles and story.lead == GPT6[0]
    # The rest keep the order of source weight, then time.
    assert story.articles[1] == vague if weight > 1.2 else story.articles[1:3] == (vague, GPT6[1])


def test_a_launch_post_named_only_by_the_model_joins_the_coverage():
    post = article(
        "Introducing GPT-6",
        "Today we release our most capable model for professional work, with new records on GPQA Diamond.",
        source="OpenAI",
        weight=1.2,
        minutes=-30,
    )
    story = _topic_of(cluster([post, *DAY]), post)
    assert set(GPT6) <= set(story.articles)
    # Weightier and earlier, but "Introducing GPT-6" says less of the story than TechCrunch's headline.
    assert story.lead == GPT6[0]


def test_stories_of_one_company_stay_apart():
    deal = article(
        "OpenAI signs a $10bn cloud deal with Amazon",
        "OpenAI will rent Nvidia GPUs from Amazon Web Services over seven years, the companies said.",
        source="Reuters",
    )
    topics = cluster([*GPT6, DISNEY, deal])
    assert len({_topic_of(topics, a).key for a in (GPT6[0], DISNEY, deal)}) == 3


def test_stories_sharing_only_a_common_word_stay_apart():
    topics = cluster([RUNWARE, HOSPITAL, EXPORT, DISNEY])
    assert len(topics) == 4


def test_papers_on_one_theme_group_and_other_papers_stay_apart():
    topics = cluster(DAY)
    theme = _topic_of(topics, PLASTICITY[0])
    assert set(theme.articles) == set(PLASTICITY)
    for other in OTHER_PAPERS:
        assert _topic_of(topics, other).articles == (other,)


def test_a_chinese_article_joins_the_english_story_on_the_same_product():
    topics = cluster(DAY)
    assert _topic_of(topics, GPT6_ZH) is _topic_of(topics, GPT6[0])


def test_chinese_outlets_and_english_coverage_of_one_story_join():
    qbit = article(
        "阿里巴巴发布通义千问 Qwen3.5，推理能力大幅提升",
        "阿里巴巴周四发布新一代大模型通义千问 Qwen3.5，在数学推理和代码生成基准上超过前代，"
        "并开源多个尺寸的模型权重。",
        source="量子位",
    )
    jiqizhixin = article(
        "通义千问Qwen3.5开源：阿里新模型数学与代码能力领先",
        "阿里云宣布开源通义千问 Qwen3.5 系列模型，官方称其在数学推理、代码生成等基准测试中表现领先。",
        source="机器之心",
    )
    baidu = article(
        "百度发布文心大模型5.0，支持多模态理解",
        "百度在年度大会上发布文心大模型5.0，支持文本、图像和视频的多模态理解与生成。",
        source="36氪",
    )
    english = article(
        "Alibaba open-sources Qwen3.5 with stronger math and coding",
        "Alibaba released Qwen3.5, a family of open-weight models that lead math and coding benchmarks.",
    )
    topics = cluster([qbit, jiqizhixin, baidu, english])
    assert set(_topic_of(topics, english).articles) == {qbit, jiqizhixin, english}
    assert _topic_of(topics, baidu).articles == (baidu,)


def test_unrelated_chinese_article_stays_apart():
    unrelated = article(
        "阿里巴巴发布通义千问新版本，主打多模态理解",
        "阿里巴巴旗下通义千问团队发布新版本模型，强化图像与视频理解能力，面向企业客户开放。",
        source="量子位",
    )
    topics = cluster([*GPT6, unrelated])
    assert _topic_of(topics, unrelated).articles == (unrelated,)


def test_same_input_in_any_order_gives_the_same_topics():
    expected = cluster(DAY)
    for seed in range(5):
        shuffled = list(DAY)
        random.Random(seed).shuffle(shuffled)
        again = cluster(shuffled)
        assert [t.key for t in again] == [t.key for t in expected]
        assert again == expected


def test_every_article_lands_in_exactly_one_topic():
    topics = cluster(DAY)
    urls = [a.url for t in topics for a in t.articles]
    assert sorted(urls) == sorted(a.url for a in DAY)


def test_topics_never_grow_beyond_the_cap():
    copies = [
        article(f"OpenAI launches GPT-6 ({n})", GPT6[0].summary, source=f"Outlet {n}", minutes=n)
        for n in range(3 * MAX_TOPIC_SIZE)
    ]
    topics = cluster(copies)
    assert all(len(t.articles) <= MAX_TOPIC_SIZE for t in topics)
    assert len(topics) == 3


def test_parts_of_a_story_split_by_the_cap_can_be_merged_again():
    copies = [
        article(f"OpenAI launches GPT-6 ({n})", GPT6[0].summary, source=f"Outlet {n}", minutes=n)
        for n in range(2 * MAX_TOPIC_SIZE)
    ]
    parts = cluster(copies)
    (whole,) = merge_duplicates(parts)
    assert len(parts) == 2 and set(whole.articles) == set(copies)
    assert whole.lead == copies[0] and whole.key == topic_key(a.url for a in copies)
    assert merge_duplicates(cluster(DAY)) == cluster(DAY)


def test_merged_parts_are_led_by_the_more_specific_lead():
    vague = article("OpenAI GPT-6 AI model", source="Digest", weight=2.0, minutes=-60)
    terms = ("gpt-6", "openai", "chatgpt", "reasoning")  # the same top terms: plainly one story
    alone, covered = Topic("a", (vague,), terms), Topic("b", tuple(GPT6[:2]), terms)
    (whole,) = merge_duplicates([alone, covered])
    assert whole.articles == (GPT6[0], vague, GPT6[1])


def test_no_articles_no_topics():
    assert cluster([]) == []


# --- Scale ---------------------------------------------------------------------------------

_COMPANIES = [
    "OpenAI", "Anthropic", "Google", "Meta", "Microsoft", "Nvidia", "Mistral", "Cohere", "Alibaba",
    "DeepSeek", "Amazon", "Apple", "IBM", "Databricks", "Runway", "Perplexity", "Samsung", "Baidu",
    "Tencent", "Intel", "AMD", "Oracle", "Salesforce", "Adobe", "Snowflake", "Stability AI", "xAI",
]  # fmt: skip
_TOPICAL = [
    "reasoning", "agents", "robotics", "video", "speech", "retrieval", "alignment", "safety", "quantization",
    "distillation", "diffusion", "benchmark", "healthcare", "banking", "insurance", "retail", "logistics",
    "automotive", "education", "media", "chips", "datacenter", "energy", "policy", "lawsuit", "copyright",
    "funding", "valuation", "acquisition", "earnings", "startup", "enterprise", "developer", "privacy",
    "security", "cloud", "edge", "inference", "training", "multimodal", "translation", "search", "coding",
    "assistant", "browser", "glasses", "wearable", "drone", "satellite", "plasticity", "grounding",
    "tokenizer", "attention", "sparsity", "pruning", "compiler", "kernel", "memory", "context",
]  # fmt: skip
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "an", "el", "or", "um", "is", "ek", "ba", "du"]


def _vocabulary(size: int) -> list[str]:
    """Pseudo-words standing in for the long tail of English: common ones first (Zipf-sampled)."""
    words = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES]
    return (_TOPICAL + words)[:size]


def _zipf(rng: random.Random, items: list[str], k: int) -> list[str]:
    """``k`` items, the item of rank r drawn with probability proportional to 1 / (r + 10)."""
    return rng.choices(items, cum_weights=_cumulative(len(items)), k=k)


@functools.cache
def _cumulative(n: int) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 10) for rank in range(n)))


def _synthetic_day(total: int, seed: int = 11) -> list[Article]:
    """``total`` articles, 30% papers: news stories retold by one to eight outlets with their own
    headlines and words, product names shared between stories, papers grouped by theme. The
    story or theme number is the first path segment of each URL."""
    rng = random.Random(seed)
    vocab = _vocabulary(4000)
    out: list[Article] = []
    story = 0
    while len(out) < total * 7 // 10:
        out.extend(_news_story(rng, vocab, story))
        story += 1
    while len(out) < total:
        out.extend(_paper_theme(rng, vocab, story))
        story += 1
    return out[:total]


def _news_story(rng: random.Random, vocab: list[str], story: int) -> list[Article]:
    company = _zipf(rng, _COMPANIES + [w.capitalize() for w in vocab[-300:]], 1)[0]
    product = f"{rng.choice(['Nova', 'Atlas', 'Orion', 'Vega', 'Lumen', 'Helix'])}-{story}"
    own = rng.sample(vocab[:600], 4)
    copies = min(int(rng.paretovariate(1.3)), 8)
    out = []
    for copy in range(copies):
        head = rng.sample(own, 2)
        verb = rng.choice(["unveils", "ships", "debuts", "bets on", "expands"])
        title = f"{company} {verb} {product} for {head[0]} and {head[1]}"
        body = " ".join([company, product, *rng.sample(own, 3), *_zipf(rng, vocab, 30)])
        url = f"https://outlet{copy}.example.org/{story}/{copy}"
        out.append(article(title, body, source=f"Outlet {copy}", url=url, minutes=rng.randint(0, 1400)))
    return out


def _paper_theme(rng: random.Random, vocab: list[str], theme: int) -> list[Article]:
    """Papers sharing a theme: one term of their own (like "plasticity") and two common ones."""
    term = "".join(_SYLLABLES[int(d, 16)] for d in f"{theme:04x}")
    words = [term, *rng.sample(vocab[50:2000], 2)]
    out = []
    for n in range(min(int(rng.paretovariate(1.5)), 6)):
        lead = rng.choice(["Towards", "Rethinking", "On"])
        title = f"{lead} {' '.join(rng.sample(words, 2))} with {rng.choice(vocab)}"
        abstract = " ".join([*words, *rng.sample(words, 2), *_zipf(rng, vocab, 40)])
        url = f"https://arxiv.org/abs/{theme}/{n}"
        out.append(article(title, abstract, source="arXiv cs.LG", url=url, kind=SourceKind.PAPER))
    return out


def _story_of(item: Article) -> str:
    return item.url.split("/")[-2]


def test_thirty_thousand_articles_cluster_into_sensible_topics():
    articles = _synthetic_day(30_000)
    stories = {_story_of(a) for a in articles}
    topics = cluster(articles)
    assert sum(len(t.articles) for t in topics) == len(articles)
    assert all(len(t.articles) <= MAX_TOPIC_SIZE for t in topics)
    # Roughly one topic per story or theme: never merged wholesale, rarely split.
    assert len(stories) * 0.8 <= len(topics) <= len(stories) * 1.2
    # News stories never share a topic; paper themes sometimes do, as their words overlap.
    mixed = [t for t in topics if len({_story_of(a) for a in t.articles}) > 1]
    assert all(t.lead.source_kind is SourceKind.PAPER for t in mixed)
    assert len(mixed) <= len(topics) * 0.1


def test_synthetic_day_is_spread_over_a_day():
    articles = _synthetic_day(500)
    spread = max(a.published for a in articles) - min(a.published for a in articles)
    assert len(articles) == 500 and spread < timedelta(days=1)


def test_a_name_that_only_opens_sentences_still_joins_its_story():
    # Once paragraphs keep their periods, "Mistral" opens every sentence of one outlet's text.
    guardian = article(
        "Mistral AI raises €2bn in round that values French start-up at €25bn",
        "Paris-based developer becomes Europe’s most valuable AI company. Mistral said the money "
        "would pay for computing capacity in France and Sweden.",
        source="The Guardian",
    )
    business = article(
        "Mistral AI Secures €2B to Scale European AI Infrastructure",
        "French AI developer Mistral AI raised €2 billion in a round valuing the company at €25 billion, "
        "with plans to build data centers in France and Sweden.",
        source="AI Business",
        minutes=30,
    )
    other = article("Sift raises $30M to bring AI search to legal discovery", "Sift raised $30M.", minutes=5)
    topics = cluster([guardian, business, other])
    assert sorted(len(t.articles) for t in topics) == [1, 2]
