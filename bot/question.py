"""A question as the index reads it: folded, its boilerplate stripped, its terms in groups.

``normalize`` folds text one way for items and questions alike: core.text.fold (case, width,
dashes, quotes), then Chinese to one script and one vocabulary with OpenCC (Simplified to
Traditional characters, then ``tw2sp``: Traditional as written in Taiwan to Simplified as
written in the mainland; 資料中心, 资料中心 and 数据中心, 軟體 and 软件, 輝達, 辉达 and 英伟达
become one), so a Taiwan item answers a mainland question and the other way round.

``question_groups`` turns a question into ``bot.bridge.Group``s: first Chinese boilerplate
("告訴我", "跟…相關的更多") is blanked, then the bridges (the shipped lexicon's, folded once a
process, and the index's mined pairs) find the concepts it names in either language (each one
group, matched by any of its forms); what is left gives one group a word: boilerplate and
English stopwords dropped, a possessive "'s" dropped, a plural also matching its singular
("apps" finds "app"), a name written apart also joined ("opus 4.5" -> opus-4.5) and a dashed one
also split ("gpt-5.2" -> gpt, 5.2, gpt5.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from bot.bridge import Bridge, Group
from core import bilingual
from core.report.editing import lexicon
from core.text import fold, tokens

#: Questions longer than this are cut before matching (a pasted article is not a question).
MAX_QUESTION_CHARS = 500

# Question boilerplate, stripped before matching (English as words; Chinese as phrases, which
# are replaced by a space so that bigrams never span them).
EN_BOILERPLATE = frozenset(
    str.split(
        """
    a an the of on in at to for and or about more tell me us what whats what's who is are was were
    any anything news new latest update updates give show please can could you i want know more
    detail details info information explain story stories report reports item items happened
    happening with from did do does how why when where which that this there their it its be
    been say said says some something related regarding re ask asked asks
    """
    )
)
_ZH_BOILERPLATE = sorted(
    str.split(
        """
    請問 請 告訴我 告诉我 跟我說說 跟我说说 說說 说说 介紹一下 介绍一下 介紹 介绍 一下 詳細 详细
    更多 多一點 多一点 關於 关于 有關 有关 相關 相关 的 跟 和 與 与 嗎 吗 呢 吧 啊 呀 什麼 什么
    有沒有 有没有 怎麼樣 怎么样 怎麼 怎么 如何 哪些 消息 新聞 新闻 報導 报导 報道 报道 資訊 资讯
    內容 内容 情況 情况 最新 進展 进展 是 在 了 我 想 知道 看看 還有 还有 其他 新功能 功能 有
    """
    ),
    key=len,
    reverse=True,
)
_ZH_PATTERN = re.compile("|".join(map(re.escape, _ZH_BOILERPLATE)))
_PUNCTUATION = re.compile(r"[?？!！,，。、:：;；()（）\[\]【】「」『』\"']+")
_POSSESSIVE = re.compile(r"(?<=[a-z0-9])'s\b")
_HAN = re.compile(r"[\u3400-\u9fff]")


@cache
def _converter(config: str) -> Any:
    import opencc

    if config == "s2t":
        return _characters_only(opencc) or opencc.OpenCC("s2t")
    return opencc.OpenCC(config)


def _characters_only(opencc: Any) -> Any:
    """Simplified to Traditional by characters alone: OpenCC's ``s2t`` also loads 27 MB of phrases,
    which the fold does not need (its phrases are tw2sp's). OpenCC finds a config's dictionaries
    only by absolute path or beside the config, so the two-line config is written for the call."""
    import json
    import tempfile

    table = Path(opencc.__file__).parent / "clib" / "share" / "opencc" / "STCharacters.ocd2"
    if not table.is_file():
        return None
    dictionary = {"type": "ocd2", "file": str(table)}
    config = {"name": "s2t characters", "segmentation": {"type": "mmseg", "dict": dictionary}}
    config["conversion_chain"] = [{"dict": dictionary}]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s2t-characters.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        return opencc.OpenCC(str(path))


def normalize(text: str) -> str:
    """Folded text (core.text.fold) in one Chinese script and vocabulary (see the module docstring)."""
    folded = fold(text)
    if _HAN.search(folded):
        # To Traditional first: Taiwan words in Simplified characters (辉达, 资料中心) then meet
        # the Taiwan phrases that tw2sp knows only in Traditional ones.
        folded = _converter("tw2sp").convert(_converter("s2t").convert(folded))
    return folded


@cache
def shipped_bridge() -> Bridge:
    """The shipped lexicon's concepts (core.bilingual), folded once a process."""
    return Bridge([(c.english, c.chinese) for c in bilingual.concepts()], normalize, ignore=EN_BOILERPLATE)


def mined_bridge(mined: Iterable[tuple[str, str]]) -> Bridge:
    """The (Latin, Chinese) pairs mined from the stored items, folded when mined (so not again)."""
    return Bridge([((latin,), (chinese,)) for latin, chinese in mined], str, ignore=EN_BOILERPLATE)


def expand(words: Iterable[str]) -> list[str]:
    """Tokens plus the parts and the joined form of dashed names: gpt-5.2 -> gpt, 5.2, gpt5.2."""
    out: list[str] = []
    for word in words:
        out.append(word)
        if "-" in word:
            out.extend(part for part in word.split("-") if part)
            out.append(word.replace("-", ""))
    return out


def joined(words: Sequence[str]) -> list[str]:
    """Latin names written apart, joined: "opus 4.5" -> opus-4.5 (a version number follows)."""
    return [
        f"{a}-{b}"
        for a, b in pairwise(words)
        if a.isascii() and b.isascii() and b[0].isdigit() and a[-1].isalpha()
    ]


def question_groups(question: str, mined: Bridge | None = None) -> list[Group]:
    """The groups of a question, concepts first, then its other words in order (module docstring)."""
    text = _ZH_PATTERN.sub(" ", _POSSESSIVE.sub("", normalize(question[:MAX_QUESTION_CHARS])))
    every = tokens(text)  # names are joined as written, before concepts take their words
    more = (mined,) if mined is not None else ()
    text, concepts = shipped_bridge().find(text, *more)  # a comma ends a phrase: before it goes
    words = [w for w in tokens(_PUNCTUATION.sub(" ", text)) if not _ignored(w)]
    groups = {term: Group(tuple((t,) for t in _inflected(term))) for term in expand(words)}
    for name in joined(every):
        if not _ignored(name.split("-")[0]):
            groups.setdefault(name, Group(((name,), (name.replace("-", ""),)), joined=True))
    return [*concepts, *groups.values()]


def _ignored(word: str) -> bool:
    return word in EN_BOILERPLATE or word in lexicon.STOPWORDS


def _inflected(term: str) -> tuple[str, ...]:
    """A term and its stem, which also matches: "apps" finds "app", "trucks" "truck"."""
    stem = lexicon.stem(term)
    return (term, stem) if stem != term else (term,)
