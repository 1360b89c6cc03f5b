"""What a header says about one subscription's view of a report, the same on every channel.

``filtered_note``: "3 items filtered by your rules" when the subscription's keyword rules left
items out (``core.rules.view_for`` counts them in ``Report.filtered``). ``header_archive``: the
web page a header links to, which a weekly digest has none of (its items link to their days).
Each adapter escapes the text for its platform.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from core.models import Cadence, Report

_FILTERED = {
    "zh-TW": ("已依您的規則略過 {count} 則", "已依您的規則略過 {count} 則"),
    "en": ("{count} item filtered by your rules", "{count} items filtered by your rules"),
}


def filtered_note(report: Report, language: str) -> str | None:
    """The line for ``report.filtered`` items left out, in ``language`` (zh-TW or en); None if none."""
    if report.filtered <= 0:
        return None
    one, many = _FILTERED.get(language, _FILTERED["en"])
    return (one if report.filtered == 1 else many).format(count=report.filtered)


def header_archive(report: Report, page: Callable[[date], str | None] | None) -> str | None:
    """The archive page of a daily report's header link; None for a weekly digest."""
    if page is None or report.cadence is not Cadence.DAILY:
        return None
    return page(report.date)
