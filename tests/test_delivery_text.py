"""Splitting and packing text to platform limits (core/platforms/text.py)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from core.platforms.text import pack, pack_texts, split_text, utf16_len

LINK = re.compile(r"<[^<>]*>|&(?:amp|lt|gt);")


def _words(pieces: list[str]) -> list[str]:
    return " ".join(pieces).split()


def test_text_within_the_limit_is_one_piece():
    assert split_text("short", 10) == ["short"]
    assert split_text("", 10) == [""]


def test_paragraph_boundaries_come_first():
    text = "first paragraph here\n\nsecond one\nwith two lines"
    assert split_text(text, 30) == ["first paragraph here", "second one\nwith two lines"]


def test_then_lines_then_words():
    assert split_text("aaaa bbbb\ncccc dddd", 12) == ["aaaa bbbb", "cccc dddd"]
    assert split_text("aaaa bbbb cccc dddd", 12) == ["aaaa bbbb", "cccc dddd"]


def test_every_piece_fits_and_no_word_is_lost():
    text = " ".join(f"word{i}" for i in range(500)) + "\n\n" + "tail " * 50
    pieces = split_text(text, 97)
    assert all(len(p) <= 97 for p in pieces)
    assert _words(pieces) == text.split()


def test_a_word_longer_than_the_limit_is_cut_between_characters():
    pieces = split_text("x" * 25, 10)
    assert pieces == ["x" * 10, "x" * 10, "x" * 5]


def test_links_and_entities_are_never_cut():
    link = "<https://example.org/a?b=1&amp;c=2|a label with spaces>"
    text = ("lorem ipsum " * 3 + link + " dolor &amp; sit ") * 20
    pieces = split_text(text, 90, atoms=LINK)
    assert all(len(p) <= 90 for p in pieces)
    for piece in pieces:
        assert piece.count("<") == piece.count(">")
        assert not re.search(r"&[a-z]*$", piece)
    assert "".join(pieces).count(link) == 20


def test_an_atom_longer_than_the_limit_is_refused():
    with pytest.raises(ValueError, match="unbreakable"):
        split_text("<" + "x" * 50 + ">", 20, atoms=LINK)


def test_utf16_measure_counts_astral_characters_twice():
    assert utf16_len("a😀") == 3
    pieces = split_text("😀" * 10, 5, measure=utf16_len)
    assert [utf16_len(p) for p in pieces] == [4, 4, 4, 4, 4]
    assert "".join(pieces) == "😀" * 10


def test_combining_marks_stay_with_their_letter():
    text = "e\u0301" * 6  # é as e + combining acute
    pieces = split_text(text, 3)
    assert not any(unicodedata.combining(p[0]) for p in pieces)
    assert "".join(pieces) == text


def test_pack_is_greedy_in_order():
    groups = pack([3, 3, 3, 5, 1, 9, 2], lambda g: sum(g) <= 9)
    assert groups == [[3, 3, 3], [5, 1], [9], [2]]


def test_a_unit_too_big_alone_gets_its_own_group():
    assert pack([2, 20, 2], lambda g: sum(g) <= 9) == [[2], [20], [2]]


def test_pack_texts_makes_few_messages_not_one_per_item():
    items = [f"item {i}: " + "words " * 20 for i in range(60)]
    messages = pack_texts(items, 4096, measure=utf16_len)
    assert len(messages) == 2
    assert all(utf16_len(m) <= 4096 for m in messages)
    assert "\n\n".join(messages) == "\n\n".join(items)


def test_pack_texts_splits_an_item_larger_than_a_message():
    big = "\n\n".join("paragraph " * 30 for _ in range(10))
    messages = pack_texts(["intro", big, "outro"], 1000)
    assert all(len(m) <= 1000 for m in messages)
    assert _words(messages) == ["intro", *big.split(), "outro"]
