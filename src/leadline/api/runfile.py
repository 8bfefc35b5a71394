"""``leadline.serve.json``: a running server says so in its workspace.

DuckDB lets one process write a store file. While ``leadline serve`` runs it
is that process, and a CLI command on the same workspace would otherwise
die on DuckDB's raw lock error. The server writes this file (pid, URL,
start time) when it opens the store and removes it when it closes it; the
CLI reads it first and stops with a message that names the server and what
to do instead. A file left behind by a server that was killed is ignored
(its pid is gone) and replaced by the next server.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from leadline.errors import EngineError
from leadline.workspace import Workspace

RUNFILE = "leadline.serve.json"


class ServerRunning(EngineError):
    """The workspace's store belongs to a running ``leadline serve``."""


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    url: str | None
    started_at: str
    exclusive: bool = True  # the server owns the store file (DuckDB)

    def describe(self) -> str:
        where = f" at {self.url}" if self.url else ""
        return f"`leadline serve` (pid {self.pid}{where}, since {self.started_at})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def read(ws: Workspace) -> ServerInfo | None:
    """The server recorded in the workspace, if its process still runs."""
    try:
        data = json.loads((ws.root / RUNFILE).read_text(encoding="utf-8"))
        info = ServerInfo(
            int(data["pid"]),
            data.get("url"),
            str(data.get("started_at", "?")),
            bool(data.get("exclusive", True)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if _alive(info.pid) else None


def write(ws: Workspace, url: str | None, *, exclusive: bool = True) -> ServerInfo:
    """Record this process as the workspace's server (refused if another one runs)."""
    other = read(ws)
    if other is not None and other.pid != os.getpid() and other.exclusive:
        raise ServerRunning(f"{ws.root} is already served by {other.describe()}")
    info = ServerInfo(
        os.getpid(),
        url,
        datetime.now(UTC).replace(microsecond=0).isoformat(),
        exclusive,
    )
    tmp = ws.root / f".{RUNFILE}.{os.getpid()}"
    tmp.write_text(json.dumps(asdict(info), indent=2) + "\n", encoding="utf-8")
    tmp.replace(ws.root / RUNFILE)
    return info


def remove(ws: Workspace) -> None:
    """Remove the record if it is this process's."""
    current = ws.root / RUNFILE
    with contextlib.suppress(OSError, ValueError):
        if json.loads(current.read_text(encoding="utf-8")).get("pid") == os.getpid():
            current.unlink()


def refuse_if_served(ws: Workspace) -> None:
    """Stop a command from another process while a server owns the store."""
    info = read(ws)
    if info is None or not info.exclusive or info.pid == os.getpid():
        return
    raise ServerRunning(
        f"the workspace {ws.root} is in use by {info.describe()}, which owns its store "
        "while it runs. Stop the server first (Ctrl-C, or `kill "
        f"{info.pid}`), or make the change through its HTTP API (see docs/api.md)."
    )
