"""DKIM: the newsletter, signed, through the real aiosmtpd fake, verified as a receiver would.

The RSA key is made here (dkimpy has no key generator of its own but ``openssl``, and
``cryptography`` is not installed): two random probable primes and the PKCS#1 DER of the key,
written by the few lines below. ``dkim.verify`` then looks the public key up through a
``dnsfunc`` that answers ``<selector>._domainkey.<domain>`` with ``v=DKIM1; k=rsa; p=...``.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import dkim
import pytest
from fakes.reports import synthetic_report
from fakes.smtp_server import SmtpServer

from app.channels import deliver_channels, dkim_signer
from core.config import Settings
from core.models import Channel, Subscription
from core.platforms.dkim import DkimKeyError, DkimSigner
from core.store import Store

SELECTOR = "news2026"
DOMAIN = "example.org"

# --- an RSA key, without openssl ----------------------------------------------------------------

_SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2))]


def _probably_prime(n: int, rounds: int = 32) -> bool:
    """Miller-Rabin after trial division by the small primes."""
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (3 << (bits - 2)) | 1  # top two bits: n has 2*bits
        if _probably_prime(candidate):
            return candidate


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _seq(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


@dataclass(frozen=True)
class RsaKey:
    pem: bytes  # PKCS#1 "RSA PRIVATE KEY"
    txt: bytes  # the DNS TXT record of its public half

    def write(self, path: Path) -> Path:
        path.write_bytes(self.pem)
        return path


def rsa_key(bits: int = 2048, e: int = 65537) -> RsaKey:
    """A fresh RSA key: its PEM and its DKIM DNS record (SubjectPublicKeyInfo in ``p=``)."""
    while True:
        p, q = _prime(bits // 2), _prime(bits // 2)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            break
    n, d = p * q, pow(e, -1, phi)
    private = _seq(*map(_int, (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))))
    body = base64.encodebytes(private).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    pem = b"\n".join([b"-----BEGIN RSA PRIVATE KEY-----", *lines, b"-----END RSA PRIVATE KEY-----", b""])
    rsa_oid = _der(0x06, bytes.fromhex("2a864886f70d010101"))
    spki = _seq(_seq(rsa_oid, _der(0x05, b"")), _der(0x03, b"\x00" + _seq(_int(n), _int(e))))
    return RsaKey(pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(spki))


@pytest.fixture(scope="module")
def key() -> RsaKey:
    return rsa_key()


def dns_for(records: dict[str, bytes]):
    """A ``dnsfunc`` for dkimpy: TXT lookups answered from ``records`` (names without the dot)."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return records.get(name.decode("ascii").rstrip(".").lower())

    return lookup


def settings_for(server: SmtpServer, tmp_path: Path, db_url: str, **extra) -> Settings:
    values = {
        "database_url": db_url,
        "out_dir": tmp_path / "out",
        "smtp_host": "127.0.0.1",
        "smtp_port": server.port,
        "smtp_tls": "none",
        "secret_key": "test-secret-key",
        "public_url": "https://daily.example.org",
        "email_from": f"AI Daily <daily@{DOMAIN}>",
        "dkim_selector": SELECTOR,
    }
    return Settings(**(values | extra))


def send_to(settings: Settings, addresses: list[str]):
    report = synthetic_report({"top_headlines": 3, "research": 4})
    with Store.open(settings.database_url) as store:
        for address in addresses:
            store.add_subscription(Subscription(Channel.EMAIL, address))
        return asyncio.run(deliver_channels(store, report, settings, [Channel.EMAIL]))


# --- signing end to end -------------------------------------------------------------------------


def test_a_signed_newsletter_verifies_at_the_receiver_and_a_tampered_one_does_not(key, tmp_path, db_url):
    dns = dns_for({f"{SELECTOR}._domainkey.{DOMAIN}": key.txt})
    with SmtpServer() as server:
        settings = settings_for(server, tmp_path, db_url, dkim_private_key_file=key.write(tmp_path / "k.pem"))
        [run] = send_to(settings, ["reader@example.org", "other@example.net"])
    assert run.error is None and not run.failed
    first, second = server.messages
    for received in (first, second):
        assert received.data.startswith(b"DKIM-Signature: ")
        assert dkim.verify(received.data, dnsfunc=dns)

    tags = _signature_tags(first.data)
    assert tags["d"] == DOMAIN and tags["s"] == SELECTOR and tags["a"] == "rsa-sha256"
    assert tags["c"] == "relaxed/relaxed"
    assert set(tags["h"].lower().split(":")) >= {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "mime-version",
        "content-type",
    }
    assert _signature_tags(second.data)["b"] != tags["b"]  # each recipient's message signed on its own

    link = re.search(rb"unsubscribe\?token=[^\s\"<>=]+", first.data)
    assert link is not None
    tampered_body = first.data.replace(link.group(), link.group()[:-3] + b"AAA", 1)
    assert tampered_body != first.data and not dkim.verify(tampered_body, dnsfunc=dns)
    tampered_to = first.data.replace(b"To: reader@example.org", b"To: victim@example.org", 1)
    assert tampered_to != first.data and not dkim.verify(tampered_to, dnsfunc=dns)
    assert not dkim.verify(first.data, dnsfunc=dns_for({}))  # no key published: no pass


def test_relaxed_canonicalization_survives_a_relay_that_refolds_and_pads(key):
    signer = DkimSigner.from_pem(key.pem, selector=SELECTOR, domain=DOMAIN)
    message = (
        b"From: AI Daily <daily@example.org>\r\nTo: reader@example.org\r\nSubject: Today in AI\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nline one\r\nline two\r\n"
    )
    signed = signer.sign(message)
    relayed = signed.replace(b"Subject: Today in AI", b"Subject:   Today\r\n   in AI").replace(
        b"line one\r\n", b"line  one   \r\n"
    )
    dns = dns_for({f"{SELECTOR}._domainkey.{DOMAIN}": key.txt})
    assert dkim.verify(signed, dnsfunc=dns) and dkim.verify(relayed, dnsfunc=dns)
    assert not dkim.verify(signed.replace(b"line two", b"line 2"), dnsfunc=dns)


def test_without_a_key_file_mail_goes_out_unsigned(tmp_path, db_url):
    with SmtpServer() as server:
        [run] = send_to(settings_for(server, tmp_path, db_url), ["reader@example.org"])
    assert not run.failed
    [received] = server.messages
    assert b"DKIM-Signature" not in received.data
    head, _, body = received.data.partition(b"\r\n\r\n")  # the header ends with an empty line
    assert b"\r\nContent-Type: multipart/alternative" in head and body.startswith(b"--=_aidaily_")
    assert received.message.defects == []


# --- a key that cannot be used ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read it"),
        (b"", "not a PEM RSA private key"),
        (b"hello, I am not a key\n", "not a PEM RSA private key"),
        (b"-----BEGIN RSA PRIVATE KEY-----\nbm90IGRlcg==\n-----END RSA PRIVATE KEY-----\n", "not a PEM"),
    ],
    ids=["missing", "empty", "text", "base64-not-der"],
)
def test_an_unusable_key_file_is_one_clear_line(tmp_path, content, expected):
    path = tmp_path / "dkim.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DkimKeyError) as caught:
        DkimSigner.from_file(path, selector=SELECTOR, domain=DOMAIN)
    message = str(caught.value)
    assert expected in message and str(path) in message and "\n" not in message


def test_a_short_key_or_a_bad_selector_is_refused(key, tmp_path):
    short = rsa_key(bits=512)
    with pytest.raises(DkimKeyError, match="512-bit"):
        DkimSigner.from_pem(short.pem, selector=SELECTOR, domain=DOMAIN)
    with pytest.raises(DkimKeyError, match="selector"):
        DkimSigner.from_pem(key.pem, selector="bad selector;", domain=DOMAIN)
    with pytest.raises(DkimKeyError, match="domain"):
        DkimSigner.from_pem(key.pem, selector=SELECTOR, domain="localhost")


def test_a_bad_key_stops_the_email_channel_with_its_reason_and_sends_nothing(tmp_path, db_url):
    bad = tmp_path / "dkim.pem"
    bad.write_bytes(b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNoaGg=\n-----END PRIVATE KEY-----\n")
    with SmtpServer() as server:
        settings = settings_for(server, tmp_path, db_url, dkim_private_key_file=bad)
        [run] = send_to(settings, ["reader@example.org"])
    assert run.failed and run.error is not None
    assert run.error.startswith("DkimKeyError: ") and "not a PEM RSA private key" in run.error
    assert "c2VjcmV0" not in run.error  # the key's content is never shown
    assert server.messages == []


def test_the_signing_domain_is_the_from_domain_and_crlf_key_files_load(key, tmp_path):
    path = tmp_path / "crlf.pem"
    path.write_bytes(key.pem.replace(b"\n", b"\r\n"))
    settings = Settings(
        email_from="AI Daily <Daily@News.Example.org>", dkim_private_key_file=path, dkim_selector=SELECTOR
    )
    signer = dkim_signer(settings)
    assert signer is not None and signer.domain == "news.example.org"
    assert signer.dns_name == f"{SELECTOR}._domainkey.news.example.org"
    assert "PRIVATE" not in repr(signer)
    assert dkim_signer(Settings()) is None


def _signature_tags(data: bytes) -> dict[str, str]:
    header = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    value = re.match(r"DKIM-Signature: (.*?)\r\n(?=\S)", header, re.DOTALL)
    assert value is not None
    unfolded = re.sub(r"\s+", "", value.group(1))
    return dict(tag.split("=", 1) for tag in unfolded.split(";") if tag)
