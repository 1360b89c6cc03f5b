"""The pure half of Slack delivery: escaping, links, the plan, and a snapshot of one fixed report.

Regenerate the snapshot after an intended change with
``UPDATE_GOLDEN=1 pytest tests/test_slack_format.py``, and review it: it is what users see.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fakes.reports import synthetic_report
from test_markdown import golden_report

from core.models import Channel, Subscription
from core.platforms.slack_mrkdwn import DEFAULT_LIMITS, SlackLimits, escape, link
from delivery.slack_format import plan

GOLDEN = Path(__file__).parent / "golden" / "slack.jsonl"
SUB = Subscription(Channel.SLACK, "C0123ABCD")


def test_escape_touches_only_slacks_three_control_characters():
    assert escape("a < b && c > d *x* _y_ `z`") == "a &lt; b &amp;&amp; c &gt; d *x* _y_ `z`"


def test_links_are_real_links_with_safe_labels():
    assert link("https://e.org/a?b=1&c=2", "A <b> | c") == "<https://e.org/a?b=1&amp;c=2|A &lt;b&gt; ¦ c>"
    assert link("https://e.org/x|y>z", "t") == "<https://e.org/x%7Cy%3Ez|t>"
    assert link("TechCrunch", "TechCrunch") == "TechCrunch"  # not a URL: the label alone
    assert link("javascript:alert(1)", "x") == "x"


def test_the_plan_is_header_then_each_section_with_its_replies():
    keys = [(m.key, m.parent) for m in plan(synthetic_report({"research": 3, "market": 2}), SUB)]
    assert keys == [
        ("header", None),
        ("section:research", None),
        ("section:research/part:1", "section:research"),
        ("section:market", None),
        ("section:market/part:1", "section:market"),
        ("section:insight", None),
        ("section:insight/part:1", "section:insight"),
        ("section:reading", None),
        ("section:reading/part:1", "section:reading"),
    ]


def test_sixty_items_take_a_few_messages_within_the_limits():
    messages = plan(synthetic_report(), SUB)
    replies = [m for m in messages if m.parent]
    assert len(replies) <= 16 and len(messages) <= 24
    for message in messages:
        blocks = message.payload["blocks"]
        assert len(blocks) <= DEFAULT_LIMITS.max_blocks
        texts = [b["text"]["text"] for b in blocks if "text" in b]
        assert sum(map(len, texts)) <= DEFAULT_LIMITS.max_chars
        assert all(len(t) <= 3000 for t in texts)


@pytest.mark.parametrize("limits", [SlackLimits(max_blocks=3, max_chars=2500, section_chars=900)])
def test_tighter_limits_still_hold_every_item_in_order(limits):
    report = synthetic_report({"tools": 12}, long_summary=3)
    messages = [m for m in plan(report, SUB, limits=limits) if m.key.startswith("section:tools/")]
    texts = [b["text"]["text"] for m in messages for b in m.payload["blocks"]]
    assert all(len(t) <= 900 for t in texts)
    assert all(len(m.payload["blocks"]) <= 3 for m in messages)
    joined = "\n".join(texts)
    assert [joined.index(f"*{n}. ") for n in range(1, 13)] == sorted(
        joined.index(f"*{n}. ") for n in range(1, 13)
    )


def test_empty_sections_and_unwanted_ones_are_left_out():
    report = synthetic_report({"research": 2}, extras=False)
    assert [m.key for m in plan(report, SUB) if not m.parent] == ["header", "section:research"]
    only_market = Subscription(Channel.SLACK, "C0123ABCD", sections=("market",))
    assert [m.key for m in plan(report, only_market)] == ["header"]


def test_golden_snapshot():
    calls = [
        {"method": "chat.postMessage", "params": {"channel": SUB.address, **m.payload}, "key": m.key}
        for m in plan(
            golden_report(), SUB, archive_url=lambda day: f"https://daily.example.org/reports/{day}/"
        )
    ]
    rendered = "".join(json.dumps(call, ensure_ascii=False, sort_keys=True) + "\n" for call in calls)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(rendered, encoding="utf-8")
    if not GOLDEN.exists():
        pytest.fail(f"{GOLDEN} is missing: run with UPDATE_GOLDEN=1, review it and commit it")
    assert rendered == GOLDEN.read_text(encoding="utf-8"), "run with UPDATE_GOLDEN=1 to accept the change"
