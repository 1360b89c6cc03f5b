"""Settings: one typed object read from ``AIDAILY_*`` environment variables.

Precedence: environment (and a ``.env`` file in the working directory), then the TOML file
named by ``AIDAILY_CONFIG_FILE``, then the defaults below. Secrets are ``SecretStr`` with no
default: they come only from the environment and print as ``**********``.

Only the composition roots (the CLI and the service) build a ``Settings``; everything else is
handed the values it needs.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextlib import suppress
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.models import SourceConfig, SourceKind
from core.sources.addresses import allow_list

# A URL with a password in its userinfo: scheme://user:PASSWORD@host (up to the last "@", so a
# password with an unescaped "@" or "/" is hidden whole).
_URL_PASSWORD = re.compile(r"^(?P<head>[a-z][a-z0-9+.\-]*://[^:/?#@]*):.*@", re.IGNORECASE | re.DOTALL)


DATABASE_URL_FORMS = "expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


class ConfigError(Exception):
    """A mistake in configuration the user can fix; its message is one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AIDAILY_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Store and files
    database_url: str = Field("sqlite:///data/aidaily.db", description="SQLAlchemy URL of the store")
    out_dir: Path = Field(Path("out"), description="Where demo and dry-run output is written")
    cache_dir: Path = Field(Path("data/cache"), description="Rebuildable caches (the bot's search index)")
    sources_file: Path | None = Field(None, description="TOML file of [[sources]]; built-in list if unset")

    # The report
    timezone: str = Field("Asia/Taipei", description="Time zone of report dates and the schedule")
    build_time: time = Field(time(6, 40), description="Local time a day's report is built")
    window_hours: int = Field(24, ge=1, le=168, description="Hours of news a report covers")
    report_language: Literal["zh-TW", "en"] = Field("zh-TW", description="Language of report text")
    max_items_per_section: int = Field(12, ge=1, description="Cap on items in one section")
    public_url: AnyHttpUrl | None = Field(None, description="Where the web archive is reached")
    weekly_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = Field(
        "mon",
        description="The weekday whose run also delivers the weekly digest (of that day's report and"
        " the six before it) to weekly subscriptions",
    )
    weekly_items: int = Field(5, ge=1, le=50, description="Stories per section of the weekly digest")

    # Fetching
    fetch_concurrency: int = Field(8, ge=1, le=64, description="Feeds fetched at once")
    fetch_timeout: float = Field(20.0, gt=0, description="Seconds before a feed fetch is abandoned")
    fetch_max_bytes: int = Field(10_000_000, ge=10_000, description="Largest feed body accepted")
    user_agent: str = Field(
        "AIDaily/0.1 (+https://github.com/ai-daily/aidaily; feed reader)",
        description="User-Agent sent to feeds",
    )
    fetch_allow_private: str = Field(
        "",
        description="Hosts and networks (comma-separated, e.g. feeds.intranet,10.0.0.0/8) that feeds"
        " and their redirects may reach although loopback, private or link-local; none by default",
    )

    # LLM writer (an OpenAI-compatible server)
    openai_api_key: SecretStr | None = Field(None, description="Key for the LLM server; extractive if unset")
    openai_base_url: str | None = Field(None, description="OpenAI-compatible base URL")
    openai_model: str = Field("gpt-4o-mini", description="Model name for the writer")
    openai_concurrency: int = Field(8, ge=1, le=64, description="LLM calls at once")
    openai_timeout: float = Field(120.0, gt=0, description="Seconds before one LLM call is abandoned")
    openai_max_retries: int = Field(
        2, ge=0, le=10, description="Retries of a call on timeouts, 429 and 5xx (with backoff)"
    )
    openai_temperature: float | None = Field(
        None,
        ge=0,
        le=2,
        description="Sampling temperature of the writer; unset, the server's default (some reasoning"
        " models take no other); 0 makes a local model's answers repeatable",
    )
    openai_max_tokens: int | None = Field(
        None,
        ge=64,
        le=65536,
        description="Cap on the tokens of each answer; unset, the server's default. Below 1,200 an"
        " item is asked for fewer bullets so that it ends inside the cap (a small local model)",
    )
    openai_structured: Literal["auto", "json_schema", "json_object", "prompt"] = Field(
        "auto",
        description="How structured output is asked for: found by the first call (auto), or one"
        " form for every call (json_schema; json_object with a schema, as llama-cpp-python takes;"
        " prompt, the schema in the system message)",
    )

    # Slack
    slack_bot_token: SecretStr | None = Field(None, description="xoxb- bot token")
    slack_signing_secret: SecretStr | None = Field(None, description="Slack request signing secret")
    slack_app_token: SecretStr | None = Field(None, description="xapp- token for Socket Mode")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base")
    slack_mode: Literal["socket", "http"] = Field(
        "socket", description="How the Slack bot receives events: Socket Mode or HTTP (/slack/events)"
    )
    slack_client_id: str | None = Field(None, description="Slack app client id, for OAuth installs")
    slack_client_secret: SecretStr | None = Field(None, description="Slack app client secret, for OAuth")
    slack_token_key: SecretStr | None = Field(
        None, description="Fernet key encrypting the OAuth installations' Slack tokens at rest"
    )

    # Telegram
    telegram_bot_token: SecretStr | None = Field(None, description="Bot token from BotFather")
    telegram_api_url: str = Field("https://api.telegram.org/bot", description="Bot API base")
    telegram_mode: Literal["polling", "webhook"] = Field(
        "polling", description="How the Telegram bot receives updates"
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram sends with each webhook update"
    )

    # Email
    smtp_host: str | None = Field(None, description="SMTP server; email written to out/ if unset")
    smtp_port: int = Field(587, description="SMTP port")
    smtp_username: str | None = Field(None, description="SMTP user")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_tls: Literal["none", "starttls", "tls"] = Field("starttls", description="SMTP transport security")
    email_from: str = Field("AI Daily <daily@example.org>", description="From address of the newsletter")
    smtp_rate: float = Field(0.0, ge=0, description="Messages per second to the SMTP server; 0 = no limit")
    smtp_connections: int = Field(4, ge=1, le=64, description="SMTP connections kept open and reused")
    secret_key: SecretStr | None = Field(
        None, description="Signs unsubscribe and preferences links; required to send email"
    )
    dkim_private_key_file: Path | None = Field(
        None, description="PEM RSA key; set, the newsletter is DKIM-signed"
    )
    dkim_selector: str = Field("aidaily", description="DKIM selector (the DNS name <selector>._domainkey)")

    # Delivery, however it runs (`aidaily deliver`, `aidaily serve`, `aidaily worker`)
    delivery_lease: float = Field(
        30.0,
        ge=1,
        le=3600,
        description="Seconds a delivery run's claim on a subscription lasts unrenewed;"
        " another run waits for it, and takes it over only after that (its holder died)",
    )
    ledger_retry: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="Seconds one subscription retries, with backoff, a delivery ledger it cannot"
        " read or write before it is reported failed",
    )

    # Delivery workers (`aidaily worker`, `aidaily deliver --queue`): PostgreSQL only
    queue_email_batch: int = Field(200, ge=1, le=5000, description="Email subscriptions per delivery job")
    queue_chat_batch: int = Field(
        20, ge=1, le=1000, description="Slack or Telegram subscriptions per delivery job (paced per chat)"
    )
    worker_concurrency: int = Field(4, ge=1, le=64, description="Delivery jobs one worker runs at once")
    worker_stalled_seconds: float = Field(
        30.0, ge=1, le=3600, description="A worker silent this long is presumed dead; its jobs run again"
    )

    # The web app
    web_host: str = Field("127.0.0.1", description="Address the web app listens on")
    web_port: int = Field(8000, ge=1, le=65535, description="Port the web app listens on")
    confirm_hours: int = Field(
        48, ge=1, le=720, description="Hours a subscription confirmation link stays valid"
    )
    subscribe_limit: int = Field(5, ge=1, description="Subscribe requests one client may make per hour")
    api_limit: int = Field(
        60, ge=1, description="Requests one client may make per minute to /api/ and /search together"
    )

    # Readers' feedback: 👍 / 👎 on each item
    feedback_buttons: bool = Field(
        True,
        description="Put 👍 / 👎 on every item: buttons in Slack and Telegram (the bots record the"
        " presses), links in the newsletter (the web app records them)",
    )
    feedback_days: int = Field(
        30,
        ge=1,
        le=365,
        description="Days a vote link in mail works, and days of votes the editor weighs when it"
        " ranks a new day's stories",
    )

    # The service (aidaily serve)
    schedule: str | None = Field(
        None,
        description="Cron expression with seconds (sec min hour day month weekday) for the daily run;"
        " overrides the build time (demos and tests compress the schedule with it)",
    )
    simulate_from: date | None = Field(
        None, description="With AIDAILY_SCHEDULE: the report day of the first firing; each later one the next"
    )
    simulate_start: datetime | None = Field(
        None, description="With AIDAILY_SIMULATE_FROM: the moment (with offset) from which firings count"
    )
    misfire_grace: int = Field(
        4 * 3600, ge=1, description="Seconds a missed daily run may still start late (after downtime)"
    )
    run_lease: float = Field(
        600.0, gt=0, description="Seconds without a heartbeat before another instance takes a run over"
    )
    leader_retry: float = Field(15.0, gt=0, description="Seconds between a follower's tries to lead")
    delivery_mode: Literal["inline", "queue"] = Field(
        "inline",
        description="How `aidaily serve` delivers: from its own process, or queued for `aidaily worker`s",
    )
    shutdown_grace: float = Field(
        120.0, ge=0, description="Seconds SIGTERM waits for the run in flight before interrupting it"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level")

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_not_unset(cls, value: Any, info: ValidationInfo) -> Any:
        # ``AIDAILY_SLACK_BOT_TOKEN=`` is a line left half-written, not "no token": taken as a
        # value it fails far away (a token Slack refuses, an SMTP host ""), taken as unset it
        # silently turns real sending into a dry run. Either way the user should hear of it.
        optional = info.field_name is not None and cls.model_fields[info.field_name].default is None
        if optional and isinstance(value, str) and not value.strip():
            raise ValueError("is set but empty; give it a value or remove the line")
        return value

    @field_validator("database_url")
    @classmethod
    def _parsable_database_url(cls, value: str) -> str:
        try:
            make_url(value)
        except (ArgumentError, ValueError):
            # Not echoed: a URL that does not parse cannot have its password hidden.
            raise ValueError(f"cannot parse it; {DATABASE_URL_FORMS}") from None
        return value

    @field_validator("schedule")
    @classmethod
    def _cron_with_seconds(cls, value: str | None) -> str | None:
        if value is None:
            return value
        fields = value.split()
        if len(fields) != 6:
            raise ValueError("use six fields: second minute hour day month weekday, e.g. '*/5 * * * * *'")
        names = ("second", "minute", "hour", "day", "month", "day_of_week")
        CronTrigger(**dict(zip(names, fields, strict=True)))  # its ValueError names the bad field
        return value

    @model_validator(mode="after")
    def _simulation_needs_a_schedule(self) -> Settings:
        if (self.simulate_from is None) != (self.simulate_start is None):
            raise ValueError("AIDAILY_SIMULATE_FROM and AIDAILY_SIMULATE_START go together")
        if self.simulate_from is not None and self.schedule is None:
            raise ValueError("simulated days need AIDAILY_SCHEDULE (one firing is one day)")
        if self.simulate_start is not None and self.simulate_start.tzinfo is None:
            raise ValueError("AIDAILY_SIMULATE_START needs a UTC offset, e.g. 2026-11-22T08:00:00+00:00")
        return self

    @field_validator("fetch_allow_private")
    @classmethod
    def _allow_list(cls, value: str) -> str:
        return ",".join(allow_list(value))  # a bad entry is named by its ValueError

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        config_file = os.environ.get("AIDAILY_CONFIG_FILE")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    def secret(self, name: str) -> str | None:
        """The value of the secret setting ``name`` (e.g. ``"slack_bot_token"``), or None if unset."""
        value: SecretStr | None = getattr(self, name)
        return value.get_secret_value() if value is not None else None

    def secret_values(self) -> list[str]:
        """Every secret value set: the SecretStr settings and the database URL's password (what
        the logs mask, ``core.logs.hide_in_logs``)."""
        values = [v.get_secret_value() for v in self.__dict__.values() if isinstance(v, SecretStr)]
        with suppress(ArgumentError):  # an unparsable URL is refused when the store opens
            values.append(make_url(self.database_url).password or "")
        return [v for v in values if v]

    def redacted(self) -> dict[str, Any]:
        """Every setting as printable text; secrets that are set show as asterisks, and so does
        the password of any URL (``AIDAILY_DATABASE_URL`` usually holds one)."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "**********"
            out[name] = "" if value is None else mask_url_password(str(value))
        return out


def mask_url_password(text: str) -> str:
    """``text`` with the password of a URL's userinfo as ``***`` (``postgresql://u:***@db/x``)."""
    return _URL_PASSWORD.sub(r"\g<head>:***@", text)


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation errors into one readable line."""
    config_file = os.environ.get("AIDAILY_CONFIG_FILE")
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"AIDAILY_CONFIG_FILE points to {config_file}, which does not exist")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if not field:  # a rule across settings names them itself
            raise ConfigError(f"settings: {message}") from None
        raise ConfigError(f"setting AIDAILY_{field.upper()}: {message}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_file}: {exc}") from None


# The built-in feeds: real AI news sources, used when AIDAILY_SOURCES_FILE is unset.
DEFAULT_SOURCES: tuple[SourceConfig, ...] = (
    SourceConfig(
        "TechCrunch",
        "https://techcrunch.com/category/artificial-intelligence/feed/",
        "en",
        SourceKind.NEWS,
        1.2,
    ),
    SourceConfig("The Guardian", "https://www.theguardian.com/technology/rss", "en", SourceKind.NEWS, 1.1),
    SourceConfig("arXiv cs.AI", "https://rss.arxiv.org/rss/cs.AI", "en", SourceKind.PAPER, 0.8),
    SourceConfig("arXiv cs.LG", "https://rss.arxiv.org/rss/cs.LG", "en", SourceKind.PAPER, 0.8),
    SourceConfig("arXiv cs.CL", "https://rss.arxiv.org/rss/cs.CL", "en", SourceKind.PAPER, 0.8),
    SourceConfig("arXiv cs.CV", "https://rss.arxiv.org/rss/cs.CV", "en", SourceKind.PAPER, 0.8),
    SourceConfig("OpenAI", "https://openai.com/news/rss.xml", "en", SourceKind.BLOG, 1.5),
    SourceConfig("Hugging Face", "https://huggingface.co/blog/feed.xml", "en", SourceKind.BLOG, 1.1),
    SourceConfig(
        "AWS Machine Learning Blog",
        "https://aws.amazon.com/blogs/machine-learning/feed/",
        "en",
        SourceKind.BLOG,
        0.9,
    ),
    SourceConfig("Google DeepMind", "https://deepmind.google/blog/rss.xml", "en", SourceKind.BLOG, 1.4),
    SourceConfig("KDnuggets", "https://www.kdnuggets.com/feed", "en", SourceKind.BLOG, 0.7),
    SourceConfig("Towards Data Science", "https://towardsdatascience.com/feed/", "en", SourceKind.BLOG, 0.7),
    SourceConfig("AI Business", "https://aibusiness.com/rss.xml", "en", SourceKind.NEWS, 1.0),
    SourceConfig(
        "MIT Technology Review",
        "https://www.technologyreview.com/topic/artificial-intelligence/feed",
        "en",
        SourceKind.NEWS,
        1.3,
    ),
    SourceConfig("量子位", "https://www.qbitai.com/feed", "zh-CN", SourceKind.NEWS, 1.0),
)


def load_sources(path: Path | None) -> tuple[SourceConfig, ...]:
    """Sources from a TOML file of ``[[sources]]`` tables, or the built-in list."""
    if path is None:
        return DEFAULT_SOURCES
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"sources file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"sources file {path}: {exc}") from None
    tables = data.get("sources")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"sources file {path} has no [[sources]] tables")
    sources = tuple(_source_from_table(path, i, t) for i, t in enumerate(tables, 1))
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"sources file {path}: duplicate source name {duplicates[0]!r}")
    return sources


def _source_from_table(path: Path, index: int, table: dict[str, Any]) -> SourceConfig:
    where = f"sources file {path}, source #{index}"
    for key in ("name", "url"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise ConfigError(f"{where}: '{key}' is required")
    if not table["url"].startswith(("http://", "https://")):
        raise ConfigError(f"{where}: url must be http(s), got {table['url']!r}")
    try:
        kind = SourceKind(table.get("kind", "news"))
    except ValueError:
        raise ConfigError(f"{where}: kind must be news, paper or blog") from None
    weight = table.get("weight", 1.0)
    if not isinstance(weight, int | float) or weight <= 0:
        raise ConfigError(f"{where}: weight must be a positive number")
    return SourceConfig(
        table["name"].strip(), table["url"].strip(), str(table.get("language", "en")), kind, float(weight)
    )
