"""``leadline forget`` and ``leadline export-person``: personal-data requests from the shell.

The same functions serve ``DELETE``/``GET /api/v1/people/{email}``; both
requests are written to the audit log with who asked (here: the OS user).
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from leadline.cli.common import FormatOpt, WorkspaceOpt, open_app
from leadline.cli.output import Format, console, emit_object
from leadline.privacy import export_person, forget
from leadline.privacy.person import locate
from leadline.realtime.worker import precise_utcnow

EmailArg = Annotated[str, typer.Argument(help="The person's email address.")]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def forget_cmd(
    email: EmailArg,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (scripts).")
    ] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Erase a person's personal data (names, email, notes) and keep the anonymised facts."""
    with open_app(workspace) as ll:
        found = locate(ll.engine, email)
        if not yes:
            if not sys.stdin.isatty():
                raise typer.BadParameter(
                    "forgetting cannot be undone: confirm with --yes when not at a terminal"
                )
            typer.confirm(
                f"Erase the personal data of {found.email} ({len(found.lead_ids)} lead(s))? "
                "This cannot be undone",
                abort=True,
            )
        report = forget(ll.engine, email, _actor(), precise_utcnow())
    data = report.to_dict()
    if fmt is Format.table:
        console.print(
            f"forgot {found.email}: {data['rows_changed']} value(s) erased in "
            f"{len(data['changed'])} column(s); lead(s) {', '.join(report.lead_ids) or '—'} kept "
            "anonymised. Recorded in the audit log.",
            highlight=False,
        )
        return
    emit_object(data, fmt)


def export_person_cmd(
    email: EmailArg,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the JSON here instead of to stdout."),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Everything stored about a person, as one JSON document (recorded in the audit log)."""
    with open_app(workspace) as ll:
        data = export_person(ll.engine, email, _actor())
    text = json.dumps(data, indent=2, default=str) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    rows = sum(len(v) for v in data["tables"].values())
    console.print(f"wrote {rows} row(s) from {len(data['tables'])} table(s) to {output}")


def register(app: typer.Typer) -> None:
    app.command("forget")(forget_cmd)
    app.command("export-person")(export_person_cmd)
