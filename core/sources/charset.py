"""Feed bytes to text: the declared charset where it fits, detection where it does not, and a note.

feedparser, handed bytes that its declared charset cannot decode, silently falls back to
windows-1252 or iso-8859-2: one stray byte in a UTF-8 Chinese feed, or a Big5 feed labelled UTF-8,
comes out as "ç™žĺşŚ…" with no error at all. So feeds are decoded here first and handed on as
UTF-8, in this order:

1. a byte-order mark wins: it does not get there by accident;
2. the declared charset (the HTTP header, then the XML declaration, UTF-8 when neither says),
   when every byte decodes with it;
3. when only a few bytes are bad (at most one for every ``_GOOD_PER_BAD`` good non-ASCII
   characters: a stray byte, a truncated character), still the declared charset, with just the bad
   bytes replaced by U+FFFD;
4. otherwise the bytes are not in the declared charset at all, and charset-normalizer says which
   charset they are in.

Steps 3 and 4 come with a one-line ``note``: the feed is usable but not clean, and its health
says so.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

# In a feed in the wrong charset, bad sequences outnumber good characters (a Big5 feed read as
# UTF-8: 3,074 bad to 522 good); a UTF-8 feed with stray bytes has thousands of good ones to each.
_GOOD_PER_BAD = 10
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Labels sites use for a superset they really send (WHATWG's encoding standard does the same):
# "gb2312" pages are GBK, "big5" pages from Taiwan are Microsoft's cp950 (the euro sign, ETEN).
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "cp950"}
_SINGLE_BYTE = frozenset({"iso8859-1", "cp1252", "ascii"})  # codecs.lookup() names
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_XML_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([\w.:-]+)["']""")
_XML_ENCODING_TEXT = re.compile(r"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([\w.:-]+)["']""")


@dataclass(frozen=True, slots=True)
class Decoded:
    """A feed's text as UTF-8 bytes (its XML declaration saying so), and what was wrong, if anything."""

    utf8: bytes
    encoding: str
    note: str | None = None


def decode_feed(content: bytes, content_type: str = "") -> Decoded:
    """Decode ``content`` as the module docstring says; never raises."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return _decoded(content.decode(encoding, "replace"), encoding)
    declared = _declared(content, content_type)
    encoding = _codec(declared) or "utf-8"
    if encoding in _SINGLE_BYTE and _is_non_ascii_utf8(content):
        # Latin-1 decodes any bytes, so it never fails; non-ASCII text that is valid UTF-8 is, in
        # practice, never really Latin-1.
        return _decoded(content.decode("utf-8"), "utf-8")
    text = content.decode(encoding, "replace")
    bad = _bad_sequences(text, content)
    if not bad:
        return _decoded(text, encoding)
    if bad * _GOOD_PER_BAD <= _good_non_ascii(text):
        return _decoded(text, encoding, _replaced(bad, encoding))
    return _detected(content, encoding, text, bad)


def _declared(content: bytes, content_type: str) -> str | None:
    found = _CHARSET.search(content_type)
    if found:
        return found.group(1).lower()
    found = _XML_ENCODING.match(content[:300])
    return found.group(1).decode("ascii").lower() if found else None


def _codec(label: str | None) -> str | None:
    """Python's codec for a charset label, or None for a label it does not know."""
    if label is None:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def _is_non_ascii_utf8(content: bytes) -> bool:
    if content.isascii():
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _bad_sequences(text: str, content: bytes) -> int:
    # U+FFFD written as real UTF-8 in the feed is not a decoding error of ours.
    return max(0, text.count("\ufffd") - content.count("\ufffd".encode()))


def _good_non_ascii(text: str) -> int:
    ascii_chars = len(text.encode("ascii", "ignore"))  # counted in C: feeds run to megabytes
    return len(text) - ascii_chars - text.count("\ufffd")


def _detected(content: bytes, declared: str, fallback: str, bad: int) -> Decoded:
    best = charset_normalizer.from_bytes(content).best()
    encoding = _codec(best.encoding if best else None)
    if encoding is None or encoding == declared:
        # No charset reads it better: the declared one, repaired, is the best there is.
        return _decoded(fallback, declared, _replaced(bad, declared))
    text = content.decode(encoding, "replace")
    repaired = _bad_sequences(text, content)
    note = f"declared {declared} but the bytes are not; decoded as {encoding} (detected)"
    if repaired:
        note += f", {_replaced(repaired, encoding)}"
    return _decoded(text, encoding, note)


def _decoded(text: str, encoding: str, note: str | None = None) -> Decoded:
    text = text.removeprefix("\ufeff")
    declaration = _XML_ENCODING_TEXT.match(text)
    if declaration:  # the text is handed on as UTF-8, so its declaration must say so
        text = f"{text[: declaration.start(1)]}utf-8{text[declaration.end(1) :]}"
    return Decoded(text.encode("utf-8"), encoding, f"decoding: {note}" if note else None)


def _replaced(bad: int, encoding: str) -> str:
    return f"{_plural(bad, 'undecodable byte sequence')} in {encoding} replaced"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
