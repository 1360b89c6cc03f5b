"""What the delivery commands print: subscriptions, delivery results and the ledger of a day.

Pure functions from ``core.models`` values (and ``delivery`` results) to rich tables, so the
commands in ``app/cli/`` stay a few lines each.
"""

from __future__ import annotations

from datetime import date

from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

from app.channels import ChannelRun
from core.models import DeliveryRecord, DeliveryStatus, SlackWorkspace, Subscription, SubscriptionStatus
from delivery.base import DeliveryResult


def subscriptions_table(subscriptions: list[Subscription]) -> Table:
    workspaces = any(sub.workspace for sub in subscriptions)  # a column only when Slack has several
    columns = ("address", "status", "sections", "language") + (("workspace",) if workspaces else ())
    table = Table(*columns, title="Subscriptions")
    for sub in subscriptions:
        sections = ",".join(sub.sections) or "all"
        row = [sub.target, sub.status.value, sections, sub.language or "report's"]
        table.add_row(*row, *([sub.workspace or "bot token"] if workspaces else []))
    if not subscriptions:
        table.caption = "none yet: `aidaily subscriptions add slack:C0123ABCD` adds one"
    return table


def workspaces_table(workspaces: list[SlackWorkspace], subscriptions: list[Subscription]) -> Table:
    """What ``aidaily slack-workspaces`` prints: each OAuth installation, never its token."""
    table = Table("workspace", "name", "installed (UTC)", "status", "subscriptions", title="Slack workspaces")
    for ws in workspaces:
        count = sum(
            s.workspace == ws.team_id and s.status == SubscriptionStatus.CONFIRMED for s in subscriptions
        )
        installed = f"{ws.installed_at:%Y-%m-%d %H:%M}"
        table.add_row(ws.team_id, escape(ws.team_name or ""), installed, _workspace_status(ws), str(count))
    if not workspaces:
        table.caption = "none yet: a workspace installs the app at {AIDAILY_PUBLIC_URL}/slack/install"
    return table


def _workspace_status(workspace: SlackWorkspace) -> str:
    if not workspace.revoked:
        return "[green]active[/]"
    return f"[red]revoked[/] {workspace.revoked_at:%Y-%m-%d %H:%M} ({escape(workspace.revoked_error or '')})"


def revoked_lines(workspaces: list[SlackWorkspace]) -> list[str]:
    """Under ``aidaily deliveries``: why some Slack subscriptions were not attempted."""
    return [
        f"[red]Slack workspace {ws.team_id} ({escape(ws.team_name or '')}): installation revoked[/]"
        f" {ws.revoked_at:%Y-%m-%d %H:%M} UTC ({escape(ws.revoked_error or '')}); its subscriptions"
        " are not attempted until the app is installed there again"
        for ws in workspaces
        if ws.revoked
    ]


def runs_report(runs: list[ChannelRun]) -> list[RenderableType]:
    """What ``aidaily deliver`` prints: per channel, how it ran and each subscription's result."""
    shown: list[RenderableType] = []
    for run in runs:
        if run.error:
            shown.append(f"[red]{run.channel.value}: could not start[/]: {escape(run.error)}")
            continue
        if not run.totals.subscriptions:
            shown.append(f"{run.channel.value}: no confirmed subscriptions")
            continue
        if run.dry_run_reason:
            shown.append(f"{run.channel.value}: dry run ({run.dry_run_reason}); wrote {run.calls_file}")
        table = Table(
            "subscription", "messages", "sent now", "sent before", "result", title=run.channel.value
        )
        for r in run.results:
            table.add_row(
                r.subscription.target, str(r.planned), str(r.sent), str(r.already_sent), _outcome(r)
            )
        hidden = run.totals.subscriptions - len(run.results)
        if hidden:
            failing = run.totals.incomplete - sum(not r.complete for r in run.results)
            more = f", {failing:,} of them incomplete" if failing else ""
            table.caption = f"and {hidden:,} more subscriptions{more}"
        shown.append(_totals_line(run))
        if run.stopped:
            shown.append(_stopped_line(run))
        shown.append(table)
    return shown


def _totals_line(run: ChannelRun) -> str:
    t = run.totals
    line = f"{run.channel.value}: {t.subscriptions:,} subscriptions, {t.sent:,} messages sent now"
    line += f", {t.already_sent:,} sent before"
    return line + (f", [red]{t.incomplete:,} incomplete[/]" if t.incomplete else "")


def _stopped_line(run: ChannelRun) -> str:
    reason = escape(run.stopped or "")
    return (
        f"[red]{run.channel.value}: stopped[/]: {reason}; the subscriptions after it were not tried"
        " (nobody was marked bounced): fix this, then deliver again"
    )


def _outcome(result: DeliveryResult) -> str:
    if result.complete:
        return "[green]complete[/]"
    kind = "permanent: fix, then deliver again" if result.permanent else "will resume on the next run"
    return f"[red]failed[/]: {escape(result.error or '')} ({kind})"


def ledger_report(day: date, records: list[DeliveryRecord], subscriptions: list[Subscription]) -> list[Table]:
    """What ``aidaily deliveries`` prints: per subscription, every message and its fate."""
    targets = {s.id: s.target for s in subscriptions}
    by_subscription: dict[int, list[DeliveryRecord]] = {}
    for record in records:
        by_subscription.setdefault(record.subscription_id, []).append(record)
    return [_ledger_table(day, targets.get(sid, f"#{sid}"), rows) for sid, rows in by_subscription.items()]


def _ledger_table(day: date, target: str, records: list[DeliveryRecord]) -> Table:
    counts = {status: sum(r.status == status for r in records) for status in DeliveryStatus}
    title = (
        f"{target} — {day}: {counts[DeliveryStatus.SENT]} sent, {counts[DeliveryStatus.FAILED]} failed"
        + (f", {counts[DeliveryStatus.SENDING]} interrupted" if counts[DeliveryStatus.SENDING] else "")
    )
    table = Table("message", "status", "platform id", "attempts", "when (UTC)", "error", title=title)
    for r in records:
        when = f"{r.updated_at:%Y-%m-%d %H:%M:%S}" if r.updated_at else ""
        error = escape(r.error or "") + (" (permanent)" if r.permanent else "")
        table.add_row(r.key, _STATUS[r.status], r.platform_id or "", str(r.attempts), when, error)
    return table


_STATUS = {
    DeliveryStatus.SENT: "[green]sent[/]",
    DeliveryStatus.FAILED: "[red]failed[/]",
    DeliveryStatus.SENDING: "[yellow]interrupted[/]",  # begun, never confirmed: resent next run
}
