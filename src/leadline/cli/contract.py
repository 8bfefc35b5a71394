"""``leadline contract check|diff|version``: the agreement, before anyone adopts it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadline.cli.common import AsOfOpt, FormatOpt, WorkspaceOpt, open_app, parse_time
from leadline.cli.output import Format, console, emit_json, emit_object, emit_rows
from leadline.contract import diff_contracts, load_contract
from leadline.workspace import Workspace

app = typer.Typer(help="Check, compare and version the contract.", no_args_is_help=True)


def _default_contract(file: Path | None, workspace: Path | None) -> Path:
    return file or Workspace.locate(workspace).contract_path


@app.command()
def check(
    file: Annotated[
        Path | None, typer.Argument(help="Contract file (default: the workspace's leadline.yaml).")
    ] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Validate a contract; every problem is reported with line, column and field path.

    In a workspace with data, the contract is also checked against it (no
    conditions on fields a mapping declared post-contact).
    """
    loaded = load_contract(_default_contract(file, workspace))
    ws = Workspace.locate(workspace)
    if ws.store_path.exists() and ws.contract_path.exists():
        with open_app(workspace) as ll:
            ll.check_contract(loaded)
    result = {
        "file": str(loaded.path),
        "contract": loaded.name,
        "version": loaded.version,
        "valid": True,
    }
    if fmt is Format.table:
        console.print(
            f"[green]ok[/green] {loaded.path}: contract {loaded.name!r} version {loaded.version}"
        )
    else:
        emit_object(result, fmt)


@app.command()
def version(
    file: Annotated[Path | None, typer.Argument(help="Contract file.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Print the contract's version hash (changes whenever a rule changes)."""
    print(load_contract(_default_contract(file, workspace)).version)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The contract in force.")],
    new: Annotated[Path, typer.Argument(help="The proposed contract.")],
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    limit: Annotated[int, typer.Option(help="How many changed leads to list.")] = 20,
    no_impact: Annotated[
        bool, typer.Option("--no-impact", help="Only compare rules; do not score leads.")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """List rule changes and, in a workspace, which leads would change grade or MQL status."""
    loaded_old, loaded_new = load_contract(old), load_contract(new)
    changes = diff_contracts(loaded_old, loaded_new)
    impact = None
    ws = Workspace.locate(workspace)
    if not no_impact and ws.contract_path.is_file():
        with open_app(workspace) as ll:
            impact = ll.contract_impact(loaded_old, loaded_new, parse_time(as_of), limit=limit)
    if fmt is Format.json:
        emit_json(
            {
                "old_version": loaded_old.version,
                "new_version": loaded_new.version,
                "changes": changes.to_dict()["changes"],
                "impact": impact,
            }
        )
        return
    if fmt is Format.csv:
        emit_rows(changes.to_dict()["changes"], fmt)
        return
    console.print(
        f"[bold]{old}[/bold] ({loaded_old.version}) → [bold]{new}[/bold] ({loaded_new.version})"
    )
    for line in changes.lines():
        console.print("  " + line, highlight=False)
    if impact is not None:
        console.print(
            f"\n[bold]Impact[/bold] on {impact['leads']} leads as of {impact['as_of']}: "
            f"{impact['grade_changed']} change grade, {impact['mql_gained']} would newly "
            f"qualify as MQL, {impact['mql_lost']} would no longer qualify."
        )
        if impact["changed_leads"]:
            emit_rows(impact["changed_leads"], Format.table, title="Leads that change")
