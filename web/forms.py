"""Reading the subscribe and preferences forms into plain values, or into errors to show.

Pure functions over the posted fields. The address goes through ``email_validator`` (syntax
only: deliverability is what the double opt-in proves) and is stored in its normalized form,
so ``Reader@EXAMPLE.org`` and ``reader@example.org`` are one subscription. Sections, language,
daily or weekly, and the keyword rules (words or phrases, one a line or comma-separated, read by
``core.rules`` with its limits) are checked as the CLI checks them (``core.subscriptions``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from core.models import ALL_SECTIONS, Cadence, Rules
from core.rules import make_rules
from core.subscriptions import LANGUAGES, parse_cadence, parse_language, parse_sections

#: Longer input is refused before validation; RFC 5321 caps a path at 254 characters.
MAX_ADDRESS = 254
DEFAULT_LANGUAGE = "zh-TW"
MAX_RULES_TEXT = 4000  # echoed back into a form at most this long (the field's maxlength)
LANGUAGE_NAMES = {"zh-TW": "繁體中文 (zh-TW)", "en": "English (en)"}


@dataclass(frozen=True, slots=True)
class Choices:
    """What a reader chose: item sections (empty: all), the language of the fixed words, daily
    or weekly, and keyword rules."""

    sections: tuple[str, ...]
    language: str
    cadence: Cadence = Cadence.DAILY
    rules: Rules = field(default_factory=Rules)


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


def read_choices(
    sections: Sequence[object],
    language: object,
    cadence: object = None,
    include: object = None,
    exclude: object = None,
) -> Choices:
    """Checked sections, language, cadence and rules; every section ticked (or none) means all."""
    keys = [key for key in sections if isinstance(key, str)]
    if len(keys) != len(sections):
        raise FormError("Unknown section.")
    try:
        chosen = parse_sections(",".join(keys))
        picked = parse_language(language if isinstance(language, str) and language else DEFAULT_LANGUAGE)
    except ValueError:
        raise FormError("Please choose sections and a language from the lists.") from None
    everything = len(chosen) == len(ALL_SECTIONS)
    return Choices(
        () if everything else chosen, picked or DEFAULT_LANGUAGE, _cadence(cadence), _rules(include, exclude)
    )


def _cadence(value: object) -> Cadence:
    try:
        return parse_cadence(value if isinstance(value, str) and value else None)
    except ValueError:
        raise FormError("Please choose daily or weekly.") from None


def _rules(include: object, exclude: object) -> Rules:
    texts = [value if value is not None else "" for value in (include, exclude)]
    if not all(isinstance(text, str) for text in texts):
        raise FormError("Keywords must be text.")
    try:
        return make_rules(*texts)  # type: ignore[arg-type]
    except ValueError as exc:
        raise FormError(f"Keywords: {exc}.") from None


def read_sign_up(address: object, sections: Sequence[object], *choices: object) -> SignUp:
    """The address and the rest as ``read_choices`` reads them (language, cadence, include, exclude)."""
    return SignUp(read_address(address), read_choices(sections, *choices))


def section_options(chosen: Collection[str] | None = None) -> list[dict[str, object]]:
    """The section checkboxes, in report order; all ticked when ``chosen`` is None."""
    return [
        {"key": s.key, "label": s.heading_en, "checked": chosen is None or s.key in chosen}
        for s in ALL_SECTIONS
    ]


def rule_fields(cadence: object = None, include: object = None, exclude: object = None) -> dict[str, str]:
    """The cadence and keyword fields of the form, as typed (clipped) or as stored."""

    def typed(value: object) -> str:
        return value[:MAX_RULES_TEXT] if isinstance(value, str) else ""

    return {
        "cadence": "weekly" if cadence == "weekly" else "daily",
        "include": typed(include),
        "exclude": typed(exclude),
    }


def stored_rule_fields(cadence: Cadence, rules: Rules) -> dict[str, str]:
    return rule_fields(cadence.value, "\n".join(rules.include), "\n".join(rules.exclude))


def language_options(chosen: str | None = None) -> list[dict[str, object]]:
    picked = chosen or DEFAULT_LANGUAGE
    return [{"code": code, "label": LANGUAGE_NAMES[code], "selected": code == picked} for code in LANGUAGES]
