"""English terms of AI news and their Taiwan Chinese names: a bilingual lexicon shipped with us.

The extractive writer names an English-only story's subject in Chinese with it (a headline
"世界模型與機器人觀察" for a story about world models and robots), and it is the seed of the
bridge between English questions and Chinese items. Entries are noun phrases as headlines use
them; each English form matches case-insensitively on word boundaries, with an optional plural
``s``. Longer phrases win over the words inside them ("large language model" before "model").

Only terms with one accepted Chinese name belong here: a word whose meaning depends on the
story ("agent" of a model or of an estate) is left out rather than translated wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

#: (English forms separated by "|", zh-TW). Grouped by field for the reader, not for the code.
TERMS: tuple[tuple[str, str], ...] = (
    # models and methods
    ("large language model|llm", "大型語言模型"),
    ("small language model|small model", "小型語言模型"),
    ("language model", "語言模型"),
    ("foundation model|frontier model", "前沿模型"),
    ("open-weight model|open weights|open-weight", "開放權重模型"),
    ("reasoning model", "推理模型"),
    ("world model", "世界模型"),
    ("vision-language model|vlm", "視覺語言模型"),
    ("multimodal model|multimodal", "多模態模型"),
    ("speech-to-speech|speech model|voice model", "語音模型"),
    ("speech recognition|transcription", "語音辨識"),
    ("text-to-speech|synthetic voice|ai narration|ai-narrated", "語音合成"),
    ("weather model|weather forecast|weather forecasting", "氣象預報模型"),
    ("diffusion model|diffusion", "擴散模型"),
    ("video diffusion|video generation|video model", "影片生成"),
    ("image generation|image model", "影像生成"),
    ("transformer", "Transformer 架構"),
    ("mixture-of-experts|mixture of experts|moe", "混合專家模型"),
    ("graph neural network|graph transformer|message passing", "圖神經網路"),
    ("neuro-symbolic", "神經符號方法"),
    ("embedding", "嵌入向量"),
    ("tokenizer|tokenization", "分詞器"),
    ("attention", "注意力機制"),
    ("sparse attention", "稀疏注意力"),
    ("long context|long-context|context window", "長上下文"),
    ("retrieval-augmented generation|retrieval augmented generation|rag|graphrag", "檢索增強生成"),
    ("retrieval", "檢索"),
    ("enterprise search|search engine|search", "搜尋"),
    ("query rewriting", "查詢改寫"),
    ("prompt compression", "提示壓縮"),
    ("prompt engineering|prompting", "提示工程"),
    ("chain of thought|chain-of-thought", "思維鏈"),
    ("reasoning", "推理能力"),
    ("fine-tuning|fine-tune|finetuning|supervised fine-tuning", "微調"),
    ("preference optimization|dpo", "偏好最佳化"),
    ("reinforcement learning from human feedback|rlhf", "人類回饋強化學習"),
    ("reinforcement learning|rlvr|verifiable rewards", "強化學習"),
    ("reward model", "獎勵模型"),
    ("distillation|consistency distillation", "模型蒸餾"),
    ("quantization|fp4|fp8|int4", "量化"),
    ("pretraining|pre-training|continual pretraining", "預訓練"),
    ("training", "訓練"),
    ("inference", "推論"),
    ("continuous batching|batching", "批次處理"),
    ("scaling law", "縮放定律"),
    ("data pruning", "資料剪枝"),
    ("synthetic data", "合成資料"),
    ("training data", "訓練資料"),
    ("dataset|corpus", "資料集"),
    ("benchmark|benchmarking", "基準測試"),
    ("evaluation|evaluating|eval", "評測"),
    ("contamination", "資料汙染"),
    ("interpretability|mechanistic interpretability", "可解釋性"),
    ("alignment", "對齊"),
    ("hallucination", "幻覺"),
    ("scalable oversight|oversight", "可擴展監督"),
    ("routing|router", "模型路由"),
    ("load balancing", "負載平衡"),
    ("perplexity", "困惑度"),
    ("heuristic discovery|heuristics", "啟發式演算法"),
    ("sentiment analysis", "情緒分析"),
    ("sarcasm|irony", "反諷辨識"),
    ("machine-generated text|ai-written|ai-generated text", "AI 生成文本"),
    ("paraphrasing|paraphrase", "改寫"),
    ("low-resource language|low-resource", "低資源語言"),
    ("non-latin script", "非拉丁文字"),
    ("speech-text alignment", "語音文字對齊"),
    ("robustness", "穩健性"),
    ("uncertainty", "不確定性"),
    ("forecasting|prediction", "預測"),
    ("molecular property|molecule", "分子性質"),
    ("protein|enzyme", "蛋白質與酵素"),
    ("drug discovery|drug design|drugs", "藥物研發"),
    ("clinical reasoning|clinical trial|clinical", "臨床"),
    ("rare disease", "罕見疾病"),
    ("legal reasoning|statutory interpretation|legal", "法律推理"),
    ("vehicle routing", "車輛路徑規劃"),
    ("supply chain", "供應鏈"),
    ("planning", "規劃"),
    ("continual learning|plasticity", "持續學習"),
    ("speculative decoding", "推測解碼"),
    ("decoding", "解碼"),
    ("serving|model serving", "模型服務"),
    ("instruction tuning|instruction-tuned", "指令微調"),
    ("accountability", "問責"),
    ("autonomous decision|decision system|decision-making", "自主決策"),
    ("interpretable|explainable", "可解釋性"),
    # agents, tools and products
    ("ai agent|llm agent|agentic workflow|agentic ai|agentic|agents", "AI 代理"),
    ("coding agent|coding assistant", "程式設計代理"),
    ("code model|code generation", "程式碼模型"),
    ("code", "程式碼"),
    ("chatbot|ai companion|companion", "聊天機器人"),
    ("assistant", "AI 助理"),
    ("api|realtime api", "API"),
    ("sdk|library|kernels", "開發套件"),
    ("gpu kernel|cuda kernel|kernel", "GPU 核心程式"),
    ("dataset viewer|sql console", "資料集檢視器"),
    ("open source|open-source", "開源"),
    ("hub|model hub", "模型平台"),
    ("guide|recipe|tutorial|step-by-step", "實作指南"),
    ("robot|robotics|humanoid|robot policies|robot policy", "機器人"),
    ("household robot", "家用機器人"),
    ("self-driving|autonomous driving|robotaxi", "自動駕駛"),
    ("detection tool|ai detection|detector", "AI 偵測工具"),
    ("deepfake|robocall", "深偽內容"),
    ("ai scribe|scribe", "AI 病歷助理"),
    ("triage", "檢傷分類"),
    ("emergency department", "急診"),
    # industry, infrastructure and market
    ("datacentre|datacenter|data centre|data center", "資料中心"),
    ("electricity|power demand|power grid", "電力"),
    ("energy", "能源"),
    ("water footprint|water use|water", "用水"),
    ("chip|chips|semiconductor", "晶片"),
    ("compute", "算力"),
    ("cloud", "雲端"),
    ("edge ai|on-device", "裝置端 AI"),
    ("startup", "新創"),
    ("funding|funding round|series a|series b|series c|raises", "融資"),
    ("valuation", "估值"),
    ("acquisition|acquires|acquire", "收購"),
    ("earnings|revenue", "營收"),
    ("ipo", "首次公開發行"),
    ("budget|spending|ai budget", "AI 預算"),
    ("pricing|price competition|price", "定價"),
    ("procurement|it procurement", "採購"),
    ("cio|cios", "資訊長"),
    ("enterprise|enterprises", "企業"),
    ("bank|banking|trade finance", "金融"),
    ("insurance", "保險"),
    ("healthcare|hospital|clinic|mri|radiology", "醫療"),
    ("retail|e-commerce", "零售"),
    ("manufacturing|factory", "製造"),
    ("education|school|teachers|pupils|students|homework", "教育"),
    ("entry-level jobs|jobs|hiring|workforce|employment", "就業"),
    ("plastic recycling|recycling", "塑膠回收"),
    # policy and society
    ("regulation|regulator|regulators|regulatory", "監管"),
    ("ai act|eu ai act|ai office", "歐盟 AI 法案"),
    ("online safety act|online safety|child safety", "兒少網路安全"),
    ("copyright|text and data mining", "著作權"),
    ("privacy|data protection", "隱私"),
    ("election|elections|voting", "選舉"),
    ("safety|ai safety", "AI 安全"),
    ("security|cybersecurity", "資安"),
    ("prompt injection", "提示注入"),
    ("lawsuit|sue|sues", "訴訟"),
    ("planning approval|planning permission", "開發許可"),
    ("survey|poll", "調查"),
    ("policy|policies", "政策"),
    ("open-source ai", "開源 AI"),
)


@dataclass(frozen=True, slots=True)
class Found:
    """A term found in a text: its Chinese name and where its English form began."""

    zh: str
    start: int
    english: str  # the form as the text writes it


@cache
def _pattern() -> re.Pattern[str]:
    forms = sorted(
        ((form.strip(), zh) for english, zh in TERMS for form in english.split("|")),
        key=lambda pair: -len(pair[0]),
    )
    alternatives = "|".join(rf"(?P<t{n}>{re.escape(form)}(?:e?s)?)" for n, (form, _) in enumerate(forms))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


@cache
def _names() -> tuple[str, ...]:
    forms = sorted(
        ((form.strip(), zh) for english, zh in TERMS for form in english.split("|")),
        key=lambda pair: -len(pair[0]),
    )
    return tuple(zh for _, zh in forms)


def find_terms(text: str) -> list[Found]:
    """The lexicon's terms in ``text``, in order, each Chinese name once (longest match first)."""
    names, seen, found = _names(), set(), []
    for match in _pattern().finditer(text):
        zh = names[int(match.lastgroup[1:])]
        if zh not in seen:
            seen.add(zh)
            found.append(Found(zh, match.start(), match.group()))
    return found


def chinese_terms(text: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` Chinese names of the terms in ``text``, in the order the text names them."""
    return [f.zh for f in find_terms(text)[:limit]]
