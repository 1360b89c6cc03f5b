"""Turn one feedparser entry into our ``Article``: plain text, canonical URL, UTC date.

Everything here is pure and cheap, because it runs once per entry (30,000 entries in a large
build). Feed content is untrusted: markup is removed with ``nh3`` (a Rust HTML5 sanitizer that
drops ``<script>`` and ``<style>`` with their content), and whatever text remains is data, never
instructions. Text that a feed declares ``text/plain`` is never read as markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import nh3

from core.models import Article, SourceConfig
from core.text import match_key, shorten

# Query parameters that only say where a click came from; they never change the page.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
        "mc_cid", "mc_eid", "ref_src", "ref_url", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "wickedid", "cmpid", "guccounter", "guce_referrer", "guce_referrer_sig",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ABSOLUTE = ("http://", "https://")
_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
_ARXIV_PATH = re.compile(r"/(?:abs|pdf|html)/(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?/?$")
# An id in a URL ("arxiv.org/pdf/2512.01034v2"), a citation ("arXiv:2512.01034") or an OAI guid
# ("oai:arXiv.org:2512.01034v1"). The "arxiv" anchor keeps ids out of unrelated numbers.
_ARXIV_IN_TEXT = re.compile(
    r"arxiv(?:\.org)?(?:/(?:abs|pdf|html)/|:)\s*(\d{4}\.\d{4,5})(?:v\d+)?(?!\d)", re.IGNORECASE
)
_BARE_ARXIV_ID = re.compile(r"\s*(\d{4}\.\d{4,5})(?:v\d+)?\s*")
# "arXiv:2512.01034v1 Announce Type: new \nAbstract: ..." opens every arXiv RSS description.
_ARXIV_BOILERPLATE = re.compile(r"\s*arXiv:\S+\s+Announce Type:\s*([\w-]+)\s*(?:Abstract:)?\s*", re.I)
_REVISIONS = frozenset({"replace", "replace-cross"})

# Block-level tags become a space so "<p>a</p><p>b</p>" reads "a b", not "ab".
_BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|pre|dd|dt|hr|figcaption)"
    r"[\s/>])",
    re.I,
)
_LINE_BREAK = re.compile(r"<(?=br[\s/>])", re.I)  # a line break inside a block: a space
# A block that is nothing but one short link ("<p><a href=…>More AI coverage</a></p>", "Read
# more", "Continue reading") is the site's navigation, not the article: its words would become
# a sentence, an entity ("More AI") or a tag. A link inside a sentence stays.
_LINK_ONLY_BLOCK = re.compile(
    r"<(p|li|div|h[1-6])\b[^>]*>\s*(?:<(?:strong|em|b|i|span)\b[^>]*>\s*)*"
    r"<a\b[^>]*>[^<]{0,80}</a>\s*(?:</(?:strong|em|b|i|span)>\s*)*</\1\s*>",
    re.I,
)
# HTML5 tree building is quadratic in nesting depth (30 s for 100,000 nested <div>), so a hostile
# feed could stall a build. A summary needs only the opening text: cap characters and tags.
_MAX_HTML_CHARS = 20_000
_MAX_TAGS = 1_000
_MAX_TITLE_CHARS = 300
_MAX_SUMMARY_CHARS = 4_000
_CLOCK_SKEW = timedelta(days=1)
_ACTIVE_TAG = re.compile(r"<\s*(?:script|style|iframe|object|embed)\b", re.IGNORECASE)
# Where blocks end: the element boundaries marked above and blank lines of plain text.
_PARAGRAPH = "\u2029"
_HTML_BREAK = re.compile("\u2029")  # in HTML, blank lines are only whitespace
_TEXT_BREAK = re.compile(r"\u2029|\n[ \t]*\n")
_ENDED = re.compile(r"[.!?。！？…:;：；,，、\-–—]\W*$|[\"'”’)\]」』》]$")
_CJK_END = re.compile(r"[\u3000-\u9fff\uff00-\uffef]$")
_MARKUP_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})


def canonical_url(url: str, base: str | None = None) -> str | None:
    """The absolute http(s) URL that identifies a page, or None when ``url`` is not one."""
    url = (url or "").strip()
    if not url:
        return None
    try:
        parts = urlsplit(urljoin(base, url) if base and not url.startswith(_ABSOLUTE) else url)
        port = parts.port
    except ValueError:  # a malformed port or IPv6 literal
        return None
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if host in _ARXIV_HOSTS and (found := _ARXIV_PATH.match(parts.path)):
        return f"https://arxiv.org/abs/{found.group(1)}"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    return urlunsplit((scheme, netloc, path, _without_tracking(parts.query), ""))


def _without_tracking(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        name = pair.partition("=")[0].lower()
        if pair and not name.startswith("utm_") and name not in _TRACKING_PARAMS:
            kept.append(pair)
    return quote("&".join(kept), safe="/%:@!$&'()*+,;=-._~?")


def arxiv_id(text: str) -> str | None:
    """The new-style arXiv id in a URL, "arXiv:ID" citation or bare id, without its version."""
    if not text:
        return None
    found = _ARXIV_IN_TEXT.search(text) or _BARE_ARXIV_ID.fullmatch(text)
    return found.group(1) if found else None


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags gone, script/style content gone, entities decoded.

    Only the opening of a long fragment is read (see ``_bounded``): enough for a summary.
    """
    html = _bounded(html)
    if "<" not in html:
        return _paragraphs(unescape(html) if "&" in html else html, _HTML_BREAK)
    html = _LINK_ONLY_BLOCK.sub(" ", html)
    marked = _LINE_BREAK.sub(" <", _BLOCK_TAG.sub(f"{_PARAGRAPH} <", html))
    cleaned = nh3.clean(marked, tags=set(), strip_comments=True)
    return _paragraphs(unescape(cleaned), _HTML_BREAK)  # nh3 escapes the text it keeps: undo that once


def _bounded(html: str) -> str:
    html = html[:_MAX_HTML_CHARS]
    if html.count("<") <= _MAX_TAGS:
        return html
    cut = -1
    for _ in range(_MAX_TAGS + 1):
        cut = html.find("<", cut + 1)
    return html[:cut]


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _paragraphs(text: str, breaks: re.Pattern[str] | None = None) -> str:
    """Blocks (HTML elements, blank-line paragraphs) joined into one line of sentences.

    A block that ends without an end mark (a standfirst "<p>Firm says its model beats rivals</p>",
    a heading) gets one, so it does not run into the next block's first sentence.
    """
    out = ""
    for block in (breaks or _TEXT_BREAK).split(text):
        block = _collapse(block)
        if not block:
            continue
        if out and not _ENDED.search(out):
            out += "。" if _CJK_END.search(out) else "."
        out = f"{out}{'' if _CJK_END.search(out) or not out else ' '}{block}"
    return out


def normalize_entry(
    entry: Mapping[str, Any], source: SourceConfig, fetched_at: datetime, feed_link: str | None
) -> Article | None:
    """One feedparser entry as an ``Article``; None for entries we do not keep.

    Dropped: entries with no http(s) URL, with neither title nor summary, and arXiv
    revisions ("replace", "replace-cross"), which are not new papers. ``feed_link`` is the URL
    relative links resolve against (the feed's own URL). A missing date becomes ``fetched_at``
    with ``dated=False``; so does a date more than a day in the future (a broken feed clock).
    """
    entry = dict(entry)  # feedparser's dict resolves aliases on every lookup; a plain copy does not
    guid = entry.get("id") or None
    url = _entry_url(entry, guid, feed_link)
    raw, detail = _raw_summary(entry)
    boilerplate = _ARXIV_BOILERPLATE.match(raw)
    if url is None or _announce_type(entry, boilerplate) in _REVISIONS:
        return None
    summary = _summary(raw, detail, boilerplate)
    title = _title(entry) or shorten(summary, 120)
    if not title:
        return None
    fetched_at = fetched_at.astimezone(UTC)
    published, dated = _published(entry, fetched_at)
    paper_id = arxiv_id(url) or (arxiv_id(guid) if guid else None)
    return Article(
        source=source.name, source_kind=source.kind, url=url, title=title, summary=summary,
        published=published, fetched_at=fetched_at, language=source.language, guid=guid,
        arxiv_id=paper_id, authors=_authors(entry, split_commas=paper_id is not None),
        title_key=match_key(title), source_weight=source.weight, dated=dated,
    )  # fmt: skip


def _entry_url(entry: Mapping[str, Any], guid: str | None, base: str | None) -> str | None:
    link = entry.get("link")
    url = canonical_url(link, base) if link else None
    if url is None and guid and guid.startswith(_ABSOLUTE):
        url = canonical_url(guid)
    return url


def _raw_summary(entry: Mapping[str, Any]) -> tuple[str, Mapping[str, Any] | None]:
    """The entry's fullest text and its detail (type): the summary or a content block.

    Publishers put an excerpt in RSS ``description`` and the article in ``content:encoded``
    (Atom: ``summary`` and ``content``); the excerpt alone leaves the writer the lead and
    nothing of what follows, so the longer text wins.
    """
    texts = [(entry["summary"], entry.get("summary_detail"))] if entry.get("summary") else []
    texts += [(c["value"], c) for c in entry.get("content") or () if c.get("value")]
    return max(texts, key=lambda text: len(text[0]), default=("", None))


def _announce_type(entry: Mapping[str, Any], boilerplate: re.Match[str] | None) -> str:
    declared = entry.get("arxiv_announce_type") or (boilerplate.group(1) if boilerplate else "")
    return declared.strip().lower()


def _summary(text: str, detail: Mapping[str, Any] | None, boilerplate: re.Match[str] | None) -> str:
    if boilerplate:
        # arXiv abstracts are plain text full of "$k<n$": reading them as HTML would eat the math.
        return _text_of(text[boilerplate.end() :], {"type": "text/plain"}, _MAX_SUMMARY_CHARS)
    return _text_of(text, detail, _MAX_SUMMARY_CHARS)


def _title(entry: Mapping[str, Any]) -> str:
    value, detail = entry.get("title") or "", entry.get("title_detail")
    if _ACTIVE_TAG.search(value):
        # RSS gives no type for titles and feedparser guesses "text/plain" whenever a tag is
        # outside its HTML allow-list, which is exactly the hostile case; a one-line headline
        # travels to every channel, so markup that runs or hides is stripped whatever the type.
        detail = {"type": "text/html"}
    return _text_of(value, detail, _MAX_TITLE_CHARS)


def _text_of(value: str, detail: Mapping[str, Any] | None, limit: int) -> str:
    kind = (detail or {}).get("type") or "text/html"
    text = html_to_text(value) if kind in _MARKUP_TYPES else _paragraphs(value[:_MAX_HTML_CHARS])
    return shorten(text, limit) if len(text) > limit else text


def _published(entry: Mapping[str, Any], fetched_at: datetime) -> tuple[datetime, bool]:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if not parsed:
            continue
        try:
            when = datetime(*parsed[:6], tzinfo=UTC)
        except (TypeError, ValueError):  # a date feedparser half-understood, e.g. year 0
            continue
        if when > fetched_at + _CLOCK_SKEW:
            return fetched_at, False
        return when, True
    return fetched_at, False


def _authors(entry: Mapping[str, Any], *, split_commas: bool) -> tuple[str, ...]:
    names = [a.get("name") or "" for a in entry.get("authors") or ()] or [entry.get("author") or ""]
    if split_commas:  # arXiv puts every author of a paper in one dc:creator, comma separated
        names = [part for name in names for part in name.split(",")]
    cleaned = (_collapse(name) for name in names)
    return tuple(dict.fromkeys(name for name in cleaned if name))
