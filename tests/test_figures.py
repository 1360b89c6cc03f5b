"""The figure an importance reason names: an amount (or a price) of money, else a benchmark score."""

from __future__ import annotations

import pytest

from core.report.figures import key_figure


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("Acme raises US$85M Series B", "金額 8,500 萬美元", "amount US$85M"),
        ("Mistral raises €2bn from investors", "金額 20 億歐元", "amount €2bn"),
        ("Deal values the startup at $1.2 billion", "金額 12 億美元", "amount $1.2 billion"),
        ("Claude Opus 5 costs $10 per million tokens", "價格 10 美元", "price $10"),
        ("The phone sells for £399", "價格 399 英鎊", "price £399"),
        ("It scores 71% on SWE-bench Verified", "SWE-bench 71%", "SWE-bench 71%"),
        ("GPQA Diamond: 88.2%", "GPQA 88.2%", "GPQA 88.2%"),
        ("A model that helps doctors write notes", "", ""),
        ("", "", ""),
    ],
)
def test_the_first_amount_else_the_first_score(text, zh, en):
    assert key_figure([text], "zh-TW") == zh
    assert key_figure([text], "en") == en


def test_headlines_before_bodies_and_no_figure_made_up():
    assert key_figure(["Acme raises $30M", "It was valued at $2B last year"], "zh-TW") == "金額 3,000 萬美元"
    assert (
        key_figure(["Version 5 ships with 3 new modes in 2026"], "zh-TW") == ""
    )  # counts and years are no figures
