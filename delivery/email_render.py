"""The newsletter email of a report: MJML compiled once per report, personalised by placeholders.

``EmailRenderer.for_subscription(report, subscription)`` returns a :class:`CompiledEmail`: the
subject, the HTML (``templates/email/report.mjml`` compiled by mjml-python) and the plain text
(``templates/email/report.txt``), both holding placeholders for what differs per recipient (the
unsubscribe and preferences links, the address). ``compiled.personalize(values)`` fills them in
with one pass of a regular expression: a value is never read as a placeholder itself, and it is
HTML-escaped in the HTML part.

**Compiled once.** What a subscription may change is its language (the fixed words) and its
sections; each distinct (language, sections) is a *variant*, compiled once per report and kept,
so ten thousand subscribers with the default choices cost one MJML compilation, and the number
of compilations never grows with the number of recipients. The placeholders carry a random
nonce drawn for each compilation, so no feed text can spell one.

**Untrusted text.** Every piece of feed text is cleaned (control characters dropped) and passed
through ``html.escape`` before it enters the MJML; only absolute http(s) URLs become links
(``core.report.rendering.markdown.link_target``), others print as text. The HTML is kept small (Gmail clips
a message over ~102 KB): one MJML section per report section, items as plain paragraphs with
short inline styles; an item shows its title, summary, importance (and why) and its sources;
details and use cases stay in the web archive. With ``votes=True`` each item ends with a link,
"👍 / 👎", to the recipient's ``feedback_url`` (``core.links.Links.feedback``)
with the item's key: the page it opens records the vote.

**Dark mode.** ``color-scheme`` metas, a ``prefers-color-scheme: dark`` block (Apple Mail, iOS)
and Outlook.com's ``[data-ogsc]`` overrides; light colours are also chosen so that the forced
inversion of Gmail's apps keeps them readable.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.models import (
    INSIGHT_SECTION,
    READING_SECTION,
    Importance,
    Insight,
    Item,
    Reading,
    Report,
    VoteValue,
)
from core.models import Section as ReportSection
from core.platforms.votes import EMOJI, votable
from core.report.rendering.labels import Labels, labels_for
from core.report.rendering.markdown import link_target
from core.report.writing.items import clean_text
from delivery.email_mime import MimeTemplate

# A wheel carries the templates as delivery/templates (pyproject's package-dir); a source
# checkout keeps them in the top-level templates/ folder.
_PACKAGED = Path(__file__).resolve().parent / "templates"
_CHECKOUT = Path(__file__).resolve().parent.parent / "templates"
TEMPLATES = (_PACKAGED if _PACKAGED.is_dir() else _CHECKOUT) / "email"
#: What ``personalize`` fills in, per recipient.
PLACEHOLDERS = ("unsubscribe_url", "preferences_url", "address", "feedback_url")
MUTED = "#57606a"
_VOTE_ICONS = f"{EMOJI[VoteValue.UP]} / {EMOJI[VoteValue.DOWN]}"
_IMPORTANCE_COLOR = {
    Importance.CRITICAL: "#c5221f",
    Importance.HIGH: "#c5221f",
    Importance.MEDIUM_HIGH: "#b06000",
}

#: Fixed words of the email beside the shared report labels (``core.report.rendering.labels``).
WORDS: dict[str, dict[str, str]] = {
    "zh-TW": {
        "brand": "AI 日報",
        "counts": "{items} 則新聞，{sections} 個分類",
        "contents": "目錄",
        "archive": "在網頁上閱讀",
        "preferences": "訂閱偏好",
        "unsubscribe": "取消訂閱",
        "why": "您收到這封信，是因為 {address} 訂閱了 AI 日報。",
        "top": "回到目錄",
        "votes": "這則有幫助嗎？",
    },
    "en": {
        "brand": "AI Daily",
        "counts": "{items} items in {sections} sections",
        "contents": "Contents",
        "archive": "Read it on the web",
        "preferences": "Preferences",
        "unsubscribe": "Unsubscribe",
        "why": "You receive this because {address} subscribed to AI Daily.",
        "top": "Back to contents",
        "votes": "Was this useful?",
    },
}

CompileMjml = Callable[[str], str]


def mjml_to_html(source: str) -> str:
    """MJML -> HTML with mjml-python, without Google Fonts links (``fonts={}``)."""
    from mjml import mjml2html  # mjml-python (the Rust MRML wrapper), not the pure-Python `mjml`

    return mjml2html(source, disable_comments=True, fonts={})


@dataclass(frozen=True, slots=True)
class CompiledEmail:
    """One variant of a report's email, shared by every recipient of that variant."""

    subject: str
    html: str  # placeholders inside
    text: str  # placeholders inside
    nonce: str
    language: str
    sections: tuple[str, ...]
    mime: MimeTemplate  # the same, encoded once for the wire (``delivery.email_mime``)
    report_date: date | None = None  # the day its vote links name (``Links.feedback``)

    def placeholder(self, name: str) -> str:
        return _placeholder(self.nonce, name)

    def personalize(self, values: Mapping[str, str]) -> tuple[str, str]:
        """(html, text) with every placeholder replaced by ``values[name]``, in one pass each."""
        pattern = _pattern(self.nonce)
        escaped = {name: html.escape(value, quote=True) for name, value in values.items()}
        html_out = pattern.sub(lambda m: escaped[m.group(1)], self.html)
        text_out = pattern.sub(lambda m: values[m.group(1)], self.text)
        return html_out, text_out

    def message_bytes(self, headers: Mapping[str, str], values: Mapping[str, str]) -> bytes:
        """The whole ``multipart/alternative`` message for one recipient, ready for SMTP."""
        return self.mime.render(headers, values)


def _pattern(nonce: str) -> re.Pattern[str]:
    return re.compile(re.escape(f"@@{nonce}:") + r"([a-z_]+)@@")


def _placeholder(nonce: str, name: str) -> str:
    return f"@@{nonce}:{name}@@"


class EmailRenderer:
    """Compiles each (report, language, sections) variant once; ``compilations`` counts them."""

    def __init__(
        self,
        *,
        archive_url: Callable[[Report], str | None] | None = None,
        compile_mjml: CompileMjml = mjml_to_html,
        votes: bool = False,
    ) -> None:
        self._archive_url = archive_url or (lambda report: None)
        self._compile = compile_mjml
        self._votes = votes  # 👍 / 👎 links under each item (the web app records them)
        self._cache: dict[tuple[object, ...], CompiledEmail] = {}
        self.compilations = 0

    def for_subscription(
        self, report: Report, sections: Sequence[str], language: str | None
    ) -> CompiledEmail:
        """The variant for a subscription's ``sections`` (empty: all) and ``language``."""
        labels = labels_for(language or report.language)
        wanted = tuple(s for s in _all_keys(report) if not sections or s in sections)
        key = (report.date, report.generated_at, report.title, labels.language, wanted)
        if key not in self._cache:
            if len(self._cache) > 32:  # a long-running service renders day after day
                self._cache.clear()
            self._cache[key] = self._build(report, labels, wanted)
            self.compilations += 1
        return self._cache[key]

    def _build(self, report: Report, labels: Labels, wanted: tuple[str, ...]) -> CompiledEmail:
        nonce = secrets.token_hex(8)
        parts = _Parts(report, labels, wanted, self._archive_url(report), nonce, votes=self._votes)
        compiled, text, subject = self._compile(parts.mjml()), parts.text(), parts.subject()
        return CompiledEmail(
            subject=subject,
            html=compiled,
            text=text,
            nonce=nonce,
            language=labels.language,
            sections=wanted,
            mime=MimeTemplate(text, compiled, _pattern(nonce), subject),
            report_date=report.date,
        )


def _all_keys(report: Report) -> tuple[str, ...]:
    return (*(s.key for s in report.sections), INSIGHT_SECTION.key, READING_SECTION.key)


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _e(text: str) -> str:
    """Feed text as HTML text: cleaned, then escaped (quotes too, so it is safe in attributes)."""
    return html.escape(clean_text(text), quote=True)


def _words(labels: Labels) -> dict[str, str]:
    return WORDS.get(labels.language, WORDS["en"])


def _local(report: Report) -> datetime:
    try:
        return report.generated_at.astimezone(ZoneInfo(report.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return report.generated_at


class _Parts:
    """The pieces of one variant, as MJML/HTML fragments and as plain text."""

    def __init__(
        self,
        report: Report,
        labels: Labels,
        wanted: tuple[str, ...],
        archive: str | None,
        nonce: str,
        *,
        votes: bool = False,
    ) -> None:
        self.votes = votes
        self.report = report
        self.labels = labels
        self.words = _words(labels)
        self.archive = link_target(archive) if archive else None
        self.nonce = nonce
        self.item_sections = [s for s in report.sections if (s.items or s.more) and s.key in wanted]
        self.insight = INSIGHT_SECTION.key in wanted and _has_insight(report.insight)
        self.reading = READING_SECTION.key in wanted and _has_reading(report.reading)

    def ph(self, name: str) -> str:
        return _placeholder(self.nonce, name)

    def subject(self) -> str:
        return clean_text(self.report.title)[:200] or f"{self.words['brand']} {self.report.date.isoformat()}"

    def counts(self) -> str:
        items = sum(len(s.items) for s in self.item_sections)
        return self.words["counts"].format(items=items, sections=len(self.item_sections))

    def stats(self) -> str:
        return self.labels.footer_counts.format(
            articles=self.report.articles_count, topics=self.report.topics_count
        )

    def toc_entries(self) -> list[tuple[str, str, int]]:
        """(anchor, heading, item count) for each section shown."""
        entries = [
            (s.key, self.labels.sections.get(s.key, s.heading), len(s.items)) for s in self.item_sections
        ]
        if self.insight:
            entries.append((INSIGHT_SECTION.key, self.labels.insight_heading, 0))
        if self.reading:
            entries.append((READING_SECTION.key, self.labels.reading_heading, 0))
        return entries

    # --- HTML ---------------------------------------------------------------------------------

    def mjml(self) -> str:
        title = _e(self.subject())
        return _template("report.mjml").substitute(
            lang=html.escape(self.labels.language, quote=True),
            title=title,
            preview=_e(clean_text(self.report.description or self.report.summary or self.subject())[:150]),
            header=self.header_html(),
            toc=self.toc_html(),
            sections="\n".join(self.section_blocks()),
            footer=self.footer_html(),
        )

    def header_html(self) -> str:
        brand = f"{_e(self.words['brand'])} · {self.report.date.isoformat()}"
        lines = [
            f'<p style="margin:0;font-size:13px;color:{MUTED}">{brand}</p>',
            f'<h1 style="margin:4px 0 8px;font-size:24px;line-height:1.3">{_e(self.subject())}</h1>',
            f'<p style="margin:0;font-size:13px;color:{MUTED}">{_e(self.counts())} · {_e(self.stats())}</p>',
        ]
        intro = clean_text(self.report.summary or self.report.description)
        if intro:
            lines.append(f'<p style="margin:10px 0 0">{_e(intro)}</p>')
        if self.archive:
            lines.append(f'<p style="margin:10px 0 0">{self._a(self.archive, _e(self.words["archive"]))}</p>')
        return "".join(lines)

    def toc_html(self) -> str:
        rows = []
        for anchor, heading, count in self.toc_entries():
            suffix = f" ({count})" if count else ""
            rows.append(f'<li><a href="#{anchor}">{_e(heading)}</a>{suffix}</li>')
        heading = f'<h2 id="toc" style="margin:0 0 6px;font-size:18px">{_e(self.words["contents"])}</h2>'
        return heading + f'<ol style="margin:0;padding-left:22px">{"".join(rows)}</ol>'

    def section_blocks(self) -> list[str]:
        blocks = [
            self._section(s.key, self.labels.sections.get(s.key, s.heading), self._items(s))
            for s in self.item_sections
        ]
        if self.insight:
            blocks.append(self._section(INSIGHT_SECTION.key, self.labels.insight_heading, self._insight()))
        if self.reading:
            blocks.append(self._section(READING_SECTION.key, self.labels.reading_heading, self._reading()))
        return blocks

    def _section(self, anchor: str, heading: str, body: str) -> str:
        top = '<p style="margin:12px 0 0;font-size:12px"><a href="#toc">'
        top += f"↑ {_e(self.words['top'])}</a></p>"
        h2 = (
            f'<h2 id="{anchor}" style="margin:8px 0 4px;font-size:20px;line-height:1.35">'
            f'<a name="{anchor}"></a>{_e(heading)}</h2>'
        )
        return (
            '    <mj-section css-class="ad-sec"><mj-column>'
            f"<mj-text>{h2}{body}{top}</mj-text></mj-column></mj-section>"
        )

    def _items(self, section: ReportSection) -> str:
        return "".join(self._item(n, item) for n, item in enumerate(section.items, 1)) + self._briefs(section)

    def _briefs(self, section: ReportSection) -> str:
        if not section.more:
            return ""
        entries = [
            self._source(b.title, b.url)
            + (f"{_e(self.labels.colon)}{_e(b.line)}" if clean_text(b.line) else "")
            for b in section.more
        ]
        return self._h3(self.labels.more_stories.format(count=len(section.more))) + self._ul(entries)

    def _item(self, number: int, item: Item) -> str:
        labels = self.labels
        importance = f"{_e(labels.importance)}{_e(labels.colon)}{_e(labels.importance_name(item.importance))}"
        color = _IMPORTANCE_COLOR.get(item.importance)
        style = f' class="ad-imp" style="color:{color}"' if color else ""
        meta = f"<b{style}>{importance}</b>"
        if clean_text(item.importance_reason):
            meta += f" — {_e(item.importance_reason)}"
        sources = " · ".join(self._source(s.name, s.url) for s in item.sources)
        meta += f"<br>{_e(labels.sources)}{_e(labels.colon)}{sources or _e(labels.empty_part)}"
        if item.follow_up:
            note = labels.follow_up_text.format(
                date=item.follow_up.date.isoformat(), title=item.follow_up.title
            )
            meta += f"<br>{_e(labels.follow_up)}{_e(labels.colon)}{_e(note)}"
        meta += self._votes_html(item)
        return (
            f'<h3 style="margin:18px 0 4px;font-size:17px">{number}. {_e(item.title)}</h3>'
            f'<p style="margin:0 0 6px">{_e(item.summary)}</p>'
            f'<p class="ad-muted" style="margin:0;font-size:13px;color:{MUTED}">{meta}</p>'
        )

    def _vote_url(self, item: Item) -> str:
        """The item's vote page: the recipient's ``feedback_url`` with the item's key."""
        return f"{self.ph('feedback_url')}&item={item.topic_key}"

    def _votes_html(self, item: Item) -> str:
        # One link per item, to a page with both buttons: a link in mail must not vote by
        # itself (scanners open them), and two full links an item would push a big day's
        # newsletter past Gmail's clipping size.
        if not (self.votes and votable(item)):
            return ""
        return "<br>" + self._a(self._vote_url(item), _VOTE_ICONS)

    def _votes_text(self, item: Item) -> list[str]:
        if not (self.votes and votable(item)):
            return []
        return [f"  {_VOTE_ICONS} {self.words['votes']} {self._vote_url(item)}"]

    def _insight(self) -> str:
        insight, out = self.report.insight, []
        for label, paragraphs in (
            (self.labels.trends, insight.trends),
            (self.labels.context, insight.context),
            (self.labels.outlook, insight.outlook),
        ):
            texts = [t for t in paragraphs if clean_text(t)]
            if texts:
                out.append(self._h3(label) + "".join(f'<p style="margin:0 0 8px">{_e(t)}</p>' for t in texts))
        watch = [w for w in insight.watchlist if clean_text(w)]
        if watch:
            out.append(self._h3(self.labels.watchlist) + self._ul(_e(w) for w in watch))
        return "".join(out)

    def _reading(self) -> str:
        reading, out = self.report.reading, []
        articles = [
            self._source(r.title, r.url) + (f" — {_e(r.note)}" if clean_text(r.note) else "")
            for r in reading.articles
            if clean_text(r.title) or link_target(r.url)
        ]
        if articles:
            out.append(self._h3(self.labels.reading_articles) + self._ul(articles))
        background = [
            f"<b>{_e(t)}</b>{_e(self.labels.colon)}{_e(x)}" for t, x in reading.background if clean_text(t)
        ]
        if background:
            out.append(self._h3(self.labels.reading_background) + self._ul(background))
        keywords = [_e(k) for k in reading.keywords if clean_text(k)]
        if keywords:
            out.append(
                self._h3(self.labels.reading_keywords)
                + f"<p>{_e(self.labels.list_separator).join(keywords)}</p>"
            )
        return "".join(out)

    def _h3(self, text: str) -> str:
        return f'<h3 style="margin:14px 0 4px;font-size:16px">{_e(text)}</h3>'

    def _ul(self, entries: Iterable[str]) -> str:
        rows = "".join(f"<li>{entry}</li>" for entry in entries)
        return f'<ul style="margin:0 0 6px;padding-left:20px">{rows}</ul>'

    def _source(self, name: str, url: str) -> str:
        target = link_target(url)
        label = _e(name) or (_e(url) if not target else "link")
        return self._a(target, label) if target else label

    def _a(self, target: str, label_html: str) -> str:
        # The link colour comes from the head's ``a`` rule: inline on 150 links it costs 3 KB.
        return f'<a href="{html.escape(target, quote=True)}">{label_html}</a>'

    def footer_html(self) -> str:
        words, links = self.words, []
        if self.archive:
            links.append(self._a(self.archive, _e(words["archive"])))
        links.append(self._a(self.ph("preferences_url"), _e(words["preferences"])))
        links.append(self._a(self.ph("unsubscribe_url"), _e(words["unsubscribe"])))
        local = _local(self.report)
        hours = round((self.report.window_end - self.report.window_start).total_seconds() / 3600)
        stamp = f"{local:%Y/%m/%d %H:%M} {local.tzname() or ''}".rstrip()
        times = self.labels.footer_times.format(hours=hours, time=stamp)
        why = html.escape(words["why"]).replace("{address}", self.ph("address"))
        return (
            f'<p style="margin:0 0 6px">{" · ".join(links)}</p>'
            f'<p style="margin:0 0 6px">{_e(self.stats())}<br>{_e(times)}</p>'
            f'<p style="margin:0">{why}</p>'
        )

    # --- plain text -----------------------------------------------------------------------------

    def text(self) -> str:
        archive = f"{self.words['archive']}: {self.archive}" if self.archive else ""
        toc = [f"{self.words['contents']}:"]
        toc += [f"  {n}. {clean_text(h)}" for n, (_, h, _c) in enumerate(self.toc_entries(), 1)]
        return _template("report.txt").substitute(
            title=self.subject(),
            date=self.report.date.isoformat(),
            counts=self.counts(),
            stats=self.stats(),
            archive=archive,
            toc="\n".join(toc),
            sections="\n\n".join(self._text_sections()),
            footer=self._text_footer(),
        )

    def _text_sections(self) -> list[str]:
        out = []
        for section in self.item_sections:
            heading = clean_text(self.labels.sections.get(section.key, section.heading))
            items = [self._text_item(n, item) for n, item in enumerate(section.items, 1)]
            items += [self._text_briefs(section)] if section.more else []
            out.append(_underlined(heading) + "\n\n" + "\n\n".join(items))
        if self.insight:
            out.append(_underlined(self.labels.insight_heading) + "\n\n" + self._text_insight())
        if self.reading:
            out.append(_underlined(self.labels.reading_heading) + "\n\n" + self._text_reading())
        return out

    def _text_item(self, number: int, item: Item) -> str:
        labels = self.labels
        importance = labels.importance_name(item.importance)
        reason = clean_text(item.importance_reason)
        lines = [f"{number}. {clean_text(item.title)}", clean_text(item.summary)]
        lines.append(f"{labels.importance}{labels.colon}{importance}" + (f" — {reason}" if reason else ""))
        for source in item.sources:
            target = link_target(source.url)
            lines.append(f"  - {clean_text(source.name)}" + (f": {target}" if target else ""))
        lines += self._votes_text(item)
        return "\n".join(line for line in lines if line)

    def _text_briefs(self, section: ReportSection) -> str:
        lines = [self.labels.more_stories.format(count=len(section.more))]
        for brief in section.more:
            target = link_target(brief.url)
            line = f"{self.labels.colon}{clean_text(brief.line)}" if clean_text(brief.line) else ""
            lines.append(f"  - {clean_text(brief.title)}{line}" + (f" <{target}>" if target else ""))
        return "\n".join(lines)

    def _text_insight(self) -> str:
        insight, parts = self.report.insight, []
        for label, texts in (
            (self.labels.trends, insight.trends),
            (self.labels.context, insight.context),
            (self.labels.outlook, insight.outlook),
        ):
            kept = [clean_text(t) for t in texts if clean_text(t)]
            if kept:
                parts.append(f"{label}\n" + "\n".join(kept))
        watch = [f"  - {clean_text(w)}" for w in insight.watchlist if clean_text(w)]
        if watch:
            parts.append(f"{self.labels.watchlist}\n" + "\n".join(watch))
        return "\n\n".join(parts)

    def _text_reading(self) -> str:
        reading, parts = self.report.reading, []
        articles = []
        for r in reading.articles:
            target = link_target(r.url)
            articles.append(f"  - {clean_text(r.title)}" + (f": {target}" if target else ""))
        if articles:
            parts.append(f"{self.labels.reading_articles}\n" + "\n".join(articles))
        background = [f"  - {clean_text(t)}{self.labels.colon}{clean_text(x)}" for t, x in reading.background]
        if background:
            parts.append(f"{self.labels.reading_background}\n" + "\n".join(background))
        keywords = self.labels.list_separator.join(clean_text(k) for k in reading.keywords if clean_text(k))
        if keywords:
            parts.append(f"{self.labels.reading_keywords}\n{keywords}")
        return "\n\n".join(parts)

    def _text_footer(self) -> str:
        words = self.words
        lines = [
            f"{words['preferences']}: {self.ph('preferences_url')}",
            f"{words['unsubscribe']}: {self.ph('unsubscribe_url')}",
            words["why"].replace("{address}", self.ph("address")),
        ]
        return "\n".join(lines)


def _underlined(heading: str) -> str:
    heading = clean_text(heading)
    return f"{heading}\n{'=' * min(len(heading) * 2, 60)}"


def _has_insight(insight: Insight) -> bool:
    return any(
        clean_text(t) for t in (*insight.trends, *insight.context, *insight.outlook, *insight.watchlist)
    )


def _has_reading(reading: Reading) -> bool:
    return bool(reading.articles or reading.background or any(clean_text(k) for k in reading.keywords))
