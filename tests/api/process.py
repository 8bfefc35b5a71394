"""``leadline serve`` as a real child process, found through the file it writes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import httpx

from leadline.api.runfile import RUNFILE

LEADLINE = str(Path(sys.executable).with_name("leadline"))


class ServerProcess:
    """Start with ``start()``; ``url`` is read from ``leadline.serve.json``."""

    def __init__(self, workspace: Path, *args: str) -> None:
        self.workspace = workspace
        self.args = args
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.log: TextIO

    def start(self, timeout: float = 180.0) -> ServerProcess:
        env = {**os.environ, "NO_COLOR": "1"}
        self.log = (self.workspace.parent / f"serve-{time.monotonic_ns()}.log").open("w")
        self.proc = subprocess.Popen(
            [LEADLINE, "serve", "--port", "0", "-w", str(self.workspace), *self.args],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + timeout
        runfile = self.workspace / RUNFILE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"leadline serve exited ({self.proc.returncode}):\n{self.output()}"
                )
            try:
                info = json.loads(runfile.read_text())
            except (OSError, ValueError):
                info = {}
            if info.get("pid") == self.proc.pid:
                self.url = str(info["url"])
                try:
                    if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError("leadline serve did not come up")

    def kill(self) -> None:
        """A crash: SIGKILL, no clean-up of any kind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> str:
        """A clean stop (SIGTERM, as a process manager does); returns the server's output."""
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)
        return self.output()

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()
