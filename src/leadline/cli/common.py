"""Options and helpers shared by every command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leadline.api import runfile
from leadline.app import Leadline
from leadline.cli.output import Format, err_console
from leadline.workspace import Workspace

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: $LEADLINE_WORKSPACE, else the current folder).",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="Output format: table, json or csv.")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Point in time (ISO date or date-time; UTC unless it has an offset). Default: now.",
        show_default=False,
    ),
]


def parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as err:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date or date-time (e.g. 2026-03-31 or 2026-03-31T18:00)"
        ) from err
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def open_app(workspace: Path | None) -> Leadline:
    """Open the workspace, unless a running ``leadline serve`` owns its store."""
    ws = Workspace.locate(workspace)
    runfile.refuse_if_served(ws)
    return Leadline.open(ws)


@contextmanager
def progress_bar(label: str, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr, fed by ``callback(done, total)``."""
    if quiet:
        yield lambda done, total: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
