"""The RSS 2.0 feed of the archive: the latest reports, newest first.

Each item has the report's title, its page as ``link`` and as a permalink ``guid``, ``pubDate``
from the time the report was generated (RFC 822, in the report's own offset) and the report's
overview (its front matter description, else its summary) as plain escaped text. ElementTree
writes the XML, so no title or description can break out of its element. The channel carries
an ``atom:link rel="self"`` as feed validators ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from core.store.archive import ReportSummary

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("atom", ATOM)


@dataclass(frozen=True, slots=True)
class FeedChannel:
    """What the feed says about itself; URLs are absolute."""

    title: str
    site_url: str  # the archive index, e.g. https://daily.example.org/reports/
    feed_url: str
    description: str
    language: str


def report_url(base: str, summary: ReportSummary) -> str:
    """The absolute URL of a report's page: ``{base}/reports/<YYYY-MM-DD>/``."""
    return f"{base.rstrip('/')}/reports/{summary.date.isoformat()}/"


def rss_feed(channel: FeedChannel, reports: Sequence[ReportSummary], base_url: str) -> bytes:
    """The feed document as UTF-8 bytes with an XML declaration."""
    rss = ET.Element("rss", {"version": "2.0"})
    head = ET.SubElement(rss, "channel")
    _text(head, "title", channel.title)
    _text(head, "link", channel.site_url)
    _text(head, "description", channel.description)
    _text(head, "language", channel.language)
    if reports:
        _text(head, "lastBuildDate", format_datetime(reports[0].generated_at))
    ET.SubElement(
        head, f"{{{ATOM}}}link", {"href": channel.feed_url, "rel": "self", "type": "application/rss+xml"}
    )
    for summary in reports:
        _item(head, summary, report_url(base_url, summary))
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _item(parent: ET.Element, summary: ReportSummary, url: str) -> None:
    item = ET.SubElement(parent, "item")
    _text(item, "title", summary.title or summary.date.isoformat())
    _text(item, "link", url)
    ET.SubElement(item, "guid", {"isPermaLink": "true"}).text = url
    _text(item, "pubDate", format_datetime(summary.generated_at))
    _text(item, "description", summary.description or summary.summary)


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = _xml_chars(text)


def _xml_chars(text: str) -> str:
    """``text`` without the control characters XML 1.0 cannot hold (ElementTree would write them)."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)
