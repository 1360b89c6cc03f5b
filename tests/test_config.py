"""Settings: environment first, secrets redacted, every setting documented, sources validated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.config import DEFAULT_SOURCES, ConfigError, Settings, load_settings, load_sources
from core.models import SourceKind

ROOT = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.usefixtures("clean_settings_env")


def test_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("AIDAILY_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("AIDAILY_BUILD_TIME", "07:15")
    settings = load_settings()
    assert settings.timezone == "Europe/Berlin"
    assert settings.build_time.hour == 7 and settings.build_time.minute == 15


def test_toml_file_is_read_below_the_environment(monkeypatch, tmp_path):
    config = tmp_path / "aidaily.toml"
    config.write_text('timezone = "Asia/Tokyo"\nwindow_hours = 12\n', encoding="utf-8")
    monkeypatch.setenv("AIDAILY_CONFIG_FILE", str(config))
    monkeypatch.setenv("AIDAILY_WINDOW_HOURS", "6")
    settings = load_settings()
    assert settings.timezone == "Asia/Tokyo"
    assert settings.window_hours == 6


def test_secrets_are_redacted(monkeypatch):
    monkeypatch.setenv("AIDAILY_OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("AIDAILY_SMTP_PASSWORD", "hunter2")
    dump = load_settings().redacted()
    text = repr(dump)
    assert "sk-very-secret" not in text and "hunter2" not in text
    assert dump["openai_api_key"] == "**********"
    assert dump["slack_bot_token"] == ""


def test_the_password_of_every_url_setting_is_masked(monkeypatch):
    monkeypatch.setenv(
        "AIDAILY_DATABASE_URL", "postgresql+psycopg://aidaily:s3cr3t-pw@db.example.org:5432/aidaily"
    )
    monkeypatch.setenv("AIDAILY_PUBLIC_URL", "https://admin:hunter2@daily.example.org/")
    monkeypatch.setenv("AIDAILY_OPENAI_BASE_URL", "https://proxy:p@ss/w0rd@llm.example.org/v1")
    dump = load_settings().redacted()

    assert dump["database_url"] == "postgresql+psycopg://aidaily:***@db.example.org:5432/aidaily"
    assert dump["public_url"] == "https://admin:***@daily.example.org/"
    assert dump["openai_base_url"] == "https://proxy:***@llm.example.org/v1"
    assert dump["slack_api_url"] == "https://slack.com/api/"  # URLs without a password stay as they are


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("AIDAILY_TIMEZONE", "Mars/Olympus", "TIMEZONE"),
        ("AIDAILY_WINDOW_HOURS", "zero", "WINDOW_HOURS"),
        (
            "AIDAILY_FETCH_ALLOW_PRIVATE",
            "10.0.0.0/33",
            "AIDAILY_FETCH_ALLOW_PRIVATE: '10.0.0.0/33' is neither",
        ),
    ],
)
def test_bad_values_give_one_line(monkeypatch, name, value, fragment):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_the_private_feed_allow_list_is_read_from_a_comma_separated_variable(monkeypatch):
    assert load_settings().fetch_allow_private == ""  # nothing internal is reachable by default
    monkeypatch.setenv("AIDAILY_FETCH_ALLOW_PRIVATE", " feeds.Intranet., 10.0.0.0/8 ")
    assert load_settings().fetch_allow_private == "feeds.intranet,10.0.0.0/8"


def test_missing_config_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("AIDAILY_CONFIG_FILE", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_every_setting_is_documented():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        variable = f"AIDAILY_{name.upper()}"
        assert re.search(rf"\b{variable}\b", example), f"{variable} missing from .env.example"
        assert variable in readme, f"{variable} missing from README.md"


def test_default_sources_cover_the_product_list():
    names = {s.name for s in DEFAULT_SOURCES}
    for expected in (
        "TechCrunch",
        "The Guardian",
        "arXiv cs.AI",
        "arXiv cs.LG",
        "arXiv cs.CL",
        "arXiv cs.CV",
        "OpenAI",
        "Hugging Face",
        "AWS Machine Learning Blog",
        "Google DeepMind",
        "KDnuggets",
        "Towards Data Science",
        "AI Business",
        "MIT Technology Review",
        "量子位",
    ):
        assert expected in names
    assert all(s.url.startswith("https://") for s in DEFAULT_SOURCES)


def test_sources_file(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nname = "Lab"\nurl = "https://lab.example.org/feed"\nkind = "blog"\nweight = 2\n'
        '[[sources]]\nname = "Papers"\nurl = "https://papers.example.org/rss"\nkind = "paper"\n',
        encoding="utf-8",
    )
    lab, papers = load_sources(path)
    assert (lab.name, lab.kind, lab.weight) == ("Lab", SourceKind.BLOG, 2.0)
    assert papers.language == "en"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[sources]]\nname = 'x'\n", "'url' is required"),
        ("[[sources]]\nname = 'x'\nurl = 'ftp://x'\n", "must be http"),
        ("[[sources]]\nname = 'x'\nurl = 'https://x'\nkind = 'tweet'\n", "kind must be"),
        (
            "[[sources]]\nname = 'x'\nurl = 'https://x'\n[[sources]]\nname = 'x'\nurl = 'https://y'\n",
            "duplicate",
        ),
        ("not toml at all [", "sources file"),
        ("title = 'no sources'\n", "no [[sources]]"),
    ],
)
def test_bad_sources_file(tmp_path, text, message):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_sources(path)
