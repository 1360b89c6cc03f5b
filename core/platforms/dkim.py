"""DKIM signatures (RFC 6376) for the newsletter, with dkimpy.

Setup
-----
1. Make a key pair: ``openssl genrsa -out dkim.pem 2048`` (1024 bits at least; 2048 is what
   Gmail and Yahoo expect). Keep ``dkim.pem`` readable only by the service.
2. Publish the public half as a TXT record named ``<selector>._domainkey.<domain>``, where
   ``<domain>`` is the domain of ``AIDAILY_EMAIL_FROM`` and ``<selector>`` is
   ``AIDAILY_DKIM_SELECTOR`` (``aidaily``): ``v=DKIM1; k=rsa; p=<base64>``, the base64 being
   the body of ``openssl rsa -in dkim.pem -pubout`` without its ``-----`` lines.
3. ``AIDAILY_DKIM_PRIVATE_KEY_FILE=/path/to/dkim.pem``. Unset, mail goes out unsigned (let the
   relay sign it then, or receivers will not align DKIM with the From domain for DMARC).

Behaviour
---------
``DkimSigner.from_file(path, selector=..., domain=...)`` reads and checks the key once, at
start-up: a missing, unreadable or malformed file, or a key too short for receivers to accept,
raises ``DkimKeyError`` with a one-line message (the key itself never appears in it).
``signer.sign(message)`` returns the message with a ``DKIM-Signature`` header in front, over the
headers receivers and list tools look at (``SIGNED_HEADERS``), rsa-sha256, relaxed/relaxed
canonicalization (so relays that re-fold headers or trim trailing spaces do not break it). Each
recipient's message differs (its links), so every message is signed on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

#: Headers the signature covers; each is in every newsletter ``delivery.email_mime`` builds.
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)
#: Receivers (and dkimpy's own verifier) refuse shorter RSA keys.
MIN_KEY_BITS = 1024
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


class DkimKeyError(ValueError):
    """The configured DKIM key cannot be used; the message is one line, fit for the CLI."""


@dataclass(frozen=True, slots=True)
class DkimSigner:
    """Signs whole messages for ``domain`` with the PEM RSA key ``key`` under ``selector``."""

    key: bytes
    selector: str
    domain: str

    @classmethod
    def from_file(cls, path: Path, *, selector: str, domain: str) -> DkimSigner:
        """The signer for the key in ``path``; ``DkimKeyError`` if it is not a usable RSA key."""
        try:
            key = path.read_bytes()
        except OSError as exc:
            raise DkimKeyError(f"DKIM key file {path}: cannot read it ({exc.strerror or exc})") from None
        return cls.from_pem(key, selector=selector, domain=domain, origin=str(path))

    @classmethod
    def from_pem(cls, key: bytes, *, selector: str, domain: str, origin: str = "DKIM key") -> DkimSigner:
        _check_names(selector, domain)
        key = key.replace(b"\r\n", b"\n")  # dkimpy finds the base64 between "--\n" and "\n--"
        bits = _key_bits(key, origin)
        if bits < MIN_KEY_BITS:
            raise DkimKeyError(f"{origin}: a {bits}-bit RSA key; receivers want at least {MIN_KEY_BITS}")
        return cls(key, selector, domain.lower())

    @property
    def dns_name(self) -> str:
        """Where receivers look up the public key."""
        return f"{self.selector}._domainkey.{self.domain}"

    def sign(self, message: bytes) -> bytes:
        """``message`` (CRLF line ends) with its ``DKIM-Signature`` header prepended."""
        header = dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[name.encode("ascii") for name in SIGNED_HEADERS],
        )
        return header + message

    def __repr__(self) -> str:  # never the key
        return f"DkimSigner(selector={self.selector!r}, domain={self.domain!r})"


def _key_bits(key: bytes, origin: str) -> int:
    try:
        parsed = parse_pem_private_key(key)
    except (UnparsableKeyError, ValueError, IndexError, TypeError):
        raise DkimKeyError(f"{origin}: not a PEM RSA private key (PKCS#1 or PKCS#8)") from None
    modulus = parsed["modulus"]
    if not isinstance(modulus, int) or modulus <= 0:
        raise DkimKeyError(f"{origin}: not a PEM RSA private key (PKCS#1 or PKCS#8)")
    return modulus.bit_length()


def _check_names(selector: str, domain: str) -> None:
    if not all(_LABEL.match(part) for part in selector.split(".")):
        raise DkimKeyError(f"DKIM selector {selector!r} is not a DNS name")
    if "." not in domain or not all(_LABEL.match(part) for part in domain.split(".")):
        raise DkimKeyError(f"DKIM signing domain {domain!r} (from AIDAILY_EMAIL_FROM) is not a DNS name")
