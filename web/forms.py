"""Reading the subscribe and preferences forms into plain values, or into errors to show.

Pure functions over the posted fields. The address goes through ``email_validator`` (syntax
only: deliverability is what the double opt-in proves) and is stored in its normalized form,
so ``Reader@EXAMPLE.org`` and ``reader@example.org`` are one subscription. Sections and
language are checked against the same lists the CLI uses (``core.subscriptions``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from core.models import ALL_SECTIONS
from core.subscriptions import LANGUAGES, parse_language, parse_sections

#: Longer input is refused before validation; RFC 5321 caps a path at 254 characters.
MAX_ADDRESS = 254
DEFAULT_LANGUAGE = "zh-TW"
LANGUAGE_NAMES = {"zh-TW": "繁體中文 (zh-TW)", "en": "English (en)"}


@dataclass(frozen=True, slots=True)
class Choices:
    """What a reader chose: item sections (empty: all) and the language of the fixed words."""

    sections: tuple[str, ...]
    language: str


@dataclass(frozen=True, slots=True)
class SignUp:
    address: str  # normalized
    choices: Choices


class FormError(ValueError):
    """A field the reader must correct; the message is shown on the form (escaped)."""


def read_address(text: object) -> str:
    """The normalized address, or ``FormError``."""
    if not isinstance(text, str) or not text.strip():
        raise FormError("Please enter your email address.")
    if len(text) > MAX_ADDRESS:
        raise FormError("That email address is too long.")
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise FormError(f"That is not a valid email address: {exc}") from None


def read_choices(sections: Sequence[object], language: object) -> Choices:
    """Checked sections and language; every section ticked (or none) means all of them."""
    keys = [key for key in sections if isinstance(key, str)]
    if len(keys) != len(sections):
        raise FormError("Unknown section.")
    try:
        chosen = parse_sections(",".join(keys))
        picked = parse_language(language if isinstance(language, str) and language else DEFAULT_LANGUAGE)
    except ValueError:
        raise FormError("Please choose sections and a language from the lists.") from None
    everything = len(chosen) == len(ALL_SECTIONS)
    return Choices(() if everything else chosen, picked or DEFAULT_LANGUAGE)


def read_sign_up(address: object, sections: Sequence[object], language: object) -> SignUp:
    return SignUp(read_address(address), read_choices(sections, language))


def section_options(chosen: Collection[str] | None = None) -> list[dict[str, object]]:
    """The section checkboxes, in report order; all ticked when ``chosen`` is None."""
    return [
        {"key": s.key, "label": s.heading_en, "checked": chosen is None or s.key in chosen}
        for s in ALL_SECTIONS
    ]


def language_options(chosen: str | None = None) -> list[dict[str, object]]:
    picked = chosen or DEFAULT_LANGUAGE
    return [{"code": code, "label": LANGUAGE_NAMES[code], "selected": code == picked} for code in LANGUAGES]
