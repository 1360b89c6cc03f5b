"""Word lists for clustering and editing, and the small word helpers both stages share.

Everything a human editor would tune lives here as plain data: stopwords, the weighted AI
relevance lexicon, the section cues, the curated list of major AI players and the words of an
importance reason. Weighted tables are written as lines of "WEIGHT: term, term"; English entries
are normalized once, at import, by :func:`words`, so "data centers" matches "Data Centres" and
"data-center" alike. Chinese entries are matched as substrings of folded text and are listed in
both Simplified and Traditional forms. The helpers (:func:`words`, :func:`strong_name`,
:func:`headline_style`) are the one definition of a matching word and a written name.
"""

from __future__ import annotations

import functools
import re

from core.text import match_key, tokens

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATER_CAPITAL = re.compile(r".[A-Z]")
_SENTENCE_BREAK = re.compile(r"[.!?] ")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")

# British and American spellings that should match each other.
_SPELLINGS = {"centre": "center", "datacentre": "datacenter", "organisation": "organization"}


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A deliberately light stemmer: possessive and plural endings only (keeps names intact)."""
    if word.endswith("'s"):
        word = word[:-2]
    if not word.isascii() or not word.isalpha() or len(word) <= 3:
        return _SPELLINGS.get(word, word)
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return _SPELLINGS.get(word, word)


def is_cjk(word: str) -> bool:
    """Whether a matching word is Chinese (a CJK bigram or single character)."""
    return _CJK_RUN.match(word) is not None


def words(text: str) -> list[str]:
    """Folded, stemmed matching words: Latin words (hyphenated ones split) and CJK bigrams.

    Tokens with digits keep their dashes and dots ("gpt-5.2"), because there the punctuation is
    part of a name; plain hyphenated words are split so "AI-powered" contains the word "ai".
    """
    return [word for token in tokens(text) for word in _normalized(token)]


@functools.lru_cache(maxsize=200_000)
def _normalized(token: str) -> tuple[str, ...]:
    if "-" not in token:
        return (stem(token),)
    parts = [part for part in token.split("-") if part]
    if not any(c.isdigit() for c in token):
        return tuple(stem(part) for part in parts)
    # "DeepSeek-V4" must meet "DeepSeek ... V4": keep the name whole and its lettered parts.
    return (token, *(stem(p) for p in parts if any(c.isalpha() for c in p)))


def strong_name(word: str) -> bool:
    """CamelCase, ALLCAPS or letters with digits ("OpenAI", "NVIDIA", "GPT-5.2"): a name anywhere."""
    if word.isalpha() and (word[1:].islower() or len(word) < 2):
        return False  # the common case, decided by two C-level checks
    if _LATER_CAPITAL.search(word):
        return True
    return _DIGIT.search(word) is not None and _LETTER.search(word) is not None


def headline_style(text: str) -> bool:
    """A "Capitalized Headline Title", where capitals do not mark names (sentences never are)."""
    split = text.split()
    if len(split) > 20 or _SENTENCE_BREAK.search(text) or _CJK_RUN.search(text):
        return False
    plain = [w for w in split if len(w) > 3 and w[0].isalpha() and not strong_name(w)]
    return len(plain) >= 3 and sum(w[0].isupper() for w in plain) / len(plain) > 0.75


def _split(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def _weighted(table: str) -> dict[str, float]:
    """Parse lines of "WEIGHT: term, term, ..." (a line without a weight continues the last one)."""
    out: dict[str, float] = {}
    weight = 0.0
    for line in table.strip().splitlines():
        head, sep, rest = line.partition(":")
        if sep and re.fullmatch(r"\s*[\d.]+", head):
            weight, line = float(head), rest
        out.update((term.strip(), weight) for term in line.split(",") if term.strip())
    return out


def _phrases(table: str) -> dict[tuple[str, ...], float]:
    """English entries of a weighted table as tuples of normalized words."""
    return {tuple(words(phrase)): weight for phrase, weight in _weighted(table).items()}


# --- Stopwords for clustering --------------------------------------------------------------

STOPWORDS: frozenset[str] = frozenset(
    words(
        """a about above after again against all almost also although always am among an and any
        are aren't as at be became because become been before being below between both but by can
        cannot could couldn't did didn't do does doesn't doing don't down during each either else
        even ever every few for from further get gets got had has hasn't have haven't having he her
        here hers herself him himself his how however i if in into is isn't it it's its itself just
        least less let like made make makes many may me might more most much must my myself neither
        no nor not now of off on once one only or other our ours ourselves out over own per quite
        rather same she should since so some such than that the their theirs them themselves then
        there these they this those though through thus to too toward towards under until up upon
        us very via was wasn't we were what when where whether which while who whom whose why will
        with within without would yet you your yours yourself yourselves said says say saying told
        according amid across along around back still well whose where's here's that's there's
        what's who's let's i'm you're we're they're i've you've we've they've"""
    )
)

#: Words of news and abstract boilerplate: kept as features but weighed far below content words,
#: so two stories that share only "AI" or "new model" never look alike in a small batch.
GENERIC: frozenset[str] = frozenset(
    words(
        """ai artificial intelligence new latest news report reports company companies firm firms
        startup startups tech technology technologies use uses using used based first two three
        today yesterday week weeks month months year years time people way ways help helps world
        launch launches launched announce announces announced release releases released update
        updates model models system systems tool tools data platform platforms service services
        product products feature features user users work works want wants take takes see sees
        big large small good better best top key major more most next last early late plan plans
        paper propose proposes proposed present presents method methods approach approaches result
        results show shows shown novel existing study studies task tasks performance framework
        problem problems learning learn network networks neural deep training trained train
        experiment experiments demonstrate demonstrates achieve achieves state art significant
        significantly effective efficient improve improves improved improvement however moreover
        furthermore address addresses introduce introduces able make enable enables provide
        provides abstract arxiv announce type cross replace"""
    )
)

#: Chinese function characters: a bigram containing one is almost never a topic word.
CJK_FUNCTION_CHARS: frozenset[str] = frozenset(
    "的了是在和與与也都就而及或被把將将這这那其之於于為为以等個个著着嗎吗呢吧啊並并且但從从向對对讓让給给還还又很"
    "更最已其此該该們们我你他她它我們"
)
#: Frequent Chinese bigrams that say nothing about a story.
CJK_STOP_BIGRAMS: frozenset[str] = frozenset(
    _split(
        """今天 昨天 目前 表示 認為 认为 指出 消息 報導 报道 記者 记者 宣布 發布 发布 推出 公司
        我們 我们 他們 他们 一個 一个 這個 这个 以及 可以 能夠 能够 進行 进行 通過 通过 如何
        什麼 什么 已經 已经 相關 相关 其中 方面 問題 问题 情況 情况 同時 同时 此外 因此 但是
        不過 不过 如果 以上 以下 包括 之後 之后 之前 近日 日前 今年 去年 明年 全新 最新 人工
        工智 智能 智慧"""
    )
)

# --- Relevance: is this about AI, ML, data, compute or AI policy? ----------------------------

#: Weighted English terms (whole words or phrases). Ambiguous words ("model", "algorithm",
#: "data") weigh little on their own; the phrases that make them AI-specific weigh more.
RELEVANCE_EN: dict[tuple[str, ...], float] = _phrases(
    """
    3.0: artificial intelligence, genai, agi, machine learning, deep learning, neural network, llm,
         language model, foundation model, reasoning model, frontier model, diffusion model,
         chatbot, chatgpt, gpt, openai, anthropic, deepmind, hugging face, deepseek, qwen, nvidia,
         gpu, tpu, fine tuning, agentic, computer vision, deepfake, reinforcement learning,
         pytorch, tensorflow, mlops, vector database, ai act, ai safety, world model, llama.cpp,
         gguf, vllm, text to image, image generation, video generation
    2.5: open weight, gemini, claude, chipmaker, data center, datacenter, hyperscaler,
         training data, data science, data scientist, speech recognition, kaggle
    2.0: ai, generative, multimodal, transformer, copilot, sora, mistral, xai, semiconductor,
         chip, supercomputer, inference, dataset, data engineering, big data, ai agent, humanoid,
         robotaxi, self driving, embedding, jupyter, rag, tsmc, video model, image model, fsd,
         driverless, voice clone
    1.5: neural, llama, perplexity, compute, robotics, prompt, pandas
    1.0: accelerator, analytics, agent, robot, autonomous, benchmark, alignment
    0.5: algorithm, automation
    0.3: model
    """
)
#: Chinese terms, matched as substrings of the folded text.
RELEVANCE_ZH: dict[str, float] = _weighted(
    """
    3.0: 人工智能, 人工智慧, 大模型, 大语言模型, 大語言模型, 语言模型, 語言模型, 机器学习, 機器學習,
         深度学习, 深度學習, 神经网络, 神經網路, 神經網絡, 具身智能, 英伟达, 英偉達, 輝達, 通义千问,
         通義千問, 文心一言, 深度求索, 开源模型, 開源模型
    2.5: 智能体, 智能體, 算力, 数据中心, 資料中心, 數據中心, 智谱, 智譜, 月之暗面, 影像生成, 图像生成,
         圖像生成, 影片生成, 视频生成, 視頻生成, 聊天机器人, 聊天機器人, 世界模型, 强化学习, 強化學習
    2.0: 生成式, 芯片, 晶片, 半导体, 半導體, 自动驾驶, 自動駕駛, 数据集, 資料集, 數據集, 多模态,
         多模態, 豆包
    1.5: 具身
    1.0: 训练, 訓練, 推理, 模型, 机器人, 機器人
    0.5: 算法, 演算法
    """
)

# --- Sections ------------------------------------------------------------------------------

#: Cue words per section; a topic goes where its cues weigh most.
SECTION_CUES_EN: dict[str, dict[tuple[str, ...], float]] = {
    "research": _phrases(
        """
        2.0: benchmark, state of the art, sota, context window, system card, world model, new model
        1.5: research, researcher, paper, outperform, frontier, parameter, language model
        1.0: study, accuracy, architecture, reasoning, model, weights, evaluation, theorem,
             algorithm, scientist, breakthrough
        0.5: training
        """
    ),
    "tools": _phrases(
        """
        3.0: tutorial, llama.cpp, langchain, langgraph
        2.5: sdk, how to, toolkit, step by step
        2.0: open source, library, github, repository, guide, python, pandas, dataset, plugin, cli,
             release note, tip, trick, pytorch
        1.5: api, developer, hands on, notebook
        1.0: framework, extension, version
        """
    ),
    "applications": _phrases(
        """
        2.0: healthcare, hospital, banking, insurance, retail, retailer, automotive, partnership,
             manufacturing, logistics, use case, case study
        1.5: patient, bank, vehicle, robotaxi, customer, enterprise, deploy, deployment, partner,
             rollout, roll out, shopping, education, factory, warehouse, integration, integrate,
             adopt, humanoid, telecom
        1.0: car, assistant, app, feature, media, agreement, browser, legal
        """
    ),
    "trends": _phrases(
        """
        3.0: ai act
        2.5: regulation, regulator, regulatory, lawsuit, copyright, attorney general, opinion
        2.0: policy, law, sue, court, ethic, senate, congress, export, energy, electricity, nuclear,
             climate, election, misinformation, trend
        1.5: bill, ban, safety, government, eu, analysis, job, worker, grid, data center, bubble,
             infrastructure, society, warn, privacy, deepfake
        1.0: why, power, risk, future
        """
    ),
    "market": _phrases(
        """
        3.0: funding, series a, series b, series c, series d, seed round, valuation, acquire,
             acquisition, acquires, merger, ipo, earnings, market cap
        2.5: valued, stock, wall street, market value
        2.0: raise, raised, revenue, profit, quarterly, investor, share
        1.5: buy, quarter, investment, invest, results, sales
        1.0: billion, deal
        0.5: million
        """
    ),
}
#: Title phrases that put a paper in Tools & Resources rather than research.
PAPER_TOOL_CUES: dict[tuple[str, ...], float] = _phrases(
    """
    1.0: a dataset, new dataset, benchmark dataset, a benchmark, a toolkit, a library, an open source,
         open source library, open source toolkit
    """
)
PAPER_TOOL_CUES_ZH: dict[str, float] = _weighted(
    """
    1.0: 基準資料集, 基准数据集, 新資料集, 新数据集, 開源資料集, 开源数据集, 工具包, 工具庫, 工具库,
         開源庫, 开源库
    """
)
SECTION_CUES_ZH: dict[str, dict[str, float]] = {
    "research": _weighted(
        """
        2.0: 论文, 論文, 基准, 基準, 世界模型
        1.5: 研究
        1.0: 模型, 架构, 架構, 推理, 训练, 訓練
        """
    ),
    "tools": _weighted(
        """
        3.0: 教程, 教學
        2.0: 开源, 開源, 工具, 数据集, 資料集, 插件, 外掛
        1.5: 开发者, 開發者
        1.0: 框架
        """
    ),
    "applications": _weighted(
        """
        2.0: 医疗, 醫療, 零售, 落地
        1.5: 金融, 汽车, 汽車, 合作, 部署, 客户, 客戶, 工厂, 工廠
        1.0: 应用, 應用, 企业, 企業
        """
    ),
    "trends": _weighted(
        """
        2.5: 监管, 監管, 法规, 法規, 版权, 版權, 泡沫
        2.0: 政策, 伦理, 倫理, 能源, 趋势, 趨勢, 观点, 觀點
        1.5: 安全, 基础设施, 基礎設施
        """
    ),
    "market": _weighted(
        """
        3.0: 融资, 融資, 估值, 收购, 收購, 并购, 併購, 财报, 財報
        2.5: 股价, 股價
        2.0: 上市, 营收, 營收
        1.5: 投资, 投資
        1.0: 亿美元, 億美元
        """
    ),
}

# --- Importance and entities ---------------------------------------------------------------

#: Major AI players: display name -> aliases (folded words or phrases, or Chinese substrings).
MAJOR_ENTITIES: dict[str, tuple[str, ...]] = {
    "OpenAI": ("openai", "chatgpt"),
    "Google": ("google", "gemini", "谷歌"),
    "DeepMind": ("deepmind",),
    "Anthropic": ("anthropic", "claude"),
    "Meta": ("meta", "llama"),
    "Microsoft": ("microsoft", "copilot", "微软", "微軟"),
    "Nvidia": ("nvidia", "英伟达", "英偉達", "輝達"),
    "Apple": ("apple", "苹果公司", "蘋果公司"),
    "Amazon": ("amazon", "aws", "亚马逊", "亞馬遜"),
    "xAI": ("xai", "grok"),
    "Mistral": ("mistral",),
    "Alibaba": ("alibaba", "qwen", "阿里巴巴", "通义千问", "通義千問"),
    "DeepSeek": ("deepseek", "深度求索"),
    "Baidu": ("baidu", "百度"),
    "Tencent": ("tencent", "腾讯", "騰訊"),
    "ByteDance": ("bytedance", "字节跳动", "字節跳動"),
    "Huawei": ("huawei", "华为", "華為"),
    "TSMC": ("tsmc", "台积电", "台積電"),
    "AMD": ("amd",),
    "Intel": ("intel",),
    "Hugging Face": ("hugging face",),
    "Oracle": ("oracle",),
    "Samsung": ("samsung",),
}

#: English alias (as normalized words) -> major player; Chinese alias -> major player.
MAJOR_WORDS: dict[tuple[str, ...], str] = {
    tuple(words(alias)): name
    for name, aliases in MAJOR_ENTITIES.items()
    for alias in aliases
    if not _CJK_RUN.search(alias)
}
MAJOR_CHINESE: dict[str, str] = {
    alias: name for name, aliases in MAJOR_ENTITIES.items() for alias in aliases if _CJK_RUN.search(alias)
}
#: Match keys of the major players and their aliases: names too common to identify a story.
MAJOR_KEYS: frozenset[str] = frozenset(match_key(n) for n in (*MAJOR_ENTITIES, *MAJOR_WORDS.values()))
MAJOR_KEYS |= frozenset(match_key(a) for aliases in MAJOR_ENTITIES.values() for a in aliases)

#: Capitalized words that start sentences or titles but name nothing (compared folded).
NOT_ENTITIES: frozenset[str] = frozenset(
    _split(
        """a an the this that these those it its in on at for of to from by with and or but as if
        how why what when where who which here there after before new our we they he she you i
        today yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday january
        february march april may june july august september october november december also
        meanwhile ceo cto cfo us uk u.s. u.k. pm am tv faq ip abstract announce type update
        exclusive breaking watch read opinion analysis report series round"""
    )
) | frozenset(_split("ai ml api apis llm llms gpu gpus tpu"))
#: Acronyms that are entities of a kind but name no one: listed only when nothing better is found.
WEAK_NAMES: frozenset[str] = frozenset(_split("ai ml api apis llm llms gpu gpus tpu"))

#: The words of an importance reason ("3 家媒體報導（…）；涉及 OpenAI"), per report language.
REASON_WORDS: dict[str, dict[str, str]] = {
    "zh-TW": {
        "outlets": "{n} 家媒體報導（{names}）", "outlet": "{n} 家媒體報導（{names}）",
        "papers": "{n} 篇相關論文", "paper": "{n} 篇論文", "involves": "涉及 {names}",
        "sep": "、", "more": " 等", "join": "；",
    },
    "zh-CN": {
        "outlets": "{n} 家媒体报道（{names}）", "outlet": "{n} 家媒体报道（{names}）",
        "papers": "{n} 篇相关论文", "paper": "{n} 篇论文", "involves": "涉及 {names}",
        "sep": "、", "more": " 等", "join": "；",
    },
    "en": {
        "outlets": "Reported by {n} outlets ({names})", "outlet": "Reported by {names}",
        "papers": "{n} related papers", "paper": "1 paper", "involves": "involves {names}",
        "sep": ", ", "more": ", …", "join": "; ",
    },
}  # fmt: skip

# --- Words that are no entity of a report item --------------------------------------------------

#: Peoples, languages, regions and places (compared folded): an item's 關鍵實體 are organisations,
#: products, models and people, so "Chinese", "European", "Texas" are left out.
PLACES_AND_PEOPLES: frozenset[str] = frozenset(
    _split(
        """chinese american british english french german italian spanish portuguese dutch swedish
        norwegian danish finnish swiss austrian belgian irish scottish welsh polish czech russian
        ukrainian turkish greek israeli arab arabic iranian indian pakistani japanese korean
        taiwanese vietnamese thai indonesian malaysian singaporean filipino australian canadian
        mexican brazilian argentine african nigerian kenyan egyptian saudi emirati european asian
        western eastern northern southern nordic latin hispanic mandarin cantonese
        china america usa u.s u.s.a us uk u.k britain england scotland wales ireland france germany
        italy spain portugal netherlands sweden norway denmark finland switzerland austria belgium
        poland russia ukraine turkey greece israel iran india pakistan japan korea taiwan vietnam
        thailand indonesia malaysia singapore philippines australia canada mexico brazil argentina
        africa nigeria kenya egypt uae dubai europe asia apac emea americas middle east west east
        north south global worldwide beijing shanghai shenzhen hangzhou guangzhou hong kong tokyo
        seoul paris london berlin munich zurich zürich amsterdam stockholm dublin madrid rome
        brussels geneva toronto vancouver montreal sydney melbourne bangalore mumbai delhi
        california texas washington york new york san francisco seattle boston austin chicago
        phoenix los angeles silicon valley bay area virginia oregon arizona florida nevada ohio
        utah georgia massachusetts cambridge oxford"""
    )
)
#: Words and acronyms for kinds of things rather than names ("AI", "LLM", "SDK", "模型"), and units.
GENERIC_NAMES: frozenset[str] = frozenset(
    _split(
        """ai agi asi ml llm llms slm slms vlm vlms vla vlas lmm api apis sdk sdks gpu gpus tpu tpus cpu
        npu asic rag moe rl rlhf dpo sft nlp ocr asr tts cv iot ar vr xr ui ux pc os app apps saas
        roi kpi ipo b2b b2c plc sip ehr ehrs ceo ceos cto cfo cio cios coo vp hr it faq pdf csv json
        gb tb mb kb pb mw gw kw tw fps ms qps arxiv hub bot bots chatbot agent agents model models
        paper papers dataset datasets benchmark benchmarks research study data cloud tech startup
        plus pro enterprise business team teams premium free preview beta alpha act office"""
    )
) | frozenset(
    _split(
        """模型 大模型 大語言模型 大语言模型 語言模型 语言模型 研究 論文 论文 人工智能 人工智慧 機器人 机器人
        芯片 晶片 算力 具身智能 具身智慧 開源模型 开源模型 智能體 智能体 應用 应用 平台 平臺 技術 技术"""
    )
)
#: Chinese names of AI companies and labs, found as written in Chinese text (both scripts).
CHINESE_ORGS: tuple[str, ...] = tuple(
    _split(
        """智譜 智谱 月之暗面 商湯 商汤 科大訊飛 科大讯飞 百川智能 零一萬物 零一万物 階躍星辰
        阶跃星辰 面壁智能 小米 美團 美团 京東 京东 快手 螞蟻集團 蚂蚁集团 宇樹科技 宇树科技
        智元機器人 智元机器人 優必選 优必选 寒武紀 寒武纪 摩爾線程 摩尔线程 壁仞 地平線 地平线
        中芯國際 中芯国际 清華大學 清华大学 北京大學 北京大学 中國科學院 中国科学院
        上海人工智能實驗室 上海人工智能实验室 通義 通义 文心一言 豆包 元寶 元宝 混元 可靈 可灵"""
    )
)
#: Words a headline puts before a firm's name to say what it is ("Fintech Ledgerly").
KINDS_OF_FIRMS: tuple[str, ...] = tuple(
    _split(
        """fintech insurtech healthtech edtech legaltech proptech chipmaker chipmakers insurer bank lender
        carmaker automaker retailer unicorn"""
    )
)
