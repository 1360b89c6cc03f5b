"""The bilingual lexicon: English terms of AI news found in any text, named in Taiwan Chinese."""

from __future__ import annotations

from core.terms import TERMS, chinese_terms, find_terms


def test_longer_phrases_win_and_each_name_comes_once_in_text_order():
    text = "Large language models and LLM agents: a benchmark of language models for code generation"
    assert chinese_terms(text, 5) == ["大型語言模型", "AI 代理", "基準測試", "語言模型", "程式碼模型"]


def test_plurals_case_and_word_boundaries():
    assert chinese_terms("DATACENTRES and Chips") == ["資料中心", "晶片"]
    assert chinese_terms("ragtime chipset rational") == []  # no term inside another word
    assert chinese_terms("co-training pre-trainingless") == []  # nor inside a hyphenated one


def test_odd_input_finds_nothing_and_never_fails():
    for text in ("", "   ", "模型與研究", "<script>alert(1)</script>", "🤖" * 1000, "a" * 100_000):
        assert isinstance(find_terms(text), list)
    assert chinese_terms("<b>world model</b> in <i>robots</i>") == ["世界模型", "機器人"]


def test_every_entry_has_english_forms_and_a_chinese_name():
    for english, zh in TERMS:
        assert all(form.strip() == form and form for form in english.split("|")), english
        assert zh and zh.strip() == zh
