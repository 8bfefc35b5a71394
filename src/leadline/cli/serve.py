"""``leadline serve`` and ``leadline keys``: the HTTP service and who may use it."""

from __future__ import annotations

from typing import Annotated

import typer

from leadline.api import keys as api_keys
from leadline.cli.common import FormatOpt, WorkspaceOpt, open_app
from leadline.cli.output import Format, console, emit_object, emit_rows
from leadline.workspace import Workspace

keys_app = typer.Typer(help="Create, list and revoke API keys (stored only as hashes).")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workspace: WorkspaceOpt = None,
) -> None:
    """Run the HTTP API (and dashboard) on the workspace; it owns the store while it runs."""
    import uvicorn

    from leadline.api.app import create_app

    ws = Workspace.locate(workspace).require()
    console.print(f"leadline serving {ws.root} on http://{host}:{port} (API docs at /docs)")
    uvicorn.run(create_app(ws), host=host, port=port, log_level="info")


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
