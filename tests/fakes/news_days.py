"""RSS feeds holding a few distinct AI stories for each of several consecutive report days.

For the service tests: every day's stories are dated inside that day's report window (the hours
before its build time), so a report built for each day has news of its own. Each story is told
by two outlets, so clustering has a story to find; the feeds are served by ``FeedServer``::

    feeds = news_days(first_day, days=5, zone=ZoneInfo("Asia/Taipei"), build_time=time(6, 40))
    for path, body in feeds.items():
        server.route(path, body, headers={"Content-Type": "application/rss+xml"})
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

OUTLETS = ("alpha-ai-news", "beta-tech-daily")
COMPANIES = ("OpenAI", "Anthropic", "Google DeepMind", "Meta", "Nvidia", "Mistral", "Cohere", "Alibaba")
PRODUCTS = ("reasoning model", "coding agent", "open-weight model", "speech model", "vision model")


def news_days(
    first_day: date, *, days: int, zone: ZoneInfo, build_time: time, stories: int = 2
) -> dict[str, bytes]:
    """``{path: rss}``, one feed per outlet, ``stories`` stories a day for ``days`` days."""
    items: dict[str, list[str]] = {outlet: [] for outlet in OUTLETS}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        built = datetime.combine(day, build_time, tzinfo=zone)
        for n in range(stories):
            story = offset * stories + n
            for outlet_index, outlet in enumerate(OUTLETS):
                published = built - timedelta(hours=2 + 3 * n, minutes=7 * outlet_index)
                items[outlet].append(_item(story, outlet, outlet_index, published))
    return {f"/{outlet}.xml": _rss(outlet, entries) for outlet, entries in items.items()}


def sources_toml(base_url: str) -> str:
    """An ``AIDAILY_SOURCES_FILE`` naming the feeds of ``news_days`` at ``base_url``."""
    return "".join(
        f'[[sources]]\nname = "{outlet}"\nurl = "{base_url}/{outlet}.xml"\nkind = "news"\n\n'
        for outlet in OUTLETS
    )


def _item(story: int, outlet: str, outlet_index: int, published: datetime) -> str:
    company = COMPANIES[story % len(COMPANIES)]
    product = PRODUCTS[story % len(PRODUCTS)]
    version = f"{story + 2}.{story % 10}"
    heads = (
        f"{company} releases {product} {company[:3]}-{version} for enterprise AI",
        f"{company}'s new {product} {company[:3]}-{version} tops AI benchmarks",
    )
    body = (
        f"{company} announced {company[:3]}-{version}, a {product} for developers. The AI company "
        f"said the model improves accuracy on standard benchmarks and ships through its API today."
    )
    link = f"https://{outlet}.example.org/story-{story}"
    return (
        f"<item><title>{escape(heads[outlet_index])}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{format_datetime(published)}</pubDate><description>{escape(body)}</description></item>"
    )


def _rss(title: str, items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://{title}.example.org/</link>{''.join(items)}</channel></rss>"
    ).encode()
