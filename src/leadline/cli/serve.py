"""``leadline serve`` and ``leadline keys``: the HTTP service and who may use it."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from leadline.api import keys as api_keys
from leadline.api import runfile
from leadline.cli.common import FormatOpt, WorkspaceOpt, open_app
from leadline.cli.output import Format, console, emit_object, emit_rows
from leadline.errors import LeadlineError
from leadline.workspace import Workspace

keys_app = typer.Typer(help="Create, list and revoke API keys (stored only as hashes).")


def _listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket here, so ``--port 0`` can report the port it got."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise LeadlineError(f"cannot listen on {host}:{port}: {err.strerror}") from err
    return sock


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0: any free port).")] = 8000,
    tick: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Scheduler interval in seconds: deliver due notifications (retries) "
            "and check SLAs.",
        ),
    ] = 5.0,
    notify: Annotated[
        bool,
        typer.Option(
            "--notify/--no-notify",
            help="Deliver notifications. With --no-notify they stay queued in the outbox "
            "until a server runs with delivery on.",
        ),
    ] = True,
    log_level: Annotated[
        str, typer.Option(help="uvicorn log level: critical, error, warning, info, debug.")
    ] = "info",
    workspace: WorkspaceOpt = None,
) -> None:
    """Run the HTTP API (and dashboard) on the workspace; it owns the store while it runs."""
    import uvicorn

    from leadline.api.app import create_app
    from leadline.api.runtime import ServeSettings

    ws = Workspace.locate(workspace).require()
    runfile.refuse_if_served(ws)
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}"
    settings = ServeSettings(tick_seconds=tick, notify=notify, url=url)
    console.print(f"leadline serving {ws.root} on {url} (API docs at {url}/docs)", highlight=False)
    config = uvicorn.Config(create_app(ws, settings), log_level=log_level)
    uvicorn.Server(config).run(sockets=[sock])


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="marketing, sales or admin.")],
    name: Annotated[str | None, typer.Option(help="A label, e.g. who uses it.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Create a key; the token is printed once and only its hash is stored."""
    with open_app(workspace) as ll:
        key, token = api_keys.create_key(ll.engine, role, name)
    data = {**key.to_dict(), "token": token}
    if fmt is Format.table:
        console.print(
            f"created {role} key {key.key_id}; copy the token now, it is not shown again:"
        )
        console.print(token, highlight=False, soft_wrap=True)
        return
    emit_object(data, fmt)


@keys_app.command("list")
def keys_list(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.table) -> None:
    """List keys (ids, names, roles, when created or revoked; never the secret)."""
    with open_app(workspace) as ll:
        rows = [k.to_dict() for k in api_keys.list_keys(ll.engine)]
    emit_rows(rows, fmt, title="API keys")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id shown by `leadline keys list`.")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    with open_app(workspace) as ll:
        key = api_keys.revoke_key(ll.engine, key_id)
    emit_object(key.to_dict(), fmt)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(keys_app, name="keys")
