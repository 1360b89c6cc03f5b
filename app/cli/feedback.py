"""``aidaily feedback [--date D]``: readers' 👍 / 👎 by item and channel."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from app.cli.common import DateOption, current_settings, out, parse_day
from core.models import Channel, ItemVotes
from core.store.store import Store

app = typer.Typer()


@app.command()
def feedback(day: DateOption = None):
    """Readers' votes: with --date, every item of that day's report; without, every item voted
    on, newest report first. 👍 and 👎 in all, then per channel (up / down)."""
    with Store.open(current_settings().database_url) as store:
        parsed = parse_day(day)
        votes = store.item_votes(parsed)
    out.print(votes_table(votes, parsed), highlight=False)


def votes_table(votes: list[ItemVotes], day=None) -> Table:
    channels = list(Channel)
    title = f"Readers' votes on the report of {day}" if day else "Readers' votes"
    table = Table("day", "item", "section", "👍", "👎", *(c.value for c in channels), title=title)
    for entry in votes:
        by_channel = [_pair(entry.by_channel.get(c)) for c in channels]
        table.add_row(
            entry.item.date.isoformat(),
            _title(entry),
            entry.section or "",
            str(entry.up),
            str(entry.down),
            *by_channel,
        )
    if not votes:
        table.caption = f"no report for {day}" if day else "no votes yet"
    else:
        table.caption = f"{sum(v.up for v in votes)} 👍 and {sum(v.down for v in votes)} 👎 in all"
    return table


def _title(entry: ItemVotes) -> str:
    if entry.title is None:  # the day was built again without this story
        return f"[dim]no longer in the report ({escape(entry.item.key)})[/]"
    return escape(entry.title)


def _pair(counts: tuple[int, int] | None) -> str:
    return f"{counts[0]} / {counts[1]}" if counts else ""
