"""A real server: uvicorn on a loopback port in a thread, over a real workspace store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn

from leadline.api import keys
from leadline.api.app import create_app
from leadline.api.runtime import ServeSettings
from leadline.app import DATABASE_URL_ENV, Leadline
from leadline.workspace import Workspace

from .receiver import Receiver
from .world import add_keys, build_world


@dataclass
class Served:
    """A running server, a token per role and a client per role."""

    base_url: str
    workspace: Workspace
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)


def start_server(
    ws: Workspace, settings: ServeSettings | None = None
) -> tuple[uvicorn.Server, threading.Thread, str]:
    app = create_app(ws, settings or ServeSettings(tick_seconds=0.5))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def stop_server(server: uvicorn.Server, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The server's store: the workspace's DuckDB file, or a fresh PostgreSQL database
    (``LEADLINE_DATABASE_URL``, as a deployment sets it); returns the URL if any."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("pg_url")
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        return url
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    return None


@pytest.fixture
def workspace(tmp_path: Path, store: str | None) -> Workspace:
    ws = Workspace.locate(tmp_path / "ws")
    ws.create()
    return ws


@pytest.fixture
def served(workspace: Workspace) -> Iterator[Served]:
    with Leadline.open(workspace) as ll:
        tokens = {role: keys.create_key(ll.engine, role, f"test {role}")[1] for role in keys.ROLES}
    server, thread, url = start_server(workspace)
    try:
        yield Served(url, workspace, tokens)
    finally:
        stop_server(server, thread)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver().start()
    try:
        yield rec
    finally:
        rec.stop()


@pytest.fixture
def live(tmp_path: Path, receiver: Receiver, store: str | None) -> Iterator[Served]:
    """A real server over the routing world; its webhook posts land in ``receiver``."""
    ws = build_world(tmp_path / "world", receiver.url, database_url=store)
    tokens = add_keys(ws)
    server, thread, url = start_server(ws)
    try:
        yield Served(url, ws, tokens)
    finally:
        stop_server(server, thread)
