"""The ``leadline`` command line: one Typer app, one sub-app per noun.

Every command is a thin shell over :class:`leadline.app.Leadline`; errors that
leadline raises on purpose become one red line (one per problem) and the
error's exit code, never a traceback (set LEADLINE_DEBUG=1 to see one).
"""

from __future__ import annotations

import os
import sys

import typer

from leadline.cli import contract as contract_cmds
from leadline.cli import data as data_cmds
from leadline.cli import leads as lead_cmds
from leadline.cli import learn as learn_cmds
from leadline.cli import privacy as privacy_cmds
from leadline.cli import report as report_cmds
from leadline.cli import routing as routing_cmds
from leadline.cli import serve as serve_cmds
from leadline.cli.output import err_console
from leadline.errors import ContractErrors, LeadlineError

app = typer.Typer(
    name="leadline",
    help="Score, qualify and route B2B leads by a contract marketing and sales both sign.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(contract_cmds.app, name="contract")
data_cmds.register(app)
lead_cmds.register(app)
report_cmds.register(app)
serve_cmds.register(app)
privacy_cmds.register(app)
routing_cmds.register(app)
learn_cmds.register(app)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point with leadline's one error handler."""
    try:
        app(args=argv, standalone_mode=False)
    except ContractErrors as err:
        for problem in err.problems:
            err_console.print(f"[red]{problem}[/red]", highlight=False, soft_wrap=True)
        err_console.print(f"[red]{len(err.problems)} problem(s)[/red]")
        sys.exit(err.exit_code)
    except LeadlineError as err:
        if os.environ.get("LEADLINE_DEBUG"):
            raise
        err_console.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
        sys.exit(err.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as err:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(err, click.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise
