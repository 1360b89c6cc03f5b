"""Drop articles we already have: same canonical URL, same arXiv id, or a near-identical title.

Pure and linear: every article is reduced to a few keys and looked up in sets, never compared
pair by pair. "Near-identical" means equal after ``core.text.match_key`` (case, width, dashes,
quotes and punctuation folded away), also after removing a trailing site name such as
" - TechCrunch" or " | The Guardian", so a syndicated copy matches the original.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.models import Article, SeenKeys
from core.text import has_cjk, match_key

# Keys this short ("update", "thisweek") name a column, not a story: never match on them.
_MIN_KEY = 10
_MIN_CJK_KEY = 5
_SITE_SEPARATORS = (" - ", " | ", " – ", " — ", " · ", " :: ", " ｜ ")
_MAX_SITE_WORDS = 4
_MAX_SITE_CHARS = 40
_SITE_CONNECTORS = frozenset({"the", "of", "and", "&", "on", "for", "de", "la"})
_NOTHING_SEEN = SeenKeys()


def dedupe(articles: Iterable[Article], seen: SeenKeys = _NOTHING_SEEN) -> list[Article]:
    """The articles matching nothing earlier in ``articles`` nor in ``seen``, in input order."""
    urls, arxiv_ids, titles = set(seen.urls), set(seen.arxiv_ids), set(seen.title_keys)
    kept = []
    for article in articles:
        keys = title_keys(article)
        if article.url in urls or article.arxiv_id in arxiv_ids or not titles.isdisjoint(keys):
            continue
        urls.add(article.url)
        if article.arxiv_id:
            arxiv_ids.add(article.arxiv_id)
        titles.update(keys)
        kept.append(article)
    return kept


def keys_of(articles: Iterable[Article]) -> tuple[set[str], set[str], set[str]]:
    """URLs, arXiv ids and title keys of ``articles``, to ask the store which it already has."""
    urls: set[str] = set()
    arxiv_ids: set[str] = set()
    titles: set[str] = set()
    for article in articles:
        urls.add(article.url)
        if article.arxiv_id:
            arxiv_ids.add(article.arxiv_id)
        titles.update(title_keys(article))
    return urls, arxiv_ids, titles


def title_keys(article: Article) -> tuple[str, ...]:
    """The title's matching keys: the whole title's, and without a trailing site name if it has one."""
    whole = article.title_key or match_key(article.title)
    stem = _without_site_name(article.title, article.source)
    keys = (whole, match_key(stem)) if stem else (whole,)
    return tuple(key for key in dict.fromkeys(keys) if _usable(key))


def _usable(key: str) -> bool:
    return len(key) >= _MIN_KEY or (len(key) >= _MIN_CJK_KEY and has_cjk(key))


def _without_site_name(title: str, source: str) -> str | None:
    """``title`` minus a trailing " - Site Name", or None when it does not end in one."""
    cut, separator = max((title.rfind(sep), sep) for sep in _SITE_SEPARATORS)
    if cut <= 0:
        return None
    suffix = title[cut + len(separator) :].strip()
    if match_key(suffix) == match_key(source) or _looks_like_site(suffix):
        return title[:cut]
    return None


def _looks_like_site(text: str) -> bool:
    """True for "TechCrunch", "The Guardian", "theverge.com", "量子位"; not "Part 2" or "what we know"."""
    words = text.split()
    if not 0 < len(words) <= _MAX_SITE_WORDS or len(text) > _MAX_SITE_CHARS:
        return False
    return all(_site_word(word) for word in words) and not any(c in text for c in "?!:,;")


def _site_word(word: str) -> bool:
    first = word[0]
    return first.isupper() or has_cjk(first) or "." in word[1:-1] or word.lower() in _SITE_CONNECTORS
