"""``leadline demo``: build a workspace from a seeded world, end to end.

It uses the same paths a user does: files are imported through the import
pipeline, history is replayed day by day with the compiled contract so stage
history looks like the contract had been in force all year, sales'
dispositions are imported on top, and a final score run sets today's state.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from importlib import resources
from pathlib import Path

from leadline.analytics import overview
from leadline.api import runfile
from leadline.app import Leadline
from leadline.cli.common import progress_bar
from leadline.cli.output import Format, console, emit_json, emit_rows
from leadline.demo.generator import generate_world
from leadline.errors import WorkspaceError
from leadline.workspace import STORE_FILE, Workspace

IMPORT_ORDER = (
    "reps",
    "accounts",
    "campaigns",
    "content",
    "leads",
    "touches",
    "activities",
    "opportunities",
)


def demo_contract() -> str:
    return (resources.files("leadline.demo") / "contract.yaml").read_text(encoding="utf-8")


def prepare(directory: Path, force: bool) -> Workspace:
    ws = Workspace.locate(directory)
    if ws.contract_path.exists() or ws.store_path.exists():
        if not force:
            raise WorkspaceError(f"{ws.root} already holds a workspace (use --force to rebuild)")
        runfile.refuse_if_served(ws)  # never delete a store a running server has open
        for name in (STORE_FILE, STORE_FILE + ".wal"):
            (ws.root / name).unlink(missing_ok=True)
        shutil.rmtree(ws.root / "data", ignore_errors=True)
    ws.root.mkdir(parents=True, exist_ok=True)
    ws.contract_path.write_text(demo_contract(), encoding="utf-8")
    return ws


def run_demo(
    directory: Path,
    *,
    seed: int = 7,
    scale: float = 1.0,
    force: bool = False,
    fmt: Format = Format.table,
) -> dict[str, object]:
    quiet = fmt is not Format.table
    ws = prepare(directory, force)

    def say(text: str) -> None:
        if not quiet:
            console.print(text, highlight=False)

    say(
        f"[bold]generating[/bold] a seeded B2B world (seed {seed}, scale {scale}) in {ws.root}/data"
    )
    files = generate_world(ws.root / "data", seed=seed, scale=scale)
    imports: dict[str, object] = {}
    with Leadline.open(ws) as ll:
        for kind in IMPORT_ORDER:
            with progress_bar(f"import {kind}", quiet) as cb:
                summary = ll.import_file(kind, files[kind], progress=cb)
            imports[kind] = summary.to_dict()
            say(
                f"  {kind:<13} {summary.rows_in:>8} rows: {summary.loaded} loaded, "
                f"{summary.merged} merged, {summary.quarantined} quarantined"
            )
        start, end = ll.engine.fetch("SELECT min(occurred_at), max(occurred_at) FROM activities")[0]
        with progress_bar("replay the year, day by day", quiet) as cb:
            replay = ll.replay(start, end, timedelta(days=1), cb, crm_facts=False)
        say(f"  replayed {replay['steps']} days: {replay['lead_to_mql']} leads became MQLs")
        with progress_bar("import dispositions", quiet) as cb:
            disp = ll.import_file("dispositions", files["dispositions"], progress=cb)
        imports["dispositions"] = disp.to_dict()
        say(
            f"  dispositions  {disp.rows_in:>8} rows: {disp.loaded} loaded, "
            f"{disp.quarantined} quarantined {disp.quarantined_by_reason or ''}"
        )
        if disp.quarantined:
            say(
                "  (sales dispositioned leads the contract never handed over, or before it did: "
                "see `leadline quarantine --kind dispositions`)"
            )
        with progress_bar("score every lead", quiet) as cb:
            scored = ll.score(end + timedelta(hours=1), progress=cb)
        as_of = scored.as_of
        stages = overview.stage_counts(ll.engine, as_of)
        funnel = overview.funnel(ll.engine, as_of)
        channels = overview.channels(ll.engine, as_of)
        top = overview.top_mqls(ll.engine, 10)
        result: dict[str, object] = {
            "workspace": str(ws.root),
            "imports": imports,
            "replay": replay,
            "score": scored.to_dict(),
            "stages": stages,
            "funnel": funnel,
            "channels": channels,
            "top_mqls": top,
        }
    if quiet:
        emit_json(result)
        return result
    console.print(
        f"\nscored {scored.leads_scored} leads as of {as_of:%Y-%m-%d %H:%M} "
        f"with contract {scored.contract_version}"
    )
    emit_rows(stages, Format.table, title="Where leads stand")
    emit_rows(funnel, Format.table, title="Funnel: MQL → SQL → won")
    emit_rows(channels, Format.table, title="Channels by won revenue (cost per opportunity, ROI)")
    emit_rows(top, Format.table, title="Top 10 MQLs and why")
    console.print(f"\nworkspace: {ws.root}  — try: leadline leads -w {ws.root} --stage mql")
    return result
