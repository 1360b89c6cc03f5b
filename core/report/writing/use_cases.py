"""Which sentences say who uses a thing for what: the extractive writer's 應用場景.

A use is a customer, a deployment, what the thing lets people do or, for a paper, where the
method applies. English has verbs to show it ("lets developers", "deployed at", "used for");
Chinese has cue words (用於, 導入, 協助) and, in the sample reports' own style, the scenario
phrase with no verb at all ("社群平台與聊天機器人中的危害資訊偵測與攔截。"): a line that opens
the way a scenario does or ends on the kind of work done, and carries no figure, no label and
no news verb, is a scenario, not a fact. None rather than an invented one: a sentence is a use
only when it says so.
"""

from __future__ import annotations

import re

from core.report.writing.items import DETAIL_LABEL
from core.report.writing.sentences import is_fragment
from core.text import has_cjk

_AUDIENCE = (
    r"(?:customers?|clients?|users?|developers?|engineers?|coders?|programmers?|teams?|companies|businesses|"
    r"enterprises?|organi[sz]ations?|firms?|people|doctors?|clinicians?|nurses?|hospitals?|patients?|"
    r"researchers?|scientists?|creators?|brands?|retailers?|banks?|insurers?|lawyers?|students?|teachers?|"
    r"schools?|governments?|agencies|analysts?|marketers?|sellers?|merchants?|shoppers?|drivers?|riders?|"
    r"staff|employees?|workers?|agents?|operators?|manufacturers?|factories|carmakers?|telecoms?|"
    r"publishers?|startups?|partners?|subscribers?|consumers?|admins?|administrators?|buyers?|"
    r"radiologists?|physicians?|pharmacists?|farmers?|pilots?|travell?ers?|passengers?|"
    r"you|them|anyone|everyone)"
)
# Who uses it for what: customers, deployments, "helps X do Y", "lets developers ...", a stated
# application; "helps" alone is too loose ("resets help recover plasticity"): it must name who.
_FIELD = (
    r"(?:insurance|logistics|legal|law|healthcare|health care|medicine|finance|banking|payments|retail|"
    r"manufacturing|education|e-?commerce|gaming|games|warehouses?|hospitals?|factories|"
    r"customer (?:service|support)|coding|software development|drug discovery|radiology|telecoms?|"
    r"agriculture|energy|robotics|marketing|sales|"
    r"accounting|hiring|recruiting|security|fraud detection|translation|search|shopping|travel|transport)"
)
_USE_CUES = re.compile(
    "|".join(
        [
            # who uses it: customers, deployments, pilots, production use
            r"\b(?:used (?:for|to|in|by|at|across)|use cases?|adopted by|deployments?)\b",
            r"\b(?:in|into|reach(?:es|ed|ing)?) production\b",
            r"\b(?:spread(?:s|ing)?|expand(?:s|ed|ing)?) (?:through|across|into|to) "
            rf"(?:\w+ ){{0,2}}{_AUDIENCE}\b",
            r"\b(?:powered|driven) by (?:an?|the|its|\w+['’]s)? ?[A-Z]",
            r"\b(?:customers?|clients?) (?:include|such as|like|report|say|said|reported)\b",
            r"\bdeploy(?:s|ed|ing)? (?:[\w-]+ ){0,4}?(?:at|in|across|to|for|inside|into)\b",
            r"\b(?:rolled|rolling|rolls) out (?:\w+ ){0,3}?(?:to|at|across|in)\b",
            r"\b(?:pilot(?:s|ed|ing)?|trial(?:s|led|ed|ing)?) (?:with|at|in|across)\b",
            r"\bwill (?:test|trial|use|deploy)\b|\b(?:is|are|now|has been|have been|been|were|was) using\b",
            r"\buses? (?:it|them|the \w+|\w+(?: \w+)?) to\b",
            r"\b(?:serves?|serving)\b(?! as\b)|\b(?:powers|powering) (?:the|its|a|an|some|many|\w+['’]s)\b",
            r"\b(?:supply|supplies|supplying|provide|provides|providing) (?:[\w$-]+ ){0,6}?"
            r"(?:to|for) (?:an?|the|its)\b",
            # what it lets people do
            r"\b(?:lets|enables?|allows?|enabling)\b|\bon (?:the|a|their) \w+['’]s behalf\b",
            rf"\b(?:helps?|helping) (?:\w+ ){{0,2}}{_AUDIENCE}\b|\bavailable to (?:\w+ ){{0,2}}{_AUDIENCE}\b",
            rf"\bfor (?:[\w$.,-]+ ){{0,4}}?{_AUDIENCE}\b|\bfor (?:\w+ ){{0,2}}?{_FIELD}\b",
            rf"\b{_AUDIENCE} (?:can|could|will be able to|now use|use|are using|have used)\b",
            rf"\b{_AUDIENCE} (?:sav(?:e|es|ed|ing)|cut(?:s|ting)?|spend(?:s|ing)? less)\b",
            rf"\b{_AUDIENCE} (?:(?:are|is|were|have been|has been) )?(?:testing|triall?ing|piloting|"
            r"evaluating|adopting|rolling out)\b",
            rf"\b{_AUDIENCE} (?:and {_AUDIENCE} )?(?:want|need|plan|hope|are looking|are racing) to\b",
            r"\b(?:that|which) (?:can|could|will|lets?|helps?) \w+|\bcan now \w+",
            r"\b(?:designed|built|fine-tuned|tailored|intended) (?:to|for)\b",
            r"\b(?:aimed at|targets?|targeting|geared (?:to|toward))\b|\bfor [a-z]{3,}ing\b",
            # where a method applies (papers)
            r"\bapplications? (?:in|for|to|such as|include)\b|\b(?:applied|applies|apply) (?:\w+ )?to\b",
            r"\b(?:can|could) be (?:used|applied)\b|\buseful for\b|\bwe (?:apply|deploy|demonstrate)\b",
            r"\b(?:the )?(?:default|standard|common|widely used) (?:way|tool|method|approach) (?:to|for)\b",
            r"\b(?:in|for|from) (?:clinical|medical|legal|financial|industrial|educational|real-world|"
            r"enterprise) (?:settings|practice|records|notes|workflows|documents|use)\b",
            r"\belectronic health records\b",
            r"\breal-world\b|\bpractitioners\b|\btasks such as\b",
            # the same in Chinese
            r"用于|用於|应用于|應用於|应用在|應用在|应用场景|應用場景|帮助|幫助|协助|協助|助力|可让|可讓|让用户|讓用戶|"
            r"讓使用者|面向|适用于|適用於|落地|导入|導入|部署|客户|客戶|用户可|用戶可|使用者可|服务于|服務於|赋能|賦能|"
            r"供.{1,8}使用|可用来|可用來|用来|用來|只需|可根据|可根據|可在|可以在|能在|可自动|可自動|试点|試點|"
            r"上线.{0,6}(?:医院|醫院|银行|銀行|工厂|工廠)|向(?:用户|用戶|客户|客戶|企业|企業|开发者|開發者)",
        ]
    ),
    re.IGNORECASE,
)

# --- Chinese scenario phrases ----------------------------------------------------------------

_SCENARIO_OPENING = re.compile(
    r"^(?:在|於|作為|做為|為|針對|面向|以|用於|適用|需要|支援|支持|協助|幫助|建立|建置|構建|打造|提供|結合|整合|"
    r"導入|應用|讓|供|替|給|可)"
)
# The kind of work done, which a scenario phrase ends on ("…的偵測與攔截。", "…的風險管理。").
_SCENARIO_ENDING = re.compile(
    r"(?:場景|情境|應用|系統|工具|平台|平臺|服務|流程|領域|產業|行業|設計|管理|分析|決策|診斷|監測|監控|評估|"
    r"輔助|支援|依據|基礎|助理|助手|代理|機器人|管線|工作流|優化|自動化|生成|審核|推薦|偵測|檢測|攔截|訓練|部署|"
    r"開發|研究|測試|資料集|載體|承載|參考|選型|效果|處理|理解|策略|交易|控制|分配|整合|特效|迭代|邊界|最佳化|"
    r"調度|規劃|預測|合成|能力|性能|動態|可控性|約束|彈性|機制)[）)」』]*[。；;]?$"
)
# What makes a line news or a fact rather than a scenario: who said it, an event, a figure, a label.
_NEWS_WORDS = re.compile(
    r"報導|报道|指出|表示|宣布|宣佈|聲稱|声称|稱|称|消息|透露|據|据|預計|预计|推出|發布|發佈|发布|收購|收购|融資|融资|"
    r"上線|上线|開源|开源|股價|股价|營收|营收|估值"
)
_FIGURE = re.compile(
    r"(?<![A-Za-z/])\d+(?:[.,]\d+)*\s*(?:%|％|億|亿|萬|万|兆|美元|元|年|月|日|倍|家|名|個|个|款|篇|項|项|人|秒|"
    r"分鐘|小時|次)"
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_MIN_CJK_SHARE = 0.4


def is_use_case(sentence: str) -> bool:
    """The sentence says who uses the thing for what: a cue in English or Chinese, or a Chinese
    scenario phrase."""
    if is_fragment(sentence):
        return False
    return _USE_CUES.search(sentence) is not None or _is_scenario_phrase(sentence)


def _is_scenario_phrase(sentence: str) -> bool:
    text = sentence.strip()
    if not has_cjk(text) or len(_CJK.findall(text)) < _MIN_CJK_SHARE * len(text.replace(" ", "")):
        return False
    if DETAIL_LABEL.match(text) or _NEWS_WORDS.search(text) or _FIGURE.search(text):
        return False
    return bool(_SCENARIO_OPENING.match(text) or _SCENARIO_ENDING.search(text))
