"""docs/cli.md is generated from the commands; it must match them exactly."""

from __future__ import annotations

from pathlib import Path

import click
import typer.main

from leadline.cli import app
from leadline.cli.docgen import render_cli_reference

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_cli_reference_is_current() -> None:
    assert DOCS.read_text() == render_cli_reference(), (
        "docs/cli.md is stale: run `make docs` (python -m leadline.cli.docgen > docs/cli.md)"
    )


def _commands(group: click.Group, prefix: str = "leadline") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix} {name}"))
        else:
            found[f"{prefix} {name}"] = command
    return found


LISTINGS = (
    "leads",
    "history",
    "quarantine",
    "imports",
    "explain",
    "import",
    "score",
    "contract diff",
    "contract check",
    "disposition",
    "stage",
    "demo",
)


def test_every_listing_and_report_takes_format() -> None:
    commands = _commands(typer.main.get_command(app))  # type: ignore[arg-type]
    for name in LISTINGS:
        options = {
            opt
            for p in commands[f"leadline {name}"].params
            if isinstance(p, click.Option)
            for opt in p.opts
        }
        assert "--format" in options, f"leadline {name} has no --format"


def test_every_command_that_touches_a_workspace_takes_workspace() -> None:
    commands = _commands(typer.main.get_command(app))  # type: ignore[arg-type]
    for name, command in commands.items():
        if name in ("leadline init", "leadline demo"):
            continue
        options = {opt for p in command.params if isinstance(p, click.Option) for opt in p.opts}
        assert "--workspace" in options, f"{name} has no --workspace"
