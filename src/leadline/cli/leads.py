"""``leadline score|explain|leads|history|disposition|stage``: scoring and stages."""

from __future__ import annotations

from typing import Annotated

import typer

from leadline.cli.common import (
    AsOfOpt,
    FormatOpt,
    WorkspaceOpt,
    open_app,
    parse_time,
    progress_bar,
)
from leadline.cli.output import Format, console, emit_json, emit_object, emit_rows
from leadline.contract.schema import STAGES

LeadArg = Annotated[str, typer.Argument(help="Lead id or email address.")]


def score(
    as_of: AsOfOpt = None, workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table
) -> None:
    """Score every lead as of a time and apply automatic stage moves (to MQL, MQA, pipeline)."""
    with open_app(workspace) as ll, progress_bar("scoring", fmt is not Format.table) as bar:
        summary = ll.score(parse_time(as_of), progress=bar)
    data = summary.to_dict()
    if fmt is not Format.table:
        emit_object(data, fmt)
        return
    console.print(
        f"scored [bold]{summary.leads_scored}[/bold] leads as of {summary.as_of:%Y-%m-%d %H:%M} "
        f"with contract {summary.contract_version} (run {summary.run_id})"
    )
    for name, count in summary.transitions.items():
        if count:
            console.print(f"  {name.replace('_', ' ')}: {count}")


def explain(
    lead: LeadArg,
    as_of: AsOfOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every part of a lead's score: rule, raw points, decay, cap, and the MQL verdict."""
    with open_app(workspace) as ll:
        explanation = ll.explain(lead, parse_time(as_of))
    data = explanation.to_dict()
    if fmt is Format.json:
        emit_json(data)
        return
    if fmt is Format.csv:
        emit_rows(data["parts"], fmt)
        return
    snap = data["snapshot"]
    console.print(
        f"[bold]{snap['lead_id']}[/bold] as of {snap['as_of']}: grade {snap['grade']} "
        f"(fit {snap['fit_points']:g}), engagement {snap['engagement']:.1f}, "
        f"intent {snap['intent']:.1f}, score {snap['score']:.1f}, priority {snap['priority']}",
        highlight=False,
    )
    verdict = (
        "[green]qualifies as MQL[/green]"
        if snap["qualifies_mql"]
        else "[yellow]not an MQL[/yellow]"
    )
    console.print(f"{verdict}: {snap['mql_reason']}", highlight=False)
    if snap.get("excluded_reason"):
        console.print(f"[red]excluded[/red]: {snap['excluded_reason']}")
    emit_rows(
        data["parts"],
        Format.table,
        title="Score parts",
        columns=[
            "component",
            "rule",
            "events",
            "raw_points",
            "capped_points",
            "cap_applied",
            "decay_factor",
            "points",
            "detail",
        ],
    )


def leads(
    stage: Annotated[
        str | None, typer.Option(help=f"Only this stage ({', '.join(STAGES)}).")
    ] = None,
    grade: Annotated[str | None, typer.Option(help="Only this fit grade (A-D).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many leads.")] = 50,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Leads from the latest score run, best priority first."""
    if stage and stage not in STAGES:
        raise typer.BadParameter(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    with open_app(workspace) as ll:
        rows = ll.leads(stage=stage, grade=grade, limit=limit)
    emit_rows(rows, fmt, title="Leads by priority")


def history(lead: LeadArg, workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """A lead's stage history: every move with time, actor, reason and contract version."""
    with open_app(workspace) as ll:
        rows = ll.stage_history(lead)
    emit_rows(rows, fmt, title="Stage history")


def disposition(
    lead: LeadArg,
    action: Annotated[str, typer.Argument(help="accept, reject or recycle.")],
    reason: Annotated[str | None, typer.Option(help="Reason code (required to reject).")] = None,
    note: Annotated[str | None, typer.Option(help="Free-text note for marketing.")] = None,
    actor: Annotated[str, typer.Option(help="Who decided.")] = "cli",
    at: Annotated[str | None, typer.Option(help="When (default now).")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Record sales' verdict on an MQL (accept → sal, reject → rejected, recycle → nurture)."""
    with open_app(workspace) as ll:
        t = ll.disposition(lead, action, reason=reason, note=note, actor=actor, at=parse_time(at))
    _show_transition(t.to_dict(), fmt)


def stage(
    lead: LeadArg,
    to_stage: Annotated[str, typer.Argument(help=f"Target stage ({', '.join(STAGES)}).")],
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    note: Annotated[str | None, typer.Option(help="Free-text note.")] = None,
    actor: Annotated[str, typer.Option(help="Who moved it.")] = "cli",
    at: Annotated[str | None, typer.Option(help="When (default now).")] = None,
    budget: Annotated[str | None, typer.Option(help="BANT: budget (for sql).")] = None,
    authority: Annotated[str | None, typer.Option(help="BANT: authority (for sql).")] = None,
    need: Annotated[str | None, typer.Option(help="BANT: need (for sql).")] = None,
    timeline: Annotated[str | None, typer.Option(help="BANT: timeline (for sql).")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Move a lead by hand; moves the contract does not allow are refused."""
    with open_app(workspace) as ll:
        t = ll.move(
            lead,
            to_stage,
            reason=reason,
            note=note,
            actor=actor,
            at=parse_time(at),
            qualification={
                "budget": budget,
                "authority": authority,
                "need": need,
                "timeline": timeline,
            },
        )
    _show_transition(t.to_dict(), fmt)


def _show_transition(data: dict[str, object], fmt: Format) -> None:
    if fmt is Format.table:
        console.print(
            f"{data['lead_id']}: {data['from_stage']} → [bold]{data['to_stage']}[/bold]"
            + (f" ({data['reason']})" if data.get("reason") else ""),
            highlight=False,
        )
    else:
        emit_object(data, fmt)


def register(app: typer.Typer) -> None:
    for command in (score, explain, leads, history, disposition, stage):
        app.command()(command)
