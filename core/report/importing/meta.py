"""The parts of a report Markdown file around its sections: front matter, footer and dates.

Part of the report importer (:mod:`core.report.importing.reader`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.report.importing.inline import LABELS, ReportFormatError, format_pattern
from core.report.writing.items import clean_text

#: The service's default report time zone (DESIGN.md), for times that carry no usable zone.
DEFAULT_TIMEZONE = "Asia/Taipei"


def split_front_matter(lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The YAML front matter as a dict, and the lines after it."""
    start = next((n for n, line in enumerate(lines) if line.strip()), 0)
    if lines[start].strip() != "---":
        raise ReportFormatError("no front matter: a report starts with a '---' line and YAML keys")
    for end in range(start + 1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            return _front_matter(lines[start + 1 : end]), lines[end + 1 :]
    raise ReportFormatError("front matter has no closing '---' line")


_COUNTS = [format_pattern(lb.footer_counts, articles=r"[\d,]+", topics=r"[\d,]+") for lb in LABELS]
_TIMES = [format_pattern(lb.footer_times, hours=r"\d+", time=r"[^*]+") for lb in LABELS]


def read_footer(lines: list[str]) -> tuple[tuple[int, int], int, str | None, list[str]]:
    """(articles, topics), window hours, generation time text, and the lines without the footer."""
    counts, hours, stamp, kept = (0, 0), 24, None, []
    for line in lines:
        text = line.strip().strip("*").strip()
        found_counts = _search(_COUNTS, text)
        found_times = _search(_TIMES, text)
        if found_counts:
            counts = (_int(found_counts.group("articles")), _int(found_counts.group("topics")))
        if found_times:
            hours, stamp = int(found_times.group("hours")), found_times.group("time").strip()
        if not (found_counts or found_times):
            kept.append(line)
    return counts, hours, stamp, kept


def _search(patterns: list[re.Pattern[str]], text: str) -> re.Match[str] | None:
    return next((m for m in (p.search(text) for p in patterns) if m), None)


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def generation_time(meta_date: Any, footer_time: str | None) -> tuple[datetime, str]:
    """The generation time, aware, in the time zone the report was written in, and that zone's name."""
    moment = _iso_datetime(meta_date)
    abbreviation = ""
    if moment is None and footer_time:
        moment, abbreviation = _footer_datetime(footer_time)
    if moment is None:
        raise ReportFormatError("no report date: the front matter has no 'date' and the footer no time")
    zone = _zone_name(moment, abbreviation)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(ZoneInfo(zone)), zone


def _iso_datetime(value: Any) -> datetime | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ReportFormatError(f"front matter date {text!r} is not an ISO date") from None


def _footer_datetime(text: str) -> tuple[datetime | None, str]:
    """``2025/12/12 06:43:41 CST``: a naive local time and the zone abbreviation after it."""
    words = text.split()
    stamp, abbreviation = " ".join(words[:2]), " ".join(words[2:])
    for pattern in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return datetime.strptime(stamp, pattern), abbreviation
        except ValueError:
            continue
    return None, abbreviation


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone_name(moment: datetime, abbreviation: str) -> str:
    """A zone name whose offset at ``moment`` is the one written, preferring the service default."""
    candidates = [n for n in (abbreviation, DEFAULT_TIMEZONE, "UTC") if _zone(n)]
    if moment.tzinfo is None:
        return candidates[0]
    offset = moment.utcoffset()
    for name in candidates:
        if moment.astimezone(ZoneInfo(name)).utcoffset() == offset:
            return name
    hours, rest = divmod(int(offset.total_seconds()), 3600) if offset is not None else (0, 1)
    # POSIX sign: Etc/GMT-8 is eight hours *ahead* of UTC.
    return f"Etc/GMT{-hours:+d}" if not rest and hours else "UTC"


def _front_matter(lines: list[str]) -> dict[str, Any]:
    """The YAML subset Hugo reports use: scalars, one level of mapping (cover) and lists (tags)."""
    data: dict[str, Any] = {}
    parent: str | None = None
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        nested = line[:1] in " \t" or stripped.startswith("- ") or stripped == "-"
        if nested and parent is not None:
            _nested(data, parent, stripped)
            continue
        key, _, value = stripped.partition(":")
        parent = key.strip() if not value.strip() else None
        data[key.strip()] = _scalar(value) if value.strip() else None
    return data


def _nested(data: dict[str, Any], parent: str, line: str) -> None:
    if line.startswith("-"):
        if not isinstance(data.get(parent), list):
            data[parent] = []
        data[parent].append(_scalar(line[1:]))
        return
    if not isinstance(data.get(parent), dict):
        data[parent] = {}
    key, _, value = line.partition(":")
    data[parent][key.strip()] = _scalar(value)


def _scalar(value: str) -> Any:
    """A YAML scalar or flow list as text: quotes and escapes removed, comments dropped."""
    value = value.strip()
    if value.startswith('"'):
        try:
            return json.loads(value)
        except ValueError:
            return value.strip('"')
    if value.startswith("'"):
        return value[1:-1].replace("''", "'") if value.endswith("'") else value[1:]
    if value.startswith("[") and value.endswith("]"):
        return [_scalar(v) for v in value[1:-1].split(",") if v.strip()]
    return re.sub(r"\s+#.*$", "", value)


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def meta_text(meta: dict[str, Any], key: str) -> str:
    value = meta.get(key)
    return clean_text(str(value)) if value is not None and not isinstance(value, dict | list) else ""
