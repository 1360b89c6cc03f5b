"""The email newsletter against a real SMTP server (aiosmtpd) on loopback.

Messages are read back with the standard email parser; faults (450, 421, 550, a connection
dropped mid-batch) are scripted on the server, not mocked in our code.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fakes.reports import DAY, synthetic_report
from fakes.smtp_server import Received, SmtpServer

from app.channels import deliver_channels
from app.delivery_output import runs_report
from core.config import Settings
from core.links import BadToken, Links, make_token, verify_token
from core.models import Channel, Item, Report, Section, SourceLink, Subscription, SubscriptionStatus
from core.platforms.smtp import SmtpOptions, SmtpSender
from core.store import Store
from delivery.dispatch import MemoryLedger, deliver_all
from delivery.email import EmailAdapter, SmtpMailer
from delivery.email_render import EmailRenderer, mjml_to_html

PUBLIC = "https://daily.example.org"
SECRET = "test-secret-key"
HOSTILE_TITLE = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture
def report() -> Report:
    return synthetic_report({"top_headlines": 2, "research": 3})


def settings_for(server: SmtpServer, tmp_path: Path, **extra) -> Settings:
    values = {
        "database_url": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "out_dir": tmp_path / "out",
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port,
        "smtp_tls": "none",
        "secret_key": SECRET,
        "public_url": PUBLIC,
        "email_from": "AI Daily <daily@example.org>",
    }
    return Settings(**(values | extra))


def email(address: str, status=SubscriptionStatus.CONFIRMED, **options) -> Subscription:
    return Subscription(Channel.EMAIL, address, status=status, **options)


def adapter_for(server: SmtpServer, renderer: EmailRenderer | None = None, **options) -> EmailAdapter:
    smtp = SmtpOptions("127.0.0.1", server.port, tls="none", backoff=0.01, **options)
    return EmailAdapter(
        SmtpMailer(SmtpSender(smtp)),
        renderer or EmailRenderer(archive_url=lambda r: f"{PUBLIC}/reports/{r.date}/"),
        Links(PUBLIC, SECRET),
        from_address="AI Daily <daily@example.org>",
    )


async def _deliver(adapter: EmailAdapter, report: Report, subs, ledger):
    try:
        return await deliver_all(adapter, report, subs, ledger)
    finally:
        await adapter.mailer.sender.aclose()  # type: ignore[attr-defined]


def run(adapter: EmailAdapter, report: Report, subs, ledger=None):
    return asyncio.run(_deliver(adapter, report, subs, ledger if ledger is not None else MemoryLedger()))


def parts(received: Received) -> dict[str, str]:
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


# --- end to end, through the channel registry and the store ------------------------------------


def test_a_confirmed_subscriber_gets_exactly_one_email_and_the_others_nothing(server, report, tmp_path):
    settings = settings_for(server, tmp_path)
    with Store.open(settings.database_url) as store:
        confirmed, _ = store.add_subscription(email("reader@example.org"))
        for address, status in [
            ("pending@example.org", SubscriptionStatus.PENDING),
            ("gone@example.org", SubscriptionStatus.UNSUBSCRIBED),
            ("bounced@example.org", SubscriptionStatus.BOUNCED),
        ]:
            store.add_subscription(email(address, status))
        [run1] = asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))
        [run2] = asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))  # again: no-op
        record = store.delivery_records(report.date)[0]

    assert run1.dry_run_reason is None and not run1.failed
    assert [r.subscription.address for r in run1.results] == ["reader@example.org"]
    assert run2.results[0].already_sent == 1 and run2.results[0].sent == 0
    [received] = server.messages
    assert received.rcpt_tos == ("reader@example.org",) and received.mail_from == "daily@example.org"
    message = received.message
    assert message["Message-ID"] == record.platform_id
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Subject"] == report.title
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    https, mailto = [v.strip().strip("<>") for v in message["List-Unsubscribe"].split(",")]
    assert https.startswith(f"{PUBLIC}/unsubscribe?token=") and mailto.startswith("mailto:daily@example.org")
    token = parse_qs(urlsplit(https).query)["token"][0]
    assert verify_token(SECRET, token).subscription_id == confirmed.id

    body = parts(received)
    assert set(body) == {"text/plain", "text/html"}
    html, text = body["text/html"], body["text/plain"]
    assert https.replace("&", "&amp;") in html and https in text
    assert f"{PUBLIC}/preferences?token=" in html and f"{PUBLIC}/preferences?token=" in text
    assert f"{PUBLIC}/reports/{DAY}/" in html and f"{PUBLIC}/reports/{DAY}/" in text
    assert "reader@example.org" in html and '<meta name="color-scheme" content="light dark"' in html
    for item in report.items:
        assert item.title in text


def test_a_550_marks_the_address_bounced_and_it_gets_no_further_mail(server, report, tmp_path):
    settings = settings_for(server, tmp_path)
    server.refuse("nobody@example.org", 550, times=None)
    with Store.open(settings.database_url) as store:
        bad, _ = store.add_subscription(email("nobody@example.org"))
        store.add_subscription(email("reader@example.org"))
        [first] = asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))
        assert store.get_subscription(bad.id).status == SubscriptionStatus.BOUNCED
        tomorrow = dataclasses.replace(report, date=report.date.replace(day=report.date.day + 1))
        [second] = asyncio.run(deliver_channels(store, tomorrow, settings, [Channel.EMAIL]))

    failed = [r for r in first.results if not r.complete]
    assert [r.subscription.address for r in failed] == ["nobody@example.org"]
    assert failed[0].permanent and "550" in (failed[0].error or "")
    assert [r.subscription.address for r in second.results] == ["reader@example.org"]
    assert server.refused == [("nobody@example.org", 550)]  # 5xx is never retried
    assert [m.rcpt_tos for m in server.messages] == [("reader@example.org",)] * 2


def test_without_an_smtp_host_the_email_is_written_to_out(report, tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", out_dir=tmp_path / "out")
    with Store.open(settings.database_url) as store:
        store.add_subscription(email("reader@example.org"))
        [run_] = asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))
        assert store.delivery_records(report.date) == []  # a dry run records nothing
    assert run_.dry_run_reason == "AIDAILY_SMTP_HOST is not set"
    out = tmp_path / "out"
    html = (out / f"{DAY}.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "/unsubscribe?token=" in html
    assert (out / f"{DAY}.txt").read_text(encoding="utf-8").startswith(report.title)
    [call] = [json.loads(line) for line in (out / f"{DAY}.email.jsonl").read_text().splitlines()]
    assert call["method"] == "smtp.sendmail" and call["params"]["To"] == "reader@example.org"


# --- SMTP faults --------------------------------------------------------------------------------


def test_a_554_at_data_stops_the_run_reports_it_and_bounces_nobody(server, report, tmp_path):
    settings = settings_for(server, tmp_path)
    server.reject_data(554, "5.7.1 Message rejected as spam")
    with Store.open(settings.database_url) as store:
        everyone = [store.add_subscription(email(f"r{n}@example.org"))[0] for n in range(20)]
        [stopped] = asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))
        statuses = {store.get_subscription(s.id).status for s in everyone}
        shown = "\n".join(str(line) for line in runs_report([stopped]) if isinstance(line, str))
        server.heal()
        [resumed] = asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))

    assert statuses == {SubscriptionStatus.CONFIRMED}  # a refused message is nobody's dead mailbox
    assert stopped.failed and "554 5.7.1 Message rejected as spam" in (stopped.stopped or "")
    assert "email: stopped" in shown and "not tried" in shown
    tried = len(server.rejected)
    assert 1 <= tried <= 4 < 20  # the run stopped: only the sends already in flight were refused
    assert stopped.totals.subscriptions == tried and stopped.totals.incomplete == tried
    assert not resumed.failed and resumed.totals.sent == 20
    assert sorted(a for m in server.messages for a in m.rcpt_tos) == sorted(s.address for s in everyone)


def test_a_rcpt_550_5_1_1_bounces_just_that_address_and_the_run_goes_on(server, report, tmp_path):
    settings = settings_for(server, tmp_path)
    server.refuse("r7@example.org", 550, times=None, text="5.1.1 <r7@example.org>: user unknown")
    with Store.open(settings.database_url) as store:
        everyone = [store.add_subscription(email(f"r{n}@example.org"))[0] for n in range(20)]
        [run_] = asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))
        statuses = {s.address: store.get_subscription(s.id).status for s in everyone}

    assert run_.stopped is None and run_.totals.incomplete == 1 and run_.totals.sent == 19
    assert [a for a, status in statuses.items() if status != SubscriptionStatus.CONFIRMED] == [
        "r7@example.org"
    ]
    assert statuses["r7@example.org"] == SubscriptionStatus.BOUNCED
    assert len(server.messages) == 19 and not server.to("r7@example.org")


@pytest.mark.parametrize(
    ("fault", "bounced"),
    [
        (("rcpt", 550, "5.7.1 Relaying denied"), False),  # the relay says no to everyone
        (("rcpt", 553, "5.1.8 Sender address rejected"), False),  # our sender, not the mailbox
        (("data", 550, "Message content rejected"), False),  # after DATA, no address code
        (("data", 552, "5.3.4 Message too big for system"), False),
        (("data", 550, "5.1.1 Mailbox unknown"), True),  # recipient checked only at DATA
        (("rcpt", 550, "Requested action not taken: mailbox unavailable"), True),
    ],
)
def test_only_replies_about_the_mailbox_bounce_it(server, report, tmp_path, fault, bounced):
    stage, code, text = fault
    settings = settings_for(server, tmp_path)
    if stage == "rcpt":
        server.refuse("r0@example.org", code, times=None, text=text)
    else:
        server.reject_data(code, text)
    with Store.open(settings.database_url) as store:
        first, _ = store.add_subscription(email("r0@example.org"))
        store.add_subscription(email("r1@example.org"))
        [run_] = asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))
        status = store.get_subscription(first.id).status

    assert (status == SubscriptionStatus.BOUNCED) is bounced
    assert (run_.stopped is None) is bounced  # a refusal of the message stops the run
    [result] = [r for r in run_.results if r.subscription.address == "r0@example.org"]
    assert f"{code} {text}" in (result.error or "") and result.permanent


def subs(n: int) -> list[Subscription]:
    return [email(f"r{i}@example.org", id=i + 1) for i in range(n)]


def test_a_450_is_retried_and_delivered_once(server, report):
    server.refuse("r0@example.org", 450)
    [result] = run(adapter_for(server), report, subs(1))
    assert result.complete
    assert server.refused == [("r0@example.org", 450)]
    assert len(server.to("r0@example.org")) == 1


def test_a_421_closes_the_connection_and_the_retry_opens_a_new_one(server, report):
    server.refuse("r1@example.org", 421)
    results = run(adapter_for(server, connections=1), report, subs(3))
    assert all(r.complete for r in results)
    assert sorted(a for m in server.messages for a in m.rcpt_tos) == [f"r{i}@example.org" for i in range(3)]
    assert server.connections == 2


def test_connections_are_reused_across_recipients(server, report):
    results = run(adapter_for(server, connections=2), report, subs(12))
    assert all(r.complete for r in results) and len(server.messages) == 12
    assert server.connections <= 2


def test_a_connection_dropped_mid_batch_then_a_resume_loses_no_one_and_duplicates_no_one(server, report):
    ledger = MemoryLedger()
    everyone = subs(10)
    server.drop_after(4)
    first = run(adapter_for(server, attempts=2), report, everyone, ledger)
    assert 4 <= sum(r.complete for r in first) < 10
    assert not any(r.permanent for r in first)
    server.heal()
    second = run(adapter_for(server), report, everyone, ledger)
    assert all(r.complete for r in second)
    counts = {s.address: len(server.to(s.address)) for s in everyone}
    assert counts == {s.address: 1 for s in everyone}
    assert sum(r.sent for r in first) + sum(r.sent for r in second) == 10


def test_only_confirmed_subscriptions_are_mailed_even_when_handed_others(server, report):
    others = [email("p@example.org", SubscriptionStatus.PENDING, id=1)]
    others.append(email("u@example.org", SubscriptionStatus.UNSUBSCRIBED, id=2))
    results = run(adapter_for(server), report, others)
    assert not any(r.complete for r in results) and all(r.permanent for r in results)
    assert server.messages == []


# --- the rendered email ---------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def hostile_report() -> Report:
    base = synthetic_report({"research": 2}, nasty=True)
    evil = Item(
        section="research",
        title=HOSTILE_TITLE,
        summary="x</p></td></tr></table><a href='javascript:alert(3)'>click</a>",
        importance_reason='" onmouseover="alert(4)',
        sources=(
            SourceLink("js", "javascript:alert(5)"),
            SourceLink('q"><script>', 'https://ok.example.org/?q="><script>alert(6)</script>'),
        ),
    )
    research = base.section("research")
    sections = tuple(
        Section(s.key, s.heading, (evil, *s.items)) if s is research else s for s in base.sections
    )
    return dataclasses.replace(base, sections=sections)


def test_hostile_feed_text_cannot_inject_markup():
    compiled = EmailRenderer().for_subscription(hostile_report(), (), None)
    html, text = compiled.personalize(
        {"unsubscribe_url": f'{PUBLIC}/u?a=1&b="', "preferences_url": "p", "address": "<b>x"}
    )
    parser = _Tags()
    parser.feed(html)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "img", "iframe", "object", "form"}
    for _tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs), attrs
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("https://", "http://", "#", "p")), href
    assert "&lt;script&gt;" in html and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="https://ok.example.org/?q=%22%3E%3Cscript%3Ealert%286%29%3C/script%3E"' in html
    assert "javascript:alert(5)" not in text and "&lt;b&gt;x" in html


def test_a_60_item_report_stays_under_100_kb_of_html():
    report = synthetic_report()
    assert len(report.items) == 60
    compiled = EmailRenderer(archive_url=lambda r: f"{PUBLIC}/reports/{r.date}/").for_subscription(
        report, (), None
    )
    html, text = compiled.personalize(
        {
            "unsubscribe_url": f"{PUBLIC}/unsubscribe?token=" + "x" * 90,
            "preferences_url": f"{PUBLIC}/preferences?token=" + "x" * 90,
            "address": "someone.with.a.long.name@example.org",
        }
    )
    assert len(html.encode("utf-8")) < 100_000
    assert len(text) > 0


def test_the_template_is_compiled_once_per_report_not_per_recipient(server, report):
    calls: list[int] = []

    def counting(source: str) -> str:
        calls.append(1)
        return mjml_to_html(source)

    renderer = EmailRenderer(compile_mjml=counting)
    run(adapter_for(server, renderer), report, subs(8))
    assert len(calls) == 1 and len(server.messages) == 8
    english = [email("en@example.org", id=99, language="en")]
    run(adapter_for(server, renderer), report, english)
    assert len(calls) == 2  # another variant (language), still once for all its recipients
    assert "Unsubscribe" in parts(server.to("en@example.org")[0])["text/html"]


def test_a_subscription_gets_only_its_sections(report):
    compiled = EmailRenderer().for_subscription(report, ("research",), "en")
    html, text = compiled.personalize({"unsubscribe_url": "u", "preferences_url": "p", "address": "a"})
    assert "Model &amp; Research Updates" in html and "Top Headlines" not in html
    assert all(item.title in text for item in report.section("research").items)
    assert not any(item.title in text for item in report.section("top_headlines").items)
    assert 'href="#research"' in html and 'id="research"' in html


def test_placeholder_values_are_replaced_once_and_escaped(report):
    compiled = EmailRenderer().for_subscription(report, (), None)
    sneaky = compiled.placeholder("address")  # a value that looks like a placeholder stays as it is
    html, text = compiled.personalize({"unsubscribe_url": sneaky, "preferences_url": "p", "address": "<i>"})
    assert "&lt;i&gt;" in html and "<i>" in text and html.count(sneaky) == 1
    assert (
        "@@" not in compiled.personalize({"unsubscribe_url": "u", "preferences_url": "p", "address": "a"})[0]
    )


# --- signed tokens ------------------------------------------------------------------------------


def test_tokens_verify_and_refuse_tampering():
    sub = email("reader@example.org", id=42)
    token = make_token(SECRET, sub)
    assert verify_token(SECRET, token).subscription_id == 42
    assert verify_token(SECRET, token).address == "reader@example.org"
    with pytest.raises(BadToken):
        verify_token("another-secret", token)
    with pytest.raises(BadToken):
        verify_token(SECRET, token, "preferences")  # one purpose's token is not another's
    with pytest.raises(BadToken):
        verify_token(SECRET, token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    url = Links(PUBLIC, SECRET).unsubscribe(sub)
    assert verify_token(SECRET, parse_qs(urlsplit(url).query)["token"][0]).subscription_id == 42


def test_the_wire_message_decodes_to_exactly_the_personalised_parts():
    from email import policy
    from email.parser import BytesParser

    compiled = EmailRenderer().for_subscription(hostile_report(), (), "zh-TW")
    values = {
        "unsubscribe_url": f"{PUBLIC}/unsubscribe?token=a.b-c",
        "preferences_url": "p",
        "address": "é@x.org",
    }
    headers = {"From": "AI 日報 <daily@example.org>", "To": "r@example.org", "Message-ID": "<1@x>"}
    data = compiled.message_bytes(headers, values)
    head, _, body = data.partition(b"\r\n\r\n")
    assert max(map(len, head.split(b"\r\n"))) <= 998 and max(map(len, body.split(b"\r\n"))) <= 76
    message = BytesParser(policy=policy.default).parsebytes(data)
    html, text = compiled.personalize(values)
    # Text travels with CRLF line ends, as MIME wants; otherwise the parts are exactly these.
    decoded = {p.get_content_type(): p.get_content().replace("\r\n", "\n") for p in message.iter_parts()}
    assert decoded == {
        "text/plain": text,
        "text/html": html,
    }
    assert message["Subject"] == compiled.subject and message["From"].addresses[0].display_name == "AI 日報"
    with pytest.raises(ValueError, match="line break"):
        compiled.message_bytes({"To": "a@b.org\r\nBcc: evil@x.org"}, values)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_starttls_and_login_before_sending(certificate, report):
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    with SmtpServer(tls=server_tls, login=("mailer", "s3cret")) as server:
        options = {"tls": "starttls", "username": "mailer", "password": "s3cret", "tls_context": client_tls}
        smtp = SmtpOptions("127.0.0.1", server.port, backoff=0.01, **options)
        adapter = EmailAdapter(
            SmtpMailer(SmtpSender(smtp)),
            EmailRenderer(),
            Links(PUBLIC, SECRET),
            from_address="daily@example.org",
        )
        results = run(adapter, report, subs(2))
        assert all(r.complete for r in results) and len(server.messages) == 2
        wrong = dataclasses.replace(smtp, password="nope")
        bad = EmailAdapter(
            SmtpMailer(SmtpSender(wrong)),
            EmailRenderer(),
            Links(PUBLIC, SECRET),
            from_address="daily@example.org",
        )
        [refused] = run(bad, report, subs(1))
        assert not refused.complete and "login refused" in (refused.error or "") and not refused.permanent


def test_the_send_rate_spaces_messages_over_all_connections(server, report):
    start = time.monotonic()
    results = run(adapter_for(server, rate=5, connections=3), report, subs(7))
    assert all(r.complete for r in results) and len(server.messages) == 7
    assert time.monotonic() - start >= 0.95  # five in the first second, the other two after it
