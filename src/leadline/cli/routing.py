"""``leadline route|brief|assignments|touch|sla`` and ``leadline notify …``: the handoff."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from leadline.app import utcnow
from leadline.cli.common import AsOfOpt, FormatOpt, WorkspaceOpt, open_app, parse_time
from leadline.cli.output import Format, console, emit_json, emit_object, emit_rows
from leadline.notify import deliver_due, outbox_counts, outbox_rows, requeue_dead
from leadline.routing import build_brief, list_assignments, route_mqls, unrouted_mqls
from leadline.sla import check_sla, record_first_touch, sla_clocks

LeadArg = Annotated[str, typer.Argument(help="Lead id or email address.")]
notify_app = typer.Typer(help="The notification outbox: deliver, list, requeue dead letters.")


class BriefAs(StrEnum):
    brief = "brief"
    slack = "slack"
    email = "email"


class ClockState(StrEnum):
    open = "open"
    overdue = "overdue"
    breached = "breached"
    met = "met"
    late = "late"
    handed_over = "handed_over"


def route(
    leads: Annotated[
        list[str] | None,
        typer.Argument(
            help="Leads to route (default: every MQL without an owner).", show_default=False
        ),
    ] = None,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Give MQLs an owner by the contract's routing rules; queue their briefs; start SLA clocks."""
    now = parse_time(as_of) or utcnow()
    with open_app(workspace) as ll:
        ids = [ll.resolve_lead(x) for x in leads] if leads else unrouted_mqls(ll.engine, now)
        routed = route_mqls(ll.engine, ll.compiled, ll.loaded.version, ids, now)
    rows = [a.to_dict() for a in routed]
    if fmt is Format.table and not rows:
        console.print("nothing to route: no MQL without an owner")
        return
    emit_rows(
        rows,
        fmt,
        title="Assignments made",
        columns=["lead_id", "rep_id", "rep_name", "rule", "priority", "off_hours", "notifications"],
    )


def brief(
    lead: LeadArg,
    as_of: AsOfOpt = None,
    render_as: Annotated[
        BriefAs, typer.Option("--as", help="brief (the data), slack (webhook body) or email.")
    ] = BriefAs.brief,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The handoff brief for a lead: why it qualified, fit, what it read, BANT gaps, account."""
    with open_app(workspace) as ll:
        b = build_brief(
            ll.engine, ll.compiled, ll.resolve_lead(lead), parse_time(as_of) or utcnow()
        )
    if render_as is BriefAs.slack:
        emit_json(b.to_slack())
        return
    if render_as is BriefAs.email:
        subject, text, html = b.to_email()
        if fmt is Format.table:
            console.print(f"Subject: {subject}\n\n{text}", highlight=False, markup=False)
        else:
            emit_json({"subject": subject, "text": text, "html": html})
        return
    if fmt is Format.table:
        console.print(b.to_text(), highlight=False, markup=False, end="")
        return
    data = b.to_dict()
    if fmt is Format.json:
        emit_json(data)
        return
    emit_object(data, fmt)


def assignments(
    rep: Annotated[str | None, typer.Option(help="Only this rep (id or e-mail).")] = None,
    lead: Annotated[str | None, typer.Option(help="Only this lead.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Who owns which MQL, and the routing rule that chose them (newest first)."""
    with open_app(workspace) as ll:
        lead_id = ll.resolve_lead(lead) if lead else None
        rows = list_assignments(ll.engine, rep=rep, lead=lead_id, limit=limit)
    emit_rows(rows, fmt, title="Assignments")


def touch(
    lead: LeadArg,
    at: Annotated[str | None, typer.Option(help="When the rep reached out (default now).")] = None,
    actor: Annotated[str, typer.Option(help="Who touched the lead.")] = "cli",
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record a rep's first touch on a lead; it stops the speed-to-lead clock."""
    when = parse_time(at) or utcnow()
    with open_app(workspace) as ll:
        lead_id = ll.resolve_lead(lead)
        record_first_touch(ll.engine, lead_id, when, actor)
        clocks = [c for c in sla_clocks(ll.engine, utcnow()) if c["lead_id"] == lead_id]
    data = {"lead_id": lead_id, "touched_at": when, "actor": actor, "clocks": clocks}
    if fmt is Format.table:
        console.print(f"recorded a touch on {lead_id} at {when:%Y-%m-%d %H:%M} by {actor}")
        if clocks:
            emit_rows(clocks, fmt, columns=["kind", "due_at", "stopped_at", "state"])
        return
    emit_object(data, fmt)


def sla(
    state: Annotated[
        ClockState | None, typer.Option(help="Only clocks in this state.", show_default=False)
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Detect and escalate breaches first.")
    ] = False,
    as_of: AsOfOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many clocks.")] = 200,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """SLA clocks (open, overdue, met, late, breached) and, with --check, new breaches."""
    now = parse_time(as_of) or utcnow()
    with open_app(workspace) as ll:
        found = check_sla(ll.engine, ll.compiled, now) if check else []
        rows = sla_clocks(ll.engine, now, state=state.value if state else None, limit=limit)
    if check and fmt is Format.table:
        console.print(f"{len(found)} new breach(es) recorded")
    if check and fmt is Format.json:
        emit_json({"new_breaches": [b.to_dict() for b in found], "clocks": rows})
        return
    emit_rows(
        rows,
        fmt,
        title=f"SLA clocks as of {now:%Y-%m-%d %H:%M} UTC",
        columns=[
            "clock_id",
            "lead_id",
            "kind",
            "rep_id",
            "priority",
            "budget",
            "started_at",
            "due_at",
            "stopped_at",
            "stopped_by",
            "state",
            "breach_action",
        ],
    )


@notify_app.command("deliver")
def notify_deliver(
    as_of: AsOfOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each receiver.")] = 5.0,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Deliver every due notification once (webhooks, e-mail); failures retry with backoff."""
    now = parse_time(as_of) or utcnow()
    with open_app(workspace) as ll:
        report = deliver_due(ll.engine, now, timeout=timeout)
        counts = outbox_counts(ll.engine)
    data = {**report.to_dict(), "outbox": counts}
    if fmt is Format.table:
        console.print(
            f"delivered {report.delivered}, retrying {report.retried}, dead {report.dead}, "
            f"left for the next round {report.deferred}; outbox: {json.dumps(counts)}"
        )
        return
    emit_object(data, fmt)


@notify_app.command("list")
def notify_list(
    status: Annotated[
        str | None, typer.Option(help="pending, delivered or dead.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Queued, delivered and dead-lettered notifications, newest first."""
    with open_app(workspace) as ll:
        rows = outbox_rows(ll.engine, status=status, limit=limit)
    emit_rows(rows, fmt, title="Notifications")


@notify_app.command("requeue")
def notify_requeue(
    ids: Annotated[
        list[int] | None,
        typer.Argument(help="Notification ids (default: every dead letter).", show_default=False),
    ] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Give dead-lettered notifications a fresh set of attempts."""
    with open_app(workspace) as ll:
        count = requeue_dead(ll.engine, utcnow(), list(ids) if ids else None)
    if fmt is Format.table:
        console.print(f"requeued {count} notification(s)")
        return
    emit_object({"requeued": count}, fmt)


def register(app: typer.Typer) -> None:
    for command in (route, brief, assignments, touch, sla):
        app.command()(command)
    app.add_typer(notify_app, name="notify")
