"""Keyword rules (core.rules) and the chat command that sets them (core.subscriptions): which
items a subscription receives, on plain literal terms, whatever a user types."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from core.models import Brief, Cadence, Channel, Insight, Item, Reading, Report, Rules, Section, Subscription
from core.rules import MAX_TERM_CHARS, MAX_TERMS, allows, describe, make_rules, parse_terms, view_for
from core.subscriptions import new_subscription, parse_cadence, parse_chat_options


def item(title: str, summary: str = "", *, details=(), entities=(), use_cases=(), section="research") -> Item:
    return Item(section, title, summary, tuple(details), tuple(use_cases), tuple(entities))


def keeps(rules: Rules, *texts: str) -> list[bool]:
    return [allows(rules, item(text)) for text in texts]


# --- parsing terms ------------------------------------------------------------------------------


def test_terms_are_split_trimmed_deduplicated_and_blank_ones_dropped():
    terms = parse_terms(
        ["OpenAI, openai ,ＯｐｅｎＡＩ", " ,, ", "語言模型、 large   language model ;; 「大型 模型」"]
    )
    assert terms == ("OpenAI", "語言模型", "large language model", "大型 模型")
    assert parse_terms("") == parse_terms(None) == parse_terms([" ", "\n"]) == ()


def test_invisible_and_control_characters_are_not_part_of_a_term():
    assert parse_terms("Open\u200bAI\x00, \u202eGPT") == ("OpenAI", "GPT")


def test_a_term_without_letter_or_digit_is_refused_with_its_name():
    for hostile in (".*", "+", "()", "***", "\\"):
        with pytest.raises(ValueError, match="no letter or digit"):
            parse_terms(hostile)


def test_too_many_or_too_long_terms_are_refused():
    assert len(parse_terms([f"term{n}" for n in range(MAX_TERMS)])) == MAX_TERMS
    with pytest.raises(ValueError, match=f"at most {MAX_TERMS}"):
        parse_terms([f"term{n}" for n in range(MAX_TERMS + 1)])
    with pytest.raises(ValueError, match="too long"):
        parse_terms("x" * (MAX_TERM_CHARS + 1))


def test_a_huge_input_is_refused_before_it_is_split():
    with pytest.raises(ValueError, match="too many"):
        parse_terms("a," * 5_000_000)
    with pytest.raises(ValueError, match="too many"):
        parse_terms(["b"] * 100_000)


# --- matching -----------------------------------------------------------------------------------


def test_latin_terms_match_whole_words_only():
    rules = make_rules(include="AI")
    assert keeps(
        rules, "AI-powered search", "生成式AI工具上線", "New (AI) rules", "OpenAI ships", "he said"
    ) == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_cjk_terms_match_inside_words():
    rules = make_rules(include="模型")
    assert keeps(rules, "新的語言模型發布", "模型", "晶片出貨") == [True, True, False]


def test_case_and_width_do_not_matter_on_either_side():
    assert keeps(make_rules(include="ｏｐｅｎａｉ"), "OPENAI releases", "OpenAI") == [True, True]
    assert keeps(make_rules(include="openai"), "ＯｐｅｎＡＩ 發表新模型") == [True]
    assert keeps(make_rules(include="ＧＰＴ－５"), "GPT-5 is out", "gpt‑5 (U+2011 dash)", "GPT-50") == [
        True,
        True,
        False,
    ]


def test_regex_metacharacters_are_only_characters():
    assert keeps(make_rules(include="a.b"), "a.b ships", "axb ships") == [True, False]
    assert keeps(make_rules(include="C++"), "C++ compilers", "C compilers") == [True, False]
    assert keeps(make_rules(include="(a|b)"), "a", "b", "the (a|b) case") == [False, False, True]
    assert keeps(make_rules(include="\\d+ models"), "3 models", "\\d+ models list") == [False, True]


def test_phrases_match_across_any_spacing_but_not_across_fields():
    rules = make_rules(include="large language model")
    assert allows(rules, item("A Large  Language\nModel for law"))
    assert not allows(rules, item("Large language", "Model news"))  # title end + summary start


def test_items_are_matched_on_title_summary_details_and_entities_only():
    rules = make_rules(include="Nimbus")
    assert allows(rules, item("x", "Nimbus ships"))
    assert allows(rules, item("x", details=["runs on Nimbus"]))
    assert allows(rules, item("x", entities=["Nimbus"]))
    assert not allows(rules, item("x", use_cases=["Nimbus for banks"]))


def test_exclude_wins_over_include_and_no_rules_keep_everything():
    rules = make_rules(include="OpenAI", exclude="crypto, 加密貨幣")
    assert keeps(rules, "OpenAI ships", "OpenAI crypto deal", "OpenAI 與加密貨幣", "Anthropic ships") == [
        True,
        False,
        False,
        False,
    ]
    assert keeps(make_rules(exclude="crypto"), "Anthropic ships", "Crypto AI") == [True, False]
    assert keeps(Rules(), "anything") == [True]


# --- a subscription's view of a report --------------------------------------------------------


def report() -> Report:
    research = Section(
        "research",
        "Research",
        (item("OpenAI model"), item("Crypto model"), item("Anthropic model")),
        (
            Brief("Crypto brief", "a line", "https://x.example/1"),
            Brief("OpenAI brief", "", "https://x.example/2"),
        ),
    )
    tools = Section(
        "tools", "Tools", (item("Crypto tool", section="tools"), item("OpenAI tool", section="tools"))
    )
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return Report(
        date(2026, 12, 1), "T", now, "UTC", now, now, 10, 5, (research, tools), Insight(), Reading()
    )


def test_a_view_keeps_the_allowed_items_and_briefs_and_counts_the_wanted_sections_only():
    sub = Subscription(Channel.SLACK, "C1", sections=("research",), rules=make_rules(exclude="crypto"))
    view = view_for(report(), sub)
    assert [i.title for i in view.section("research").items] == ["OpenAI model", "Anthropic model"]
    assert [b.title for b in view.section("research").more] == ["OpenAI brief"]
    assert [i.title for i in view.section("tools").items] == ["OpenAI tool"]
    assert view.filtered == 2  # one item and one brief of research; tools is not delivered


def test_views_of_many_reports_in_turn_each_follow_their_own_report():
    sub = Subscription(Channel.SLACK, "C1", rules=make_rules(include="OpenAI"))
    reports = [dataclasses.replace(report(), filtered=0, title=f"day {n}") for n in range(6)]
    for n, day in enumerate(reports * 2):  # more reports than the index keeps
        research = day.section("research")
        changed = dataclasses.replace(research, items=(item(f"OpenAI story {n}"), *research.items))
        view = view_for(dataclasses.replace(day, sections=(changed, day.sections[1])), sub)
        assert [i.title for i in view.section("research").items] == [f"OpenAI story {n}", "OpenAI model"]


def test_without_rules_the_view_is_the_report_itself():
    original = report()
    assert view_for(original, Subscription(Channel.SLACK, "C1")) is original


# --- the chat command and the CLI's options ---------------------------------------------------


def test_the_chat_command_reads_sections_cadence_and_signed_terms():
    options = parse_chat_options('research, tools weekly +OpenAI +"language model" -crypto')
    assert options.sections == ("research", "tools") and options.cadence is Cadence.WEEKLY
    assert options.rules == Rules(("OpenAI", "language model"), ("crypto",))
    assert describe(options.rules) == '+OpenAI +"language model" -crypto'


def test_the_chat_command_takes_chinese_words_full_width_signs_and_smart_quotes():
    options = parse_chat_options("每週 ＋語言模型 －加密貨幣 +「大型 模型」 −“chip ban” —spam")
    assert options.cadence is Cadence.WEEKLY and options.sections == ()
    assert options.rules == Rules(("語言模型", "大型 模型"), ("加密貨幣", "chip ban", "spam"))


def test_the_chat_command_survives_hostile_words():
    options = parse_chat_options('+"C++" -(a|b) all "" + - +GPT-5.2 -"unterminated phrase')
    assert options.rules == Rules(("C++", "GPT-5.2"), ("(a|b)", "unterminated phrase"))
    with pytest.raises(ValueError, match="no letter or digit"):
        parse_chat_options("+.*")
    with pytest.raises(ValueError, match="unknown section"):
        parse_chat_options("nonsense")
    with pytest.raises(ValueError, match="too many"):
        parse_chat_options(" ".join(f"+t{n}" for n in range(MAX_TERMS + 1)))


def test_new_subscription_takes_cadence_and_terms():
    sub = new_subscription(
        "slack:C0123ABCD", cadence="weekly", include=["OpenAI,Anthropic"], exclude=["crypto"]
    )
    assert sub.cadence is Cadence.WEEKLY and sub.rules == Rules(("OpenAI", "Anthropic"), ("crypto",))
    assert new_subscription("slack:C0123ABCD").cadence is Cadence.DAILY
    assert parse_cadence("每週") is Cadence.WEEKLY
    with pytest.raises(ValueError, match="daily or weekly"):
        parse_cadence("hourly")
