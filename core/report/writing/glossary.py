"""A small curated glossary of common AI terms, in zh-TW and English.

The extractive overview explains the terms that today's items mention (相關技術背景) and uses
them as keywords. Each entry lists the patterns that mark the term in English, Traditional and
Simplified Chinese text, so a term is found whatever language the articles were in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Term:
    """One glossary entry; ``pattern`` is matched case-insensitively."""

    key: str
    pattern: re.Pattern[str]
    zh: tuple[str, str]  # (term, explanation) in zh-TW
    en: tuple[str, str]

    def text(self, language: str) -> tuple[str, str]:
        return self.zh if language.startswith("zh") else self.en


def _term(key: str, pattern: str, zh: tuple[str, str], en: tuple[str, str]) -> Term:
    return Term(key, re.compile(pattern, re.IGNORECASE), zh, en)


GLOSSARY: tuple[Term, ...] = (
    _term(
        "llm",
        r"\bLLMs?\b|large language models?|大型語言模型|大语言模型|大模型",
        ("大型語言模型（LLM）", "以海量文本預訓練、能理解與生成自然語言的神經網路模型。"),
        (
            "Large language model (LLM)",
            "A neural network pretrained on vast text to understand and generate language.",
        ),
    ),
    _term(
        "agentic",
        r"agentic|\bAI agents?\b|\bLLM agents?\b|智能體|智能体|代理式 ?AI|AI 代理",
        ("代理式 AI（Agentic AI）", "讓模型結合工具、記憶與規劃迴路，能自主分解並執行多步任務的系統。"),
        (
            "Agentic AI",
            "Systems in which a model plans and carries out multi-step tasks using tools and memory.",
        ),
    ),
    _term(
        "world_model",
        r"world models?|世界模型",
        (
            "世界模型（World Model）",
            "學習環境如何隨行動變化的模型，用於模擬、預測與規劃，常見於機器人與自駕。",
        ),
        (
            "World model",
            "A model of how an environment evolves under actions, used to simulate, predict and plan.",
        ),
    ),
    _term(
        "rlhf",
        r"\bRLHF\b|reinforcement learning from human feedback|人類回饋強化學習|人类反馈强化学习",
        ("RLHF（人類回饋強化學習）", "以人類偏好訓練獎勵模型，再用強化學習調整語言模型行為的對齊方法。"),
        (
            "RLHF",
            "Aligning a model by training a reward model on human preferences and optimising against it.",
        ),
    ),
    _term(
        "rag",
        r"\bRAG\b|retrieval[- ]augmented generation|檢索增強生成|检索增强生成",
        ("檢索增強生成（RAG）", "生成前先從外部知識庫檢索相關文件，讓模型依據最新且可引用的資料作答。"),
        (
            "Retrieval-augmented generation (RAG)",
            "Retrieving relevant documents first so the model answers from citable sources.",
        ),
    ),
    _term(
        "moe",
        r"mixture[- ]of[- ]experts|\bMoE\b|混合專家|混合专家",
        ("混合專家模型（MoE）", "每次只啟用部分「專家」子網路的架構，以較低推論成本擴大模型容量。"),
        (
            "Mixture of experts (MoE)",
            "An architecture that activates only some expert sub-networks per token: capacity, cheaply.",
        ),
    ),
    _term(
        "diffusion",
        r"diffusion models?|擴散模型|扩散模型",
        ("擴散模型（Diffusion Model）", "透過逐步去除雜訊來生成影像、影片或音訊的生成模型。"),
        (
            "Diffusion model",
            "A generative model that creates images, video or audio by removing noise step by step.",
        ),
    ),
    _term(
        "quantization",
        r"quantiz\w*|量化",
        ("量化（Quantization）", "以較低位元數表示模型權重與運算，減少記憶體與推論成本。"),
        (
            "Quantization",
            "Storing weights and activations in fewer bits to cut memory use and inference cost.",
        ),
    ),
    _term(
        "distillation",
        r"distill\w*|蒸餾|蒸馏",
        ("蒸餾（Distillation）", "讓小模型學習大模型輸出，或以小型合成資料近似大資料集，以降低成本。"),
        (
            "Distillation",
            "Training a small model to imitate a larger one, or condensing a dataset, to cut cost.",
        ),
    ),
    _term(
        "fine_tuning",
        r"fine[- ]?tun\w*|\bLoRA\b|微調|微调",
        ("微調（Fine-tuning）", "在預訓練模型上以特定資料續訓，使其適應特定任務或領域。"),
        (
            "Fine-tuning",
            "Further training a pretrained model on specific data to adapt it to a task or domain.",
        ),
    ),
    _term(
        "multimodal",
        r"multi-?modal|多模態|多模态",
        ("多模態（Multimodal）", "能同時處理文字、影像、音訊或影片等多種資料形式的模型。"),
        (
            "Multimodal",
            "Models that handle several kinds of data together, such as text, images, audio and video.",
        ),
    ),
    _term(
        "benchmark",
        r"benchmarks?|基準測試|基准测试|評測基準|评测基准",
        ("基準測試（Benchmark）", "以固定資料集與指標比較模型能力的評測方式，分數需留意資料污染與適用範圍。"),
        (
            "Benchmark",
            "A fixed dataset and metric for comparing models; mind contamination and scope.",
        ),
    ),
    _term(
        "inference",
        r"\binference\b|推論|推理成本|推理晶片|推理芯片",
        ("推論（Inference）", "以訓練好的模型處理實際請求的階段，成本與延遲決定服務能否規模化。"),
        (
            "Inference",
            "Running a trained model on real requests; its cost and latency decide whether a service scales.",
        ),
    ),
    _term(
        "reasoning",
        r"reasoning models?|chain[- ]of[- ]thought|推理模型|思維鏈|思维链",
        ("推理模型（Reasoning Model）", "在作答前生成中間推理步驟的模型，擅長數學、程式與多步問題。"),
        (
            "Reasoning model",
            "A model that works through intermediate steps before answering; strong at maths and code.",
        ),
    ),
    _term(
        "transformer",
        r"\btransformers?\b",
        ("Transformer", "以自注意力機制為核心的神經網路架構，是當代語言與多模態模型的基礎。"),
        (
            "Transformer",
            "The self-attention neural architecture behind today's language and multimodal models.",
        ),
    ),
    _term(
        "rl",
        r"reinforcement learning|\bRL\b|強化學習|强化学习",
        ("強化學習（Reinforcement Learning）", "代理透過與環境互動、依獎勵訊號調整策略的學習方式。"),
        (
            "Reinforcement learning",
            "Learning a policy by acting in an environment and adjusting to reward signals.",
        ),
    ),
    _term(
        "open_weights",
        r"open[- ]weights?|open[- ]source models?|開源模型|开源模型|開放權重|开放权重",
        ("開放權重模型（Open-weight Model）", "公開模型權重、可自行下載部署與微調的模型，授權條款各異。"),
        (
            "Open-weight model",
            "A model whose weights are published for anyone to run and fine-tune, under varying licences.",
        ),
    ),
    _term(
        "alignment",
        r"\balignment\b|AI safety|red[- ]team\w*|對齊|对齐|AI 安全",
        (
            "對齊與安全（Alignment & Safety）",
            "確保模型行為符合人類意圖與規範的研究，包括紅隊測試與安全評估。",
        ),
        (
            "Alignment & safety",
            "Making model behaviour match human intent and norms, including red-teaming and evaluations.",
        ),
    ),
    _term(
        "hallucination",
        r"hallucinat\w*|幻覺|幻觉",
        ("幻覺（Hallucination）", "模型生成看似合理但與事實不符的內容，是部署時的主要風險之一。"),
        ("Hallucination", "Fluent model output that is not true to the facts; a main risk in deployment."),
    ),
    _term(
        "gpu",
        r"\bGPUs?\b|\bTPUs?\b|AI chips?|AI 晶片|AI 芯片|算力",
        ("AI 晶片與算力（GPU/TPU）", "訓練與推論大型模型所需的平行運算硬體，其供應與成本左右產業節奏。"),
        (
            "AI accelerators (GPU/TPU)",
            "Parallel hardware for training and serving large models; supply and cost set the pace.",
        ),
    ),
    _term(
        "data_center",
        r"data ?cent(?:er|re)s?|資料中心|数据中心",
        ("資料中心（Data Center）", "集中部署運算、儲存與網路設備的設施，AI 需求正推升其電力與冷卻負載。"),
        (
            "Data center",
            "A facility of compute, storage and networking; AI drives up its power and cooling needs.",
        ),
    ),
    _term(
        "embodied",
        r"embodied|humanoids?|robotics|具身智能|具身智慧|人形機器人|人形机器人",
        ("具身智慧（Embodied AI）", "讓 AI 透過機器人等實體與物理世界互動、感知並行動的研究方向。"),
        ("Embodied AI", "AI that perceives and acts in the physical world through robots and other bodies."),
    ),
    _term(
        "video_generation",
        r"video generation|text-to-video|video models?|影片生成|视频生成|文生視頻|文生视频",
        (
            "影片生成（Video Generation）",
            "依文字或影像提示生成影片的模型，關鍵挑戰在時間一致性與物理合理性。",
        ),
        (
            "Video generation",
            "Models that create video from prompts; the hard parts are temporal and physical consistency.",
        ),
    ),
    _term(
        "synthetic_data",
        r"synthetic data|合成資料|合成数据",
        ("合成資料（Synthetic Data）", "由模型或模擬器產生的訓練資料，用於補足真實資料的不足或隱私限制。"),
        (
            "Synthetic data",
            "Data produced by models or simulators to fill gaps or avoid privacy limits of real data.",
        ),
    ),
    _term(
        "mcp",
        r"Model Context Protocol|\bMCP\b",
        ("模型上下文協定（MCP）", "讓模型以統一介面連接外部工具與資料來源的開放協定。"),
        (
            "Model Context Protocol (MCP)",
            "An open protocol through which models reach external tools and data in one way.",
        ),
    ),
    _term(
        "prompt_injection",
        r"prompt injection|jailbreak\w*|提示注入|越獄|越狱",
        ("提示注入（Prompt Injection）", "在輸入或外部內容中夾帶指令、誘使模型違背原本設定的攻擊手法。"),
        (
            "Prompt injection",
            "Smuggling instructions into inputs or fetched content so a model departs from its brief.",
        ),
    ),
    _term(
        "long_context",
        r"long[- ]context|context window|長上下文|长上下文|上下文視窗|上下文窗口",
        ("長上下文（Long Context）", "模型一次可處理的輸入長度，決定能否直接閱讀長文件或整個程式庫。"),
        ("Long context", "How much input a model can take at once, e.g. whole documents or code bases."),
    ),
    _term(
        "edge_ai",
        r"on-device|edge AI|端側|端侧|邊緣運算|边缘计算",
        ("端側 AI（On-device AI）", "在手機、車輛或裝置本地執行模型，降低延遲與雲端成本並保護隱私。"),
        (
            "On-device AI",
            "Running models on phones, cars or devices to cut latency and cloud cost and keep data private.",
        ),
    ),
)


def find_terms(text: str) -> list[Term]:
    """Glossary entries mentioned in ``text``, in glossary order."""
    return [term for term in GLOSSARY if term.pattern.search(text)]
