"""Across English and Chinese: the shipped lexicon, the bridge that finds its concepts in a
question, the pairs mined from the items, and the found decision that trusts a rare name."""

from __future__ import annotations

import pytest
from test_search import reported

from bot.bridge import Bridge
from bot.mining import parenthesized, titled
from bot.question import normalize, question_groups, shipped_bridge
from bot.search import ItemIndex
from core import bilingual
from core.models import Item


def titles(index: ItemIndex, question: str) -> list[str]:
    return [hit.found.item.title for hit in index.search(question).hits]


# --- the shipped lexicon ---------------------------------------------------------------------------


def test_the_lexicon_file_parses_and_ships_both_sources():
    shipped = bilingual.concepts()
    assert len(shipped) > 800
    assert (
        bilingual.Concept(
            ("data centre", "data center", "datacenter", "datacentre"), ("資料中心", "數據中心")
        )
        in shipped
    )
    assert any(c.chinese == ("世界模型",) for c in shipped)  # core.terms, the writer's AI terms


def test_a_malformed_lexicon_line_is_named():
    assert bilingual.parse("# a comment\n\ngpu|gpus\tGPU|顯示卡\n") == [
        bilingual.Concept(("gpu", "gpus"), ("GPU", "顯示卡"))
    ]
    with pytest.raises(ValueError, match="line 2"):
        bilingual.parse("gpu\t顯示卡\nno tab here\n")


def test_every_shipped_form_folds_to_something_matchable():
    bridge = shipped_bridge()
    for concept in bilingual.concepts():
        assert any(normalize(f).strip() for f in concept.english + concept.chinese), concept
    assert len(bridge) == len(bilingual.concepts())


# --- the bridge --------------------------------------------------------------------------------------


def phrases(question: str) -> list[set[tuple[str, ...]]]:
    return [set(group.phrases) for group in question_groups(question) if group.concept]


def test_an_english_phrase_is_one_group_with_its_chinese_names():
    (group,) = phrases("data centres in Mumbai")[:1]
    assert {("data", "centres"), ("数据", "据中", "中心")} <= group
    assert any(p == ("孟买",) for g in phrases("data centres in Mumbai") for p in g)


def test_taiwan_and_mainland_vocabulary_fold_to_one():
    assert normalize("資料中心") == normalize("数据中心") == "数据中心"
    assert normalize("軟體測試") == normalize("软件测试")
    assert normalize("無人計程車") == normalize("无人出租车")
    # Taiwan words in Simplified characters fold with them too.
    assert normalize("辉达") == normalize("輝達") == normalize("英伟达")
    assert normalize("资料中心") == normalize("資料中心")


def test_a_chinese_name_brings_its_english_one():
    assert ("nvidia",) in phrases("輝達的新晶片")[0]


def test_the_longest_form_wins_and_punctuation_splits_phrases():
    assert ("small", "modular", "reactor") in phrases("small modular reactor news")[0]
    assert not any(("data", "center") in g for g in phrases("more data, center stage"))


def test_boilerplate_is_no_concept():
    assert phrases("tell me the latest news report") == []


def test_a_bridge_of_a_few_concepts():
    bridge = Bridge([(("kite", "kites"), ("風箏",))], normalize)
    rest, groups = bridge.find(normalize("parcels by kites"))
    assert rest.split() == ["parcels", "by"] and groups[0].phrases[:2] == (("kite",), ("kites",))
    assert groups[0].concept and ("风筝",) in groups[0].phrases


# --- English questions, Chinese items ---------------------------------------------------------------


@pytest.fixture
def index() -> ItemIndex:
    items = [
        reported(
            "北約克郡電廠部分轉型為資料中心",
            summary="英國 Zorblax 計畫將電廠改造成資料中心。",
            entities=("Zorblax",),
        ),
        reported("軟體測試自動化新創完成融資", summary="新創 Quibbit 完成 A 輪融資。", entities=("Quibbit",)),
        reported("OpenAI 推出新模型", summary="OpenAI 發表模型。", entities=("OpenAI",)),
        reported(
            "OpenAI 與微軟合作", summary="OpenAI 與 Microsoft 擴大合作。", entities=("OpenAI", "Microsoft")
        ),
        reported("OpenAI 的安全研究", summary="OpenAI 發表安全研究。", entities=("OpenAI",)),
        reported("OpenAI 營收成長", summary="OpenAI 營收成長。", entities=("OpenAI",)),
        reported("機器人新聞", summary="人形機器人進入工廠。"),
        *(reported(f"其他新聞 {n}", summary="晶片與雲端的消息。") for n in range(8)),
    ]
    return ItemIndex(items)


def test_an_english_question_finds_a_chinese_item_through_the_lexicon(index):
    assert titles(index, "power station turned into a data centre")[:1] == ["北約克郡電廠部分轉型為資料中心"]
    assert titles(index, "humanoid robots in factories")[:1] == ["機器人新聞"]


def test_a_mainland_question_finds_a_taiwan_item(index):
    assert titles(index, "软件测试自动化初创公司融资")[:1] == ["軟體測試自動化新創完成融資"]


def test_a_rare_name_in_the_head_vouches_for_its_item(index):
    # "becoming", "gigantic" and "humongous" are words no item has in any language: a question
    # about Zorblax in English is full of them, and the name in the title answers for the item.
    question = "Zorblax becoming a gigantic humongous thing"
    assert titles(index, question) == ["北約克郡電廠部分轉型為資料中心"]


def test_a_name_no_item_has_vouches_for_nothing(index):
    assert not index.search("Zorblax Tokyo expansion").found  # Tokyo: a name, and no item has it
    assert not index.search("Quibbit 7 pricing").found  # quibbit-7: a version no item has


def test_a_common_name_vouches_for_nothing(index):
    # OpenAI is in most items: naming it is no evidence of any one story.
    assert not index.search("OpenAI becoming a gigantic humongous thing").found


def test_words_the_lexicon_knows_still_count_against_a_vouched_item(index):
    # lawsuit and music are lexicon words (訴訟, 音樂) that the Quibbit item lacks: not found.
    assert not index.search("Quibbit lawsuit over music").found
    assert not index.search("Quibbit 裁員").found  # a Chinese word no item has counts too


# --- mining -----------------------------------------------------------------------------------------


def test_parenthesized_pairs_both_ways():
    items = [
        Item(
            section="research",
            title="用於早期慢性腎病（CKD）預測",
            summary="Avocado（牛油果）模型；A100 vs H100（比較）",
        ),
        Item(section="research", title="標題", summary="韌性（A100 vs H100）與（2025）年，指稱（reference）"),
    ]
    assert parenthesized(items) == {("CKD", "早期慢性腎病"), ("Avocado", "牛油果")}


def test_titled_pairs_need_two_days_and_nearly_only_their_entity():
    items = [
        reported("赫茲科技發表新晶片", day="2025-12-01", entities=("Hertzion",)),
        reported("赫茲科技營收成長", day="2025-12-02", entities=("Hertzion", "TSMC")),
        reported("赫茲科技再推晶片", day="2025-12-02", entities=("Hertzion",)),
        reported("另一家公司營收成長", day="2025-12-03", entities=("Acme",)),
    ]
    pairs = titled(items)
    assert ("Hertzion", "赫茲科技") in pairs
    assert not any(latin == "TSMC" for latin, _ in pairs)  # one day is not enough
    assert not any(chinese == "營收" for _, chinese in pairs)  # other companies' titles have it


def test_a_mined_pair_bridges_an_item_written_only_in_chinese():
    items = [
        reported(
            "赫茲科技（Hertzion）成立", summary="赫茲科技（Hertzion）是一家晶片新創。", day="2025-11-01"
        ),
        reported("赫茲科技發表新晶片", summary="赫茲科技發表第二代晶片。", day="2025-12-01"),
    ]
    index = ItemIndex(items)
    assert ("hertzion", "赫兹科技") in index.state().mined
    assert "赫茲科技發表新晶片" in titles(index, "Hertzion chip")


# --- hostile input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "data center " * 200,
        "（（（（（" + "資料中心" * 100,
        "\u200b\u202e nvidia \ufeff 輝達 \x00",
        "a" * 10_000,
        "Zorblax " + "資料中心（" * 50,
    ],
)
def test_hostile_questions_are_answered_or_not_without_failing(index, question):
    result = index.search(question)
    assert isinstance(result.found, bool) and len(result.hits) <= 5
