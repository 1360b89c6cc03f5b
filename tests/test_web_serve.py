"""``app.web``, the composition root of ``aidaily web``, and the confirmation mail it sends."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import dkim
import pytest
from fakes.smtp_server import SmtpServer
from test_dkim import dns_for, rsa_key
from test_web_site import FROM, text_and_html

from app.web import CONFIRMATIONS_FILE, open_mailer, web_secrets
from core.config import ConfigError, Settings
from core.links import DEV_SECRET_KEY
from core.logs import hide_in_logs
from web.confirm_mail import ConfirmationMail, MailKind, build_message

HOSTILE_LINK = 'https://daily.example.org/confirm?token=a"><script>x</script>&b=1'


def settings(tmp_path: Path, **values) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", out_dir=tmp_path / "out", **values)


def mail(
    kind: MailKind = MailKind.CONFIRM, link: str = "https://daily.example.org/confirm?token=abc"
) -> ConfirmationMail:
    return ConfirmationMail("reader@example.org", kind, link, 48)


async def send_through(opened: Settings, message: ConfirmationMail) -> str:
    async with open_mailer(opened) as mailer:
        await mailer.send(message)
        return type(mailer).__name__


def test_without_smtp_confirmations_go_to_a_json_lines_file(tmp_path):
    opened = settings(tmp_path)

    kind = asyncio.run(send_through(opened, mail()))
    asyncio.run(send_through(opened, mail(MailKind.ALREADY_SUBSCRIBED)))

    lines = (tmp_path / "out" / CONFIRMATIONS_FILE).read_text(encoding="utf-8").splitlines()
    assert kind == "DryRunConfirmationMailer" and len(lines) == 2  # appended, not started afresh
    first = json.loads(lines[0])
    assert first["to"] == "reader@example.org" and first["kind"] == "confirm"
    assert first["link"] == "https://daily.example.org/confirm?token=abc"
    assert first["subject"] == "Confirm your AI Daily subscription" and first["date"].endswith("+00:00")


def test_with_smtp_confirmations_are_mailed(tmp_path):
    with SmtpServer() as server:
        opened = settings(
            tmp_path, smtp_host="127.0.0.1", smtp_port=server.port, smtp_tls="none", email_from=FROM
        )
        kind = asyncio.run(send_through(opened, mail()))
        [received] = server.messages

    assert kind == "SmtpConfirmationMailer"
    assert received.mail_from == "daily@example.org" and received.rcpt_tos == ("reader@example.org",)
    assert not (tmp_path / "out" / CONFIRMATIONS_FILE).exists()


def test_the_message_is_text_then_html_and_escapes_the_link():
    message = build_message(mail(link=HOSTILE_LINK), FROM)

    parts = text_and_html(message)
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert HOSTILE_LINK in parts["text/plain"] and "<script>" not in parts["text/html"]
    assert "&lt;script&gt;" in parts["text/html"] and "&amp;b=1" in parts["text/html"]
    assert message["Auto-Submitted"] == "auto-generated" and message["To"] == "reader@example.org"
    assert message["Message-ID"].endswith("@example.org>") and message["Date"]


def test_a_from_address_without_an_address_is_refused(tmp_path):
    with SmtpServer() as server:
        opened = settings(tmp_path, smtp_host="127.0.0.1", smtp_port=server.port, email_from="AI Daily")
        with pytest.raises(ValueError, match="has no address"):
            asyncio.run(send_through(opened, mail()))


def test_real_sending_needs_a_secret_key_and_a_public_url(tmp_path):
    with pytest.raises(ConfigError, match="AIDAILY_SECRET_KEY and AIDAILY_PUBLIC_URL"):
        web_secrets(settings(tmp_path, smtp_host="mail.example.org", secret_key="s3cret"))
    with pytest.raises(ConfigError):
        web_secrets(settings(tmp_path, smtp_host="mail.example.org", public_url="https://daily.example.org"))


def test_without_mail_the_site_is_at_its_listening_address(tmp_path):
    assert web_secrets(settings(tmp_path, web_port=8123, secret_key="dev")) == (
        "dev",
        "http://127.0.0.1:8123",
    )
    configured = settings(tmp_path, secret_key="s3cret", public_url="https://daily.example.org")
    assert web_secrets(configured) == ("s3cret", "https://daily.example.org/")


@pytest.mark.parametrize("public_url", [None, "https://daily.example.org"])
def test_the_site_never_signs_with_the_public_development_key(tmp_path, public_url):
    with pytest.raises(ConfigError, match="AIDAILY_SECRET_KEY is not set"):
        web_secrets(settings(tmp_path, public_url=public_url))


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_access_log_lines_show_no_link_tokens():
    hide_in_logs()  # what every composition root installs
    kept = _Kept()
    # uvicorn's own logging config stops its access log from propagating: listen on each logger.
    loggers = [logging.getLogger("uvicorn.access"), logging.getLogger("x")]
    for logger in loggers:
        logger.addHandler(kept)
        logger.setLevel(logging.INFO)
    try:
        loggers[0].info(
            '%s - "%s %s HTTP/%s" %d',
            "203.0.113.9:4000",
            "GET",
            "/preferences?token=WzEsImEiXQ.sig&x=1",
            "1.1",
            200,
        )
        loggers[1].info("POST /unsubscribe?token=abc.def")
    finally:
        for logger in loggers:
            logger.removeHandler(kept)

    record, plain = kept.records
    assert record.getMessage() == '203.0.113.9:4000 - "GET /preferences?token=[redacted]&x=1 HTTP/1.1" 200'
    assert plain.getMessage() == "POST /unsubscribe?token=[redacted]"


def test_with_a_dkim_key_the_confirmation_verifies_at_the_receiver(tmp_path):
    key = rsa_key(1024)
    with SmtpServer() as server:
        opened = settings(
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            smtp_tls="none",
            email_from="AI Daily <daily@example.org>",
            dkim_private_key_file=key.write(tmp_path / "dkim.pem"),
            dkim_selector="web",
        )
        asyncio.run(send_through(opened, mail()))
        [received] = server.messages

    lookup = dns_for({"web._domainkey.example.org": key.txt})
    assert received.message["DKIM-Signature"] and dkim.verify(received.data, dnsfunc=lookup)
    tampered = received.data.replace(b"within 48 hours", b"within 99 hours")
    assert tampered != received.data and not dkim.verify(tampered, dnsfunc=lookup)


def test_the_site_serves_sign_up_archive_health_and_metrics_together(tmp_path):
    from asgi_client import get

    from app.web import build_app
    from core.report.importing.files import import_files
    from core.store import Store
    from web.confirm_mail import DryRunConfirmationMailer

    opened = settings(tmp_path)
    samples = sorted((Path(__file__).resolve().parent / "data" / "sample-reports").glob("*.md"))
    with Store.open(opened.database_url) as store:
        import_files(store, samples)
        mailer = DryRunConfirmationMailer(tmp_path / "confirmations.jsonl")
        app = build_app(opened, store, mailer, DEV_SECRET_KEY, "https://daily.example.org")
        assert "<form" in get(app, "/subscribe").text
        assert "2025-12-12" in get(app, "/reports/").text
        assert get(app, "/reports/2025-12-12/").status_code == 200
        assert get(app, "/healthz").json()["latest_report"] == "2025-12-12"
        metrics = get(app, "/metrics").text
        assert 'aidaily_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in metrics
