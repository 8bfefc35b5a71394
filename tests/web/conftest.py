"""The dashboard under real headless Chromium, on a demo workspace served by the real app.

Chromium comes from Debian (``scripts/system-deps.sh`` installs ``chromium``);
Playwright drives that binary and never downloads a browser. Without it the
browser tests skip and say so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from leadline.api import keys
from leadline.app import Leadline
from leadline.cli.output import Format
from leadline.demo.run import run_demo
from leadline.workspace import Workspace
from tests.api.conftest import start_server, stop_server

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots of every page land here (git-ignored); LEADLINE_DOCS_SCREENSHOTS=1 also
# refreshes the two in docs/screenshots/.
ARTIFACTS = REPO / "test-artifacts" / "dashboard"
DOCS_SHOTS = REPO / "docs" / "screenshots"


@dataclass
class Dashboard:
    url: str
    workspace: Workspace
    server: uvicorn.Server
    tokens: dict[str, str] = field(default_factory=dict)

    def api(self, role: str = "marketing") -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.tokens[role]}"},
            timeout=60,
        )

    @property
    def ll(self) -> Leadline:
        """The server's own open workspace (the test runs the server in this process)."""
        ll: Leadline = self.server.config.app.state.ll  # type: ignore[attr-defined]
        return ll


@pytest.fixture(scope="session")
def demo_dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """``leadline demo --scale 0.1`` once per session, served by the real app."""
    root = tmp_path_factory.mktemp("dashboard") / "demo"
    run_demo(root, scale=0.1, fmt=Format.json)  # in this process: the CLI's own code path
    ws = Workspace.locate(root)
    with Leadline.open(ws) as ll:
        tokens = {r: keys.create_key(ll.engine, r, f"{r} tester")[1] for r in keys.ROLES}
    server, thread, url = start_server(ws)
    try:
        yield Dashboard(url, ws, server, tokens)
    finally:
        stop_server(server, thread)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.skip(
            f"headless Chromium is not installed at {CHROMIUM}: run scripts/system-deps.sh "
            "(Debian package chromium); Playwright must not download a browser"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Tab:
    """A browser page that records console errors, page errors and where it went."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def tab(chromium: Any) -> Iterator[Tab]:
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    tab = Tab(page)
    page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: tab.errors.append(str(e)))
    page.on("request", lambda r: tab.requests.append(r.url))
    try:
        yield tab
    finally:
        context.close()


def sign_in(tab: Tab, dashboard: Dashboard, role: str = "marketing") -> None:
    tab.page.goto(dashboard.url + "/dashboard/login")
    tab.page.fill("input[name=key]", dashboard.tokens[role])
    tab.page.click("form button[type=submit]")
    tab.page.wait_for_load_state()


def shoot(tab: Tab, name: str, *, docs: bool = False) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("LEADLINE_DOCS_SCREENSHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        tab.page.screenshot(path=str(DOCS_SHOTS / f"{name}.png"), full_page=False)
    return path


__all__ = ["Dashboard", "Tab", "shoot", "sign_in"]
