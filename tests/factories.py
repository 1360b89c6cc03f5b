"""Literal test values with sensible defaults: build an ``Article`` from a title in one line.

Every default is fixed (no clock, no randomness), so tests that build the same article twice get
equal values. URLs are derived from the source and the title unless given.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from core.models import Article, SourceKind, Topic
from core.report.editing.cluster import topic_key
from core.text import has_cjk, match_key

#: The moment test articles are published (and fetched) unless told otherwise.
NOON = datetime(2025, 12, 11, 12, 0, tzinfo=UTC)

_HOSTS = {
    "TechCrunch": "techcrunch.com",
    "The Guardian": "www.theguardian.com",
    "AI Business": "aibusiness.com",
    "The Verge": "www.theverge.com",
    "VentureBeat": "venturebeat.com",
    "Reuters": "www.reuters.com",
    "量子位": "www.qbitai.com",
    "arXiv cs.LG": "arxiv.org",
}


def slug(text: str) -> str:
    """A URL path segment for ``text``: its first ASCII words and a short hash of the whole."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return "-".join([*words[:10], digest])


def article(
    title: str,
    summary: str = "",
    *,
    source: str = "TechCrunch",
    url: str | None = None,
    kind: SourceKind = SourceKind.NEWS,
    weight: float = 1.0,
    minutes: int = 0,
    language: str | None = None,
    arxiv_id: str | None = None,
) -> Article:
    """One article; ``minutes`` shifts its publication time from ``NOON``."""
    host = _HOSTS.get(source, re.sub(r"[^a-z0-9]+", "", source.lower()) + ".example.org")
    published = NOON + timedelta(minutes=minutes)
    return Article(
        source=source,
        source_kind=kind,
        url=url or f"https://{host}/2025/12/11/{slug(title)}",
        title=title,
        summary=summary,
        published=published,
        fetched_at=published,
        language=language or ("zh" if has_cjk(title) else "en"),
        arxiv_id=arxiv_id,
        title_key=match_key(title),
        source_weight=weight,
    )


def paper(title: str, abstract: str, arxiv_id: str, *, minutes: int = 0) -> Article:
    """An arXiv paper as the arXiv feeds deliver it."""
    return article(
        title,
        abstract,
        source="arXiv cs.LG",
        url=f"https://arxiv.org/abs/{arxiv_id}",
        kind=SourceKind.PAPER,
        weight=0.8,
        minutes=minutes,
        arxiv_id=arxiv_id,
    )


def topic(*articles: Article, key: str | None = None, terms: tuple[str, ...] = ()) -> Topic:
    """A topic of the given articles, lead first, keyed as the clusterer keys it (by URLs)."""
    return Topic(key=key or topic_key(a.url for a in articles), articles=articles, terms=terms)
