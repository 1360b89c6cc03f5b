"""The plain values that cross every boundary of the pipeline.

Data flows one way: ``SourceConfig`` -> ``FetchResult`` -> ``Article`` -> ``Topic`` ->
``EditedTopic`` -> ``Item`` -> ``Report``. Every stage takes and returns these frozen
dataclasses, never ORM rows, feedparser dicts or SDK objects, so each stage can be tested
with literal values. This module imports nothing else from the project.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class SourceKind(StrEnum):
    NEWS = "news"
    PAPER = "paper"
    BLOG = "blog"


class Importance(StrEnum):
    """Importance labels exactly as the reports print them (note U+2011 in 中‑高)."""

    CRITICAL = "極高"
    HIGH = "高"
    MEDIUM_HIGH = "中\u2011高"
    MEDIUM = "中"
    LOW = "低"

    @property
    def rank(self) -> int:
        """0 for the most important label, 4 for the least."""
        return list(Importance).index(self)

    @classmethod
    def parse(cls, text: str) -> Importance:
        """Read a label as written by people: any dash between 中 and 高 is accepted."""
        folded = text.strip().replace("-", "\u2011").replace("‐", "\u2011").replace("–", "\u2011")
        folded = folded.replace("－", "\u2011").replace("—", "\u2011")
        for member in cls:
            if member.value == folded:
                return member
        raise ValueError(f"unknown importance {text!r}")


@dataclass(frozen=True, slots=True)
class SectionSpec:
    key: str
    heading: str  # zh-TW heading, as in the sample reports
    heading_en: str


#: The six item sections, in report order.
ITEM_SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("top_headlines", "今日焦點（Top Headlines）", "Top Headlines"),
    SectionSpec("research", "模型與技術更新（Model & Research Updates）", "Model & Research Updates"),
    SectionSpec("tools", "工具與資源（Tools & Resources）", "Tools & Resources"),
    SectionSpec("applications", "產業與應用動態（Industry Applications）", "Industry Applications"),
    SectionSpec("trends", "產業趨勢與觀點（Industry Trends & Insights）", "Industry Trends & Insights"),
    SectionSpec("market", "市場動態精選（Key Market Updates）", "Key Market Updates"),
)
INSIGHT_SECTION = SectionSpec("insight", "編輯洞察（Editor’s Insight）", "Editor’s Insight")
READING_SECTION = SectionSpec("reading", "延伸閱讀與資源", "Further Reading & Resources")
#: All eight sections of a report, in order.
ALL_SECTIONS: tuple[SectionSpec, ...] = (*ITEM_SECTIONS, INSIGHT_SECTION, READING_SECTION)
ITEM_SECTION_KEYS: tuple[str, ...] = tuple(s.key for s in ITEM_SECTIONS)
SECTION_BY_KEY: dict[str, SectionSpec] = {s.key: s for s in ALL_SECTIONS}


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One feed as configured (TOML ``[[sources]]`` or the built-in list)."""

    name: str
    url: str
    language: str = "en"
    kind: SourceKind = SourceKind.NEWS
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class SourceState:
    """What we remember about a feed between fetches (for conditional GET)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The HTTP facts of one feed fetch; ``content`` is None on 304 or on error."""

    source: SourceConfig
    fetched_at: datetime
    status: int | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class Article:
    """One normalized feed entry. Text fields are plain text (HTML stripped, sanitized)."""

    source: str  # SourceConfig.name
    source_kind: SourceKind
    url: str  # canonical absolute http(s) URL
    title: str  # display text, keeps its own punctuation
    summary: str
    published: datetime  # aware, UTC; fetch time when the feed gave no date
    fetched_at: datetime
    language: str = "en"
    guid: str | None = None
    arxiv_id: str | None = None  # "2512.01034", no version suffix
    authors: tuple[str, ...] = ()
    title_key: str = ""  # matching key: folded, see core.text.match_key
    source_weight: float = 1.0
    dated: bool = True  # False when the feed gave no date and fetch time stands in
    id: int | None = None  # store id once stored

    def with_id(self, id_: int) -> Article:
        return dataclasses.replace(self, id=id_)


class Channel(StrEnum):
    SLACK = "slack"
    TELEGRAM = "telegram"
    EMAIL = "email"


class Cadence(StrEnum):
    """How often a subscription is served: each day's report, or one weekly digest."""

    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class Rules:
    """A subscription's keyword rules, as the user wrote them (normalized: ``core.rules``).

    With ``include`` terms, an item must match one of them; an item matching any ``exclude``
    term is left out, whatever it includes. No terms: every item."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.include and not self.exclude


class SubscriptionStatus(StrEnum):
    PENDING = "pending"  # email: waiting for the double opt-in confirmation
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"  # email: a permanent SMTP failure; no further mail


@dataclass(frozen=True, slots=True)
class Subscription:
    """Where a report goes: ``slack:C0123``, ``telegram:-100123/45`` or ``email:a@b.org``."""

    channel: Channel
    address: str  # Slack channel id, Telegram chat id, or email address
    thread: str | None = None  # Telegram forum topic (message_thread_id)
    sections: tuple[str, ...] = ()  # item section keys to include; empty = all
    language: str | None = None  # None = the report's language
    status: SubscriptionStatus = SubscriptionStatus.CONFIRMED
    id: int | None = None
    subscribed_by: str | None = None  # the chat user who subscribed it, when one did
    cadence: Cadence = Cadence.DAILY
    rules: Rules = Rules()
    workspace: str | None = None  # Slack: the team whose installation posts here (None: the bot token)

    @property
    def target(self) -> str:
        """The ADDRESS form of the CLI: ``channel:address[/thread]``."""
        suffix = f"/{self.thread}" if self.thread else ""
        return f"{self.channel.value}:{self.address}{suffix}"

    def wants(self, section: str) -> bool:
        return not self.sections or section in self.sections


class DeliveryStatus(StrEnum):
    SENDING = "sending"  # the send started; no platform id recorded (yet, or ever: a crash)
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One entry of the delivery ledger: a message of a day's report for one subscription."""

    report_date: date
    subscription_id: int
    key: str  # stable within the plan: "header", "section:research", "section:research/part:2"
    status: DeliveryStatus
    section: str | None = None
    parent_key: str | None = None
    platform_id: str | None = None  # Slack ts, Telegram message_id, email Message-ID
    error: str | None = None
    permanent: bool = False
    attempts: int = 0
    updated_at: datetime | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SlackWorkspace:
    """A Slack workspace the app was installed in through OAuth: its latest installation, and
    whether that was revoked since. ``bot_token`` is a secret: never shown, logged or printed."""

    team_id: str
    team_name: str | None
    installed_at: datetime
    bot_token: str = field(repr=False)
    revoked_at: datetime | None = None  # set only when no installation was saved after it
    revoked_error: str | None = None  # token_revoked, invalid_auth, app_uninstalled, ...

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class SeenKeys:
    """Keys of articles already known; dedupe drops new articles matching any of them."""

    urls: frozenset[str] = frozenset()
    arxiv_ids: frozenset[str] = frozenset()
    title_keys: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One feed's last fetch as the store remembers it (``aidaily sources``)."""

    name: str
    url: str
    kind: SourceKind
    last_fetched_at: datetime | None = None
    last_status: int | None = None
    last_items: int | None = None
    last_error: str | None = None
    articles: int = 0
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Topic:
    """Articles about one story (or several papers on one theme)."""

    key: str  # deterministic: derived from the member articles
    articles: tuple[Article, ...]  # lead article first
    terms: tuple[str, ...] = ()  # salient matching terms, most salient first

    @property
    def lead(self) -> Article:
        return self.articles[0]

    @property
    def source_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.source for a in self.articles))


@dataclass(frozen=True, slots=True)
class FollowUp:
    """An earlier report item this topic continues."""

    date: date
    title: str
    item_id: int | None = None


#: Kinds of event a story can report (see ``core.report.editing.events``).
EVENT_KINDS: tuple[str, ...] = (
    "release", "open_source", "funding", "acquisition", "partnership", "earnings", "paper",
    "rollout", "policy", "deployment", "tool", "analysis", "other",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Event:
    """What a story reports: the kind of event, who does it, and to what (read off its headlines)."""

    kind: str = "other"  # one of EVENT_KINDS
    subject: str = ""  # "Anthropic"
    object: str = ""  # "Claude Opus 5"
    sure: bool = False  # the kind came from a headline's verb, not from a later sentence


@dataclass(frozen=True, slots=True)
class EditedTopic:
    """A topic the editor kept, with its section, importance and the evidence for it."""

    topic: Topic
    section: str  # one of ITEM_SECTION_KEYS
    importance: Importance
    score: float
    reason: str = ""  # one line, why this importance
    entities: tuple[str, ...] = ()
    follow_up: FollowUp | None = None
    event: Event = Event()
    feedback: float = 0.0  # what readers' votes on like stories added to ``score`` (editing.taste)


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item of an earlier report, as the editor needs it to spot repeats and follow-ups."""

    id: int
    date: date
    section: str
    title: str
    topic_key: str
    entities: tuple[str, ...]
    article_urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceLink:
    name: str
    url: str  # absolute http(s) URL, or, for imported reports only, the raw target
    valid: bool = True  # False when an imported link target was not a URL


@dataclass(frozen=True, slots=True)
class Item:
    """One story as it appears in a report."""

    section: str
    title: str
    summary: str
    details: tuple[str, ...] = ()
    use_cases: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    importance: Importance = Importance.MEDIUM
    importance_reason: str = ""
    sources: tuple[SourceLink, ...] = ()
    follow_up: FollowUp | None = None
    writer: str = "extractive"  # "extractive", "llm", "llm-fallback", "import"
    topic_key: str = ""
    article_urls: tuple[str, ...] = ()  # every article of the topic, for the store
    # The writer (an LLM) judged the story headline news: a suggestion the day's reconciliation
    # weighs (core.report.editing.editor.with_suggested_headlines); not stored, not compared.
    headline_suggested: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        data = {
            "title": self.title,
            "summary": self.summary,
            "details": list(self.details),
            "use_cases": list(self.use_cases),
            "entities": list(self.entities),
            "importance": self.importance.value,
            "importance_reason": self.importance_reason,
            "sources": [{"name": s.name, "url": s.url, "valid": s.valid} for s in self.sources],
            "writer": self.writer,
        }
        if self.follow_up:
            data["follow_up"] = {"date": self.follow_up.date.isoformat(), "title": self.follow_up.title}
        return data


@dataclass(frozen=True, slots=True)
class Insight:
    """編輯洞察: four parts, each a few paragraphs (or list entries for the watchlist)."""

    trends: tuple[str, ...] = ()  # 今日趨勢總結, paragraphs
    context: tuple[str, ...] = ()  # 技術發展脈絡, paragraphs
    outlook: tuple[str, ...] = ()  # 未來展望, paragraphs
    watchlist: tuple[str, ...] = ()  # 關注清單, entries


@dataclass(frozen=True, slots=True)
class ReadingLink:
    title: str
    url: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Reading:
    """延伸閱讀與資源."""

    articles: tuple[ReadingLink, ...] = ()  # 深度文章推薦
    background: tuple[tuple[str, str], ...] = ()  # 相關技術背景: (term, explanation)
    keywords: tuple[str, ...] = ()  # 本日關鍵詞


@dataclass(frozen=True, slots=True)
class Overview:
    """What a Summarizer writes about the whole report once the items exist."""

    title: str
    description: str
    summary: str
    tags: tuple[str, ...]
    insight: Insight
    reading: Reading


@dataclass(frozen=True, slots=True)
class Brief:
    """A story past its section's cap: one line and a link at the section's end, never dropped."""

    title: str
    line: str
    url: str


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    heading: str
    items: tuple[Item, ...] = ()
    more: tuple[Brief, ...] = ()  # 更多報導: the section's stories past its cap


@dataclass(frozen=True, slots=True)
class Report:
    """One day's report: the single shape every adapter and the importer speak."""

    date: date
    title: str
    generated_at: datetime  # aware, in the report time zone
    timezone: str
    window_start: datetime
    window_end: datetime
    articles_count: int
    topics_count: int
    sections: tuple[Section, ...]  # the six item sections, in order, possibly empty
    insight: Insight
    reading: Reading
    description: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    language: str = "zh-TW"
    cover_image: str = ""
    left_out: tuple[tuple[str, int], ...] = ()  # (reason, topics) the editor left out of the report
    cadence: Cadence = Cadence.DAILY  # WEEKLY: a digest of a week's reports (core.report.weekly)
    filtered: int = 0  # items one subscription's rules left out of this view of it (core.rules)

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of ``aidaily show --format json``."""
        insight, reading = self.insight, self.reading
        return {
            "date": self.date.isoformat(),
            "title": self.title,
            "description": self.description,
            "summary": self.summary,
            "tags": list(self.tags),
            "language": self.language,
            "generated_at": self.generated_at.isoformat(),
            "timezone": self.timezone,
            "window": {"start": self.window_start.isoformat(), "end": self.window_end.isoformat()},
            "stats": {
                "articles": self.articles_count,
                "topics": self.topics_count,
                "items": len(self.items),
                "more": sum(len(s.more) for s in self.sections),
                "left_out": dict(self.left_out),
            },
            "sections": [
                {
                    "key": s.key,
                    "heading": s.heading,
                    "items": [i.to_json() for i in s.items],
                    "more": [{"title": b.title, "line": b.line, "url": b.url} for b in s.more],
                }
                for s in self.sections
            ],
            "insight": {
                "heading": INSIGHT_SECTION.heading,
                "trends": list(insight.trends),
                "context": list(insight.context),
                "outlook": list(insight.outlook),
                "watchlist": list(insight.watchlist),
            },
            "reading": {
                "heading": READING_SECTION.heading,
                "articles": [{"title": r.title, "url": r.url, "note": r.note} for r in reading.articles],
                "background": [{"term": t, "explanation": e} for t, e in reading.background],
                "keywords": list(reading.keywords),
            },
        }


@dataclass(frozen=True, slots=True)
class WriterStats:
    """What writing one report cost: LLM calls, tokens, cache hits, failures and fallbacks.

    ``calls`` counts answers asked of the model (the SDK's own transport retries inside one call
    are not counted); ``failures`` counts calls that gave nothing usable (an API error after the
    retries, an answer that was not valid JSON, or one naming what the articles do not say);
    ``fallbacks`` counts items (and the overview) written by the extractive writer instead, and
    ``fell_back`` says which and why: (topic key or "overview", reason), in the order they fell.
    ``trimmed`` counts answers used without the bullets that failed the checks (the title and
    summary passed them; see ``core.report.writing.llm_writer``).
    """

    writer: str = "extractive"
    model: str = ""
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cache_hits: int = 0
    failures: int = 0
    fallbacks: int = 0
    fell_back: tuple[tuple[str, str], ...] = ()
    trimmed: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WriterStats:
        """Stats read back from JSON, where the (key, reason) pairs came back as lists."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["fell_back"] = tuple((str(key), str(reason)) for key, reason in values.get("fell_back", ()))
        return cls(**values)

    def since(self, earlier: WriterStats) -> WriterStats:
        """What was added after ``earlier``, a snapshot of the same writer."""
        counts = {
            f.name: getattr(self, f.name) - getattr(earlier, f.name)
            for f in dataclasses.fields(self)
            if isinstance(getattr(self, f.name), int)
        }
        return dataclasses.replace(self, **counts, fell_back=self.fell_back[len(earlier.fell_back) :])

    def fallback_reasons(self) -> dict[str, list[str]]:
        """The keys that fell back, grouped by why (reasons in the order first seen)."""
        grouped: dict[str, list[str]] = {}
        for key, reason in self.fell_back:
            grouped.setdefault(reason, []).append(key)
        return grouped


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ChannelCounts:
    """Messages of one channel in one run: sent now, failed, and skipped (sent by an earlier run)."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one scheduled run did, stored as JSON beside the run (``aidaily runs``)."""

    articles_fetched: int = 0  # parsed from the feeds this run
    articles_new: int = 0  # not seen before
    topics: int = 0
    items: int = 0
    llm: WriterStats = field(default_factory=WriterStats)
    messages: dict[str, ChannelCounts] = field(default_factory=dict)  # by channel
    failed_feeds: tuple[str, ...] = ()  # "name: error"
    failed_channels: tuple[str, ...] = ()  # "channel: error" or "channel: N subscriptions failed"
    seconds: dict[str, float] = field(default_factory=dict)  # by stage: fetch, build, deliver

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSummary:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}  # a newer version may store more
        values["llm"] = WriterStats.from_json(values.get("llm", {}))
        values["messages"] = {k: ChannelCounts(**v) for k, v in values.get("messages", {}).items()}
        for name in ("failed_feeds", "failed_channels"):
            values[name] = tuple(values.get(name, ()))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Run:
    """One claimed run of a scheduled job for one report day: who ran it, how it went."""

    job: str
    day: date
    status: RunStatus
    instance: str  # hostname:pid of the process that holds (or held) the claim
    started_at: datetime
    heartbeat_at: datetime
    attempts: int = 1
    finished_at: datetime | None = None
    error: str | None = None
    summary: RunSummary = field(default_factory=RunSummary)
    id: int | None = None


# --- Readers' votes on items (👍 / 👎 in Slack, Telegram and the newsletter) ---------------------


class VoteValue(StrEnum):
    UP = "up"
    DOWN = "down"

    @property
    def sign(self) -> int:
        return 1 if self is VoteValue.UP else -1


@dataclass(frozen=True, slots=True)
class ItemRef:
    """An item of a stored report as a vote names it: the report's date and the item's topic key.

    Not the item's row id: building a day again replaces its rows, and the same stories keep
    their keys (a topic key is a hash of its articles' URLs)."""

    date: date
    key: str


@dataclass(frozen=True, slots=True)
class Vote:
    """One press of 👍 or 👎 by one reader."""

    item: ItemRef
    channel: Channel
    reader: str  # Slack "TEAM:USER", Telegram user id, or the email subscription's id
    value: VoteValue
    event: str | None = None  # the platform's id of this press: the same id again is a replay
    toggle: bool = True  # the vote in force pressed again clears it (chat buttons); mail links set it


class VoteOutcome(StrEnum):
    RECORDED = "recorded"  # the reader's first vote on the item
    CHANGED = "changed"  # 👍 became 👎 or the other way
    CLEARED = "cleared"  # the vote in force pressed again (chat buttons)
    UNCHANGED = "unchanged"  # a mail link followed again: the vote stays
    REPLAYED = "replayed"  # an event already counted (a platform's redelivery, a replay)
    UNKNOWN_ITEM = "unknown_item"  # no stored report has that item


@dataclass(frozen=True, slots=True)
class VoteReceipt:
    """What a vote did, and the reader's vote on the item now (None: none)."""

    outcome: VoteOutcome
    value: VoteValue | None = None
    title: str = ""


@dataclass(frozen=True, slots=True)
class ItemVotes:
    """The votes on one item, by channel (``aidaily feedback``)."""

    item: ItemRef
    title: str | None  # None: the stored report of that day no longer has the item
    section: str | None
    by_channel: dict[Channel, tuple[int, int]] = field(default_factory=dict)  # channel -> (up, down)

    @property
    def up(self) -> int:
        return sum(up for up, _ in self.by_channel.values())

    @property
    def down(self) -> int:
        return sum(down for _, down in self.by_channel.values())


@dataclass(frozen=True, slots=True)
class VotedItem:
    """An earlier item readers voted on, with what the editor compares later stories by."""

    item: ItemRef
    up: int
    down: int
    entities: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # its topic's salient terms
    sources: tuple[str, ...] = ()  # the feeds of its articles (``Article.source``)
