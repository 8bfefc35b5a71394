"""Generate docs/cli.md from the commands themselves, so the reference cannot drift.

Run ``python -m leadline.cli.docgen > docs/cli.md``; a test fails when the
committed file differs from what this renders.
"""

from __future__ import annotations

import click
import typer.main

from leadline.cli import app

INTRO = """# CLI reference

Generated from the commands by `python -m leadline.cli.docgen` (do not edit by hand).

Every command finds its workspace from `--workspace DIR`, else `$LEADLINE_WORKSPACE`,
else the current folder. Listing and report commands take `--format table|json|csv`:
`table` is for people; `json` is stable for scripts (a listing prints a JSON array of
objects, a single result one JSON object; timestamps are ISO-8601 UTC); `csv` has a
header row. Errors print one line per problem to stderr and exit non-zero
(1 general, 2 contract problems, 3 store unavailable).
"""


def _param_line(param: click.Parameter) -> str:
    if isinstance(param, click.Argument):
        return f"- `{param.human_readable_name}` (argument)"
    assert isinstance(param, click.Option)
    names = ", ".join(f"`{n}`" for n in param.opts + param.secondary_opts)
    text = f"- {names}: {param.help or ''}".rstrip()
    if param.default not in (None, False) and not param.is_flag:
        default = getattr(param.default, "value", param.default)
        text += f" (default: `{default}`)"
    return text


def _command_doc(path: str, command: click.Command) -> list[str]:
    out = [
        f"## `{path}`",
        "",
        (command.help or "").strip(),
        "",
        "```",
        f"{path} "
        + " ".join(
            p.human_readable_name.upper() if isinstance(p, click.Argument) else ""
            for p in command.params
        ).strip()
        + " [OPTIONS]",
        "```",
        "",
    ]
    params = [p for p in command.params if p.name != "help"]
    out += [_param_line(p) for p in params]
    out.append("")
    return out


def _walk(path: str, command: click.Command) -> list[str]:
    if isinstance(command, click.Group):
        lines: list[str] = []
        for name in sorted(command.commands):
            lines += _walk(f"{path} {name}", command.commands[name])
        return lines
    return _command_doc(path, command)


def render_cli_reference() -> str:
    root = typer.main.get_command(app)
    return INTRO + "\n" + "\n".join(_walk("leadline", root)).rstrip() + "\n"


if __name__ == "__main__":
    print(render_cli_reference(), end="")
