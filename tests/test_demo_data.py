"""The demo feeds and the local server that ``aidaily demo`` fetches them from.

Stories planted in app/demo/feeds/ (end-to-end tests may rely on these markers):

- Top story, exactly three outlets, different titles and URLs, text contains "Claude Opus 5":
  TechCrunch    https://techcrunch.com/story/anthropic-launches-claude-opus-5/
  The Guardian  https://www.theguardian.com/technology/anthropic-claude-opus-5-ai-model-launch
  AI Business   https://aibusiness.com/foundation-models/anthropic-debuts-claude-opus-5
- Two-outlet stories (marker in title or summary -> the only two sources mentioning it):
  "Qwen3.5" -> TechCrunch, 量子位; "ChatGPT Atlas" -> OpenAI, TechCrunch;
  "AI Office" -> The Guardian, MIT Technology Review; "DeepSeek-V4" -> AI Business, 量子位;
  "Mistral" -> The Guardian, AI Business.
- Duplicate URL across feeds: https://huggingface.co/blog/openai-gpt-oss-2 in Hugging Face, and
  the same URL with ?utm_source=openai&utm_medium=rss&utm_campaign=gpt-oss-2#getting-started in OpenAI.
- arXiv cross-list: https://arxiv.org/abs/2611.04221 in arXiv cs.AI (new) and arXiv cs.LG (cross).
- Off-topic (no AI angle): The Guardian "Two men jailed over £2m cash-in-transit robbery in Essex".
- Script: TechCrunch "Sift raises $30M to bring AI search to legal discovery", whose description
  holds <script>alert(1)</script> (feedparser's own sanitizer already drops it from the summary).
- Prompt injection: AI Business "Nordbank Deploys AI Agents Across Trade Finance Back Office",
  summary contains "Ignore all previous instructions" and https://promo.example.net/ai-offer.
- Malformed: KDnuggets (an unclosed CDATA section in the channel, then truncated): zero entries.
- Older than the window (2-3 days): one item each in TechCrunch, The Guardian, Hugging Face,
  AI Business, MIT Technology Review and 量子位.
"""

from __future__ import annotations

import calendar
import re
import socket
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import httpx
import pytest

from app.demo.server import FEEDS_DIR, DemoFeedServer, render_template
from core.config import DEFAULT_SOURCES
from core.models import SourceConfig, SourceKind

NOW = datetime(2026, 11, 20, 22, 40, 15, tzinfo=UTC)
WINDOW = timedelta(hours=22)
MALFORMED = "KDnuggets"
TOP_STORY_URLS = {
    "TechCrunch": "https://techcrunch.com/story/anthropic-launches-claude-opus-5/",
    "The Guardian": "https://www.theguardian.com/technology/anthropic-claude-opus-5-ai-model-launch",
    "AI Business": "https://aibusiness.com/foundation-models/anthropic-debuts-claude-opus-5",
}
TWO_OUTLET_STORIES = {
    "Qwen3.5": {"TechCrunch", "量子位"},
    "ChatGPT Atlas": {"OpenAI", "TechCrunch"},
    "AI Office": {"The Guardian", "MIT Technology Review"},
    "DeepSeek-V4": {"AI Business", "量子位"},
    "Mistral": {"The Guardian", "AI Business"},
}
DUPLICATE_URL = "https://huggingface.co/blog/openai-gpt-oss-2"
CROSS_LIST_URL = "https://arxiv.org/abs/2611.04221"
OFF_TOPIC_TITLE = "Two men jailed over £2m cash-in-transit robbery in Essex"
SCRIPT_TITLE = "Sift raises $30M to bring AI search to legal discovery"
INJECTION_TITLE = "Nordbank Deploys AI Agents Across Trade Finance Back Office"
AI_WORDS = re.compile(
    r"\b(ai|artificial|intelligence|machine|learning|model|models|data|algorithm\w*|chatbot\w*|"
    r"robot\w*|automat\w*|autonomous|neural|compute|computing|chip\w*|software|digital|tech\w*|"
    r"online|llms?|agents?|agentic|inference|transformers?|datasets?|\w*gpt\w*|copilot|codex|sora)\b",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def server() -> Any:
    with DemoFeedServer(NOW) as running:
        yield running


@pytest.fixture(scope="module")
def fetched(server: DemoFeedServer) -> dict[str, tuple[SourceConfig, httpx.Response]]:
    with httpx.Client(timeout=5) as client:
        return {s.name: (s, client.get(s.url)) for s in server.sources()}


@pytest.fixture(scope="module")
def parsed(fetched: dict[str, tuple[SourceConfig, httpx.Response]]) -> dict[str, Any]:
    return {
        name: feedparser.parse(response.content, response_headers=dict(response.headers))
        for name, (_, response) in fetched.items()
    }


def published(entry: Any) -> datetime:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    assert stamp is not None, f"undated entry {entry.get('title')!r}"
    return datetime.fromtimestamp(calendar.timegm(stamp), UTC)


def text_of(entry: Any) -> str:
    parts = [entry.get("title", ""), entry.get("summary", "")]
    parts += [c.value for c in entry.get("content", [])]
    return " ".join(parts)


def entries(parsed: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(name, e) for name, feed in parsed.items() for e in feed.entries]


# render_template


def test_render_rfc822_and_iso_relative_to_now() -> None:
    text = "<a>{{rfc822:-3h15m}}</a><b>{{iso:-2d}}</b><c>{{iso:-45m}}</c>"
    assert render_template(text, NOW) == (
        "<a>Fri, 20 Nov 2026 19:25:15 +0000</a><b>2026-11-18T22:40:15Z</b><c>2026-11-20T21:55:15Z</c>"
    )


def test_render_zones_write_the_same_instant() -> None:
    out = render_template("{{rfc822:-5h@-0500}}|{{rfc822:-5h@GMT}}|{{iso:-1d2h3m@+0800}}", NOW)
    est, gmt, cst = out.split("|")
    assert est == "Fri, 20 Nov 2026 12:40:15 -0500"
    assert gmt == "Fri, 20 Nov 2026 17:40:15 GMT"
    assert parsedate_to_datetime(est) == parsedate_to_datetime(gmt)
    assert cst == "2026-11-20T04:37:15+08:00"
    assert datetime.fromisoformat(cst) == NOW - timedelta(days=1, hours=2, minutes=3)


def test_render_leaves_other_text_alone_and_accepts_any_aware_now() -> None:
    text = "<title>{{not a date}} &amp; “quotes”</title>"
    assert render_template(text, NOW) == text
    taipei = NOW.astimezone(ZoneInfo("Asia/Taipei"))
    assert render_template("{{iso:-1h}}", taipei) == render_template("{{iso:-1h}}", NOW)


@pytest.mark.parametrize("bad", ["{{rfc822:3h}}", "{{iso:-}}", "{{iso:-2x}}", "{{rfc822:-1h@CET}}"])
def test_render_rejects_malformed_placeholders(bad: str) -> None:
    with pytest.raises(ValueError, match="placeholder"):
        render_template(f"<d>{bad}</d>", NOW)


def test_render_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        render_template("{{iso:-1h}}", datetime(2026, 11, 20, 12, 0))


def test_every_template_renders_and_stays_small() -> None:
    files = sorted(FEEDS_DIR.glob("*.xml"))
    assert sum(f.stat().st_size for f in files) < 600_000
    for path in files:
        rendered = render_template(path.read_text(encoding="utf-8"), NOW)
        assert "{{" not in rendered, path.name


# the HTTP server


def test_serves_every_feed_with_headers(
    server: DemoFeedServer, fetched: dict[str, tuple[SourceConfig, httpx.Response]]
) -> None:
    assert {s.url.rsplit("/", 1)[1] for s, _ in fetched.values()} == set(server.feed_files)
    for name, (source, response) in fetched.items():
        assert response.status_code == 200, name
        kind = "atom" if name == "Hugging Face" else "rss"
        assert response.headers["content-type"] == f"application/{kind}+xml; charset=utf-8"
        assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"])
        last_modified = parsedate_to_datetime(response.headers["last-modified"])
        assert NOW - WINDOW <= last_modified <= NOW
        assert int(response.headers["content-length"]) == len(response.content)
        template = (FEEDS_DIR / source.url.rsplit("/", 1)[1]).read_text(encoding="utf-8")
        assert response.content == render_template(template, NOW).encode()


def test_conditional_get(
    server: DemoFeedServer, fetched: dict[str, tuple[SourceConfig, httpx.Response]]
) -> None:
    with httpx.Client(timeout=5) as client:
        for name, (source, first) in fetched.items():
            etag, last_modified = first.headers["etag"], first.headers["last-modified"]
            again = client.get(source.url, headers={"If-None-Match": etag})
            assert again.status_code == 304, name
            assert again.content == b""
            assert again.headers["etag"] == etag
            weak_list = client.get(source.url, headers={"If-None-Match": f'"other", W/{etag}'})
            assert weak_list.status_code == 304
            changed = client.get(source.url, headers={"If-None-Match": '"stale"'})
            assert changed.status_code == 200 and changed.content == first.content
            since = client.get(source.url, headers={"If-Modified-Since": last_modified})
            assert since.status_code == 304
            older = format_datetime(parsedate_to_datetime(last_modified) - timedelta(hours=1), usegmt=True)
            assert client.get(source.url, headers={"If-Modified-Since": older}).status_code == 200
            # If-None-Match wins over If-Modified-Since (RFC 9110)
            both = client.get(
                source.url, headers={"If-None-Match": '"stale"', "If-Modified-Since": last_modified}
            )
            assert both.status_code == 200


def test_head_unknown_paths_and_quiet(server: DemoFeedServer, capfd: pytest.CaptureFixture[str]) -> None:
    head = httpx.head(server.url_for("techcrunch.xml"))
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 10_000
    assert httpx.get(f"{server.base_url}/feeds/nope.xml").status_code == 404
    assert httpx.get(f"{server.base_url}/").status_code == 404
    assert httpx.get(server.url_for("openai.xml") + "?x=1").status_code == 200
    assert capfd.readouterr().err == ""


def test_concurrent_fetches(server: DemoFeedServer) -> None:
    urls = [s.url for s in server.sources()] * 4
    with httpx.Client(timeout=5) as client, ThreadPoolExecutor(max_workers=len(urls)) as pool:
        statuses = list(pool.map(lambda url: client.get(url).status_code, urls))
    assert statuses == [200] * len(urls)


def test_same_now_same_etag_other_now_other_etag() -> None:
    with DemoFeedServer(NOW) as a, DemoFeedServer(NOW) as b, DemoFeedServer(NOW + timedelta(hours=1)) as c:
        etags = [httpx.get(s.url_for("openai.xml")).headers["etag"] for s in (a, b, c)]
    assert etags[0] == etags[1] != etags[2]


def test_default_now_is_current_time_and_shutdown_is_clean() -> None:
    server = DemoFeedServer()
    assert abs(server.now - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(RuntimeError):
        _ = server.base_url
    with server:
        port = int(server.base_url.rsplit(":", 1)[1])
        assert httpx.get(server.url_for("qbitai.xml")).status_code == 200
        assert f"aidaily-feeds:{port}" in {t.name for t in threading.enumerate()}
    assert f"aidaily-feeds:{port}" not in {t.name for t in threading.enumerate()}
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


# the sources


def test_sources_follow_the_production_list(server: DemoFeedServer) -> None:
    sources = server.sources()
    defaults = {s.name: s for s in DEFAULT_SOURCES}
    assert len(sources) >= 8
    assert len({s.name for s in sources}) == len(sources)
    for source in sources:
        assert source.url.startswith(f"{server.base_url}/feeds/")
        default = defaults[source.name]
        assert (source.language, source.kind, source.weight) == (
            default.language,
            default.kind,
            default.weight,
        )
    assert {s.kind for s in sources} == set(SourceKind)
    assert {s.language for s in sources} == {"en", "zh-CN"}


# the content


def test_dates_and_counts(parsed: dict[str, Any]) -> None:
    well_formed = {name: feed for name, feed in parsed.items() if name != MALFORMED}
    assert len(well_formed) >= 8
    in_window, older = Counter(), Counter()
    for name, feed in well_formed.items():
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        for entry in feed.entries:
            when = published(entry)
            if NOW - WINDOW <= when <= NOW:
                in_window[name] += 1
            else:
                assert NOW - timedelta(days=3, hours=6) <= when <= NOW - timedelta(days=2), entry.title
                older[name] += 1
    assert sum(in_window.values()) >= 150
    assert all(in_window[name] >= 8 for name in well_formed), in_window
    assert 3 <= sum(older.values()) <= 8


def test_malformed_feed_recovers_nothing(parsed: dict[str, Any]) -> None:
    feed = parsed[MALFORMED]
    assert feed.bozo
    assert feed.entries == []


def test_top_story_has_exactly_three_outlets(parsed: dict[str, Any]) -> None:
    hits = [(name, e) for name, e in entries(parsed) if "Claude Opus 5" in text_of(e)]
    assert {name: e.link for name, e in hits} == TOP_STORY_URLS
    assert len(hits) == 3
    assert len({e.title for _, e in hits}) == 3
    for _, entry in hits:
        assert "Anthropic" in entry.title and "Claude Opus 5" in entry.title
        assert NOW - published(entry) < timedelta(hours=4)


@pytest.mark.parametrize(("marker", "outlets"), TWO_OUTLET_STORIES.items())
def test_two_outlet_stories(parsed: dict[str, Any], marker: str, outlets: set[str]) -> None:
    hits = [(name, e) for name, e in entries(parsed) if marker in text_of(e)]
    assert {name for name, _ in hits} == outlets
    assert len(hits) == 2
    assert hits[0][1].link != hits[1][1].link


def test_duplicate_url_across_feeds(parsed: dict[str, Any]) -> None:
    links = {name: e.link for name, e in entries(parsed) if e.link.startswith(DUPLICATE_URL)}
    assert links["Hugging Face"] == DUPLICATE_URL
    assert links["OpenAI"].startswith(DUPLICATE_URL + "?utm_source=")
    assert links["OpenAI"].endswith("#getting-started")
    assert len(links) == 2


def test_arxiv_format_and_cross_list(parsed: dict[str, Any]) -> None:
    papers = [(n, e) for n, e in entries(parsed) if n.startswith("arXiv")]
    for _, entry in papers:
        arxiv_id = entry.link.removeprefix("https://arxiv.org/abs/")
        assert re.fullmatch(r"\d{4}\.\d{5}", arxiv_id)
        assert re.match(
            rf"arXiv:{arxiv_id}v\d Announce Type: (new|cross|replace) \nAbstract: ", entry.summary
        )
        assert entry.arxiv_announce_type in {"new", "cross", "replace"}
        assert entry.author  # dc:creator
    cross = {n: e.arxiv_announce_type for n, e in papers if e.link == CROSS_LIST_URL}
    assert cross == {"arXiv cs.AI": "new", "arXiv cs.LG": "cross"}
    assert len({e.link for _, e in papers}) == len(papers) - 1
    # several papers per theme, so a report can group them
    for theme in ("LLM-as-a-judge", "speculative decoding", "verifiable rewards", "retrieval"):
        assert sum(theme.lower() in text_of(e).lower() for _, e in papers) >= 3, theme


def test_off_topic_item_has_no_ai_angle(parsed: dict[str, Any]) -> None:
    hits = [e for name, e in entries(parsed) if name == "The Guardian" and e.title == OFF_TOPIC_TITLE]
    assert len(hits) == 1
    text = re.sub(r"<[^>]+>", " ", text_of(hits[0]))
    assert not AI_WORDS.findall(text)
    others = [e for name, e in entries(parsed) if e.title != OFF_TOPIC_TITLE and name != "量子位"]
    assert all(AI_WORDS.search(text_of(e)) for e in others)


def test_script_and_injection_items(
    parsed: dict[str, Any], fetched: dict[str, tuple[SourceConfig, httpx.Response]]
) -> None:
    by_title = {e.title: (name, e) for name, e in entries(parsed)}
    name, script_entry = by_title[SCRIPT_TITLE]
    assert name == "TechCrunch"
    assert b"<script>alert(1)</script>" in fetched["TechCrunch"][1].content
    assert "Series B" in script_entry.summary
    raw = feedparser.parse(fetched["TechCrunch"][1].content, sanitize_html=False)
    assert any("<script>alert(1)</script>" in e.summary for e in raw.entries if e.title == SCRIPT_TITLE)
    name, injection_entry = by_title[INJECTION_TITLE]
    assert name == "AI Business"
    assert "Ignore all previous instructions" in injection_entry.summary
    assert "https://promo.example.net/ai-offer" in injection_entry.summary
    assert "letters of credit" in injection_entry.summary


def test_titles_keep_entities_and_curly_quotes(
    parsed: dict[str, Any], fetched: dict[str, tuple[SourceConfig, httpx.Response]]
) -> None:
    assert b"&#8220;Copilot Mode&#8221;" in fetched["TechCrunch"][1].content
    titles = {e.title for _, e in entries(parsed)}
    assert "Microsoft’s “Copilot Mode” becomes the default in Edge for business users" in titles
    assert "LangChain ships LangGraph 1.2 with durable checkpoints & human-in-the-loop APIs" in titles
    assert "‘It felt like talking to a wall’: the customers stuck in AI support loops" in titles


def test_chinese_feed_shares_stories_with_english_feeds(parsed: dict[str, Any]) -> None:
    feed = parsed["量子位"]
    assert feed.feed.language == "zh-CN"
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert all(cjk.search(e.title) for e in feed.entries)
    latin_names = {
        m for e in feed.entries for m in re.findall(r"Qwen3\.5|DeepSeek-V4|Hugging Face", text_of(e))
    }
    assert latin_names == {"Qwen3.5", "DeepSeek-V4", "Hugging Face"}


def test_sources_toml_names_existing_files() -> None:
    toml = (FEEDS_DIR.parent / "sources.toml").read_text(encoding="utf-8")
    for file_name in re.findall(r'^path = "([^"]+)"', toml, re.MULTILINE):
        assert (FEEDS_DIR / file_name).is_file(), file_name
