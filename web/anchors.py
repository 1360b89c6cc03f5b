"""Anchors of report items on archive pages (``/reports/D/#item-…``), computed from the title alone.

A report page gives each ``### title`` heading this id (``web.markdown_html``), and search
results link to it from a stored item's title. Both sides fold the title with
``core.text.match_key`` first, so the backslash escapes and entities the Markdown renderer put
into the heading, case, width and punctuation fall away and the page's heading and the stored
title meet. A hash keeps the id short and ASCII whatever the title holds (CJK, markup, a
paragraph): it is safe in an attribute and in a URL fragment without escaping.
"""

from __future__ import annotations

import hashlib

from core.text import match_key

PREFIX = "item-"


def item_anchor(title: str) -> str:
    """The id of the heading of the item titled ``title``."""
    return PREFIX + hashlib.sha256(match_key(title).encode("utf-8")).hexdigest()[:12]
