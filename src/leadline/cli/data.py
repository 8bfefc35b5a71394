"""``leadline init|import|imports|quarantine|demo``: workspaces and getting data in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadline import ingest
from leadline.cli.common import FormatOpt, WorkspaceOpt, open_app, progress_bar
from leadline.cli.output import Format, console, emit_object, emit_rows
from leadline.workspace import Workspace


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create.")] = Path("."),
    force: Annotated[bool, typer.Option(help="Replace an existing leadline.yaml.")] = False,
) -> None:
    """Create a workspace: a commented starter contract and an empty store."""
    ws = Workspace.locate(directory)
    ws.create(force=force)
    with open_app(ws.root) as ll:  # creates (or migrates) the store
        on_duckdb = ll.engine.DIALECT == "duckdb"
    store = ws.store_path if on_duckdb else "migrated the store at $LEADLINE_DATABASE_URL"
    console.print(f"[green]created[/green] {ws.contract_path} and {store}")
    console.print("next: edit the contract, then `leadline contract check` and `leadline import`")


def import_(
    kind: Annotated[str, typer.Argument(help=f"What the file holds: {', '.join(ingest.KINDS)}.")],
    file: Annotated[Path, typer.Argument(help="CSV, JSON lines or Parquet file.")],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            "-m",
            help="Mapping profile: a built-in name "
            f"({', '.join(ingest.list_profiles())}) or a YAML file.",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Rows per atomic batch.")] = 100_000,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import a file; bad rows are quarantined with file, line, field and reason."""
    if kind not in ingest.KINDS:
        raise typer.BadParameter(f"unknown kind {kind!r}; use one of {', '.join(ingest.KINDS)}")
    with open_app(workspace) as ll, progress_bar(f"import {kind}", fmt is not Format.table) as cb:
        summary = ll.import_file(kind, file, mapping, progress=cb, batch_size=batch_size)
    data = summary.to_dict()
    if fmt is not Format.table:
        emit_object(data, fmt)
        return
    console.print(
        f"[bold]{summary.file}[/bold] → {kind}: {summary.rows_in} rows in, "
        f"[green]{summary.loaded} loaded[/green], {summary.unchanged} unchanged, "
        f"{summary.merged} merged, [red]{summary.quarantined} quarantined[/red]",
        highlight=False,
    )
    for reason, count in sorted(summary.quarantined_by_reason.items()):
        console.print(f"  quarantined {reason}: {count}")
    for problem in summary.problems[:10]:
        console.print(f"  [red]{problem}[/red]", highlight=False)
    if summary.quarantined:
        console.print(f"  see all: leadline quarantine --run {summary.run_id}")


def imports(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List import runs with their counts."""
    with open_app(workspace) as ll:
        rows = ll.engine.fetch_dicts(
            "SELECT run_id, kind, file, mapping, status, rows_in, loaded, unchanged, merged, "
            "quarantined, started_at, finished_at FROM import_runs ORDER BY run_id"
        )
    emit_rows(rows, fmt, title="Import runs")


def quarantine(
    run: Annotated[int | None, typer.Option(help="Only this import run.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (leads, activities…).")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Show quarantined rows: file, line, field, reason and the raw row."""
    with open_app(workspace) as ll:
        # Only the filters given become predicates: PostgreSQL cannot type a
        # bare `$run IS NULL` parameter.
        given = {"run_id": run, "kind": kind, "reason": reason}
        params: dict[str, object] = {k: v for k, v in given.items() if v is not None}
        where = " AND ".join(f"{column} = ${column}" for column in params) or "TRUE"
        rows = ll.engine.fetch_dicts(
            "SELECT run_id, kind, file, line, row_number, field, reason, message, raw "
            f"FROM quarantine WHERE {where} ORDER BY run_id, row_number LIMIT $limit",
            {**params, "limit": limit},
        )
    emit_rows(rows, fmt, title="Quarantined rows")


def demo(
    directory: Annotated[Path, typer.Argument(help="Workspace folder to create.")] = Path(
        "demo-workspace"
    ),
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same world.")] = 7,
    scale: Annotated[float, typer.Option(help="1.0 ≈ 12,000 leads, 250,000 activities.")] = 1.0,
    force: Annotated[bool, typer.Option(help="Replace an existing demo workspace.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Generate a seeded B2B world, import it, score it and show what leadline sees."""
    from leadline.demo.run import run_demo

    run_demo(directory, seed=seed, scale=scale, force=force, fmt=fmt)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command("import")(import_)
    app.command()(imports)
    app.command()(quarantine)
    app.command()(demo)
