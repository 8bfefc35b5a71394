"""``leadline demo --force`` rebuilds a demo workspace, but never one a server is using."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadline.api.runfile import RUNFILE
from leadline.demo.run import prepare
from leadline.errors import LeadlineError
from leadline.workspace import STORE_FILE


def _old_workspace(root: Path) -> None:
    (root / "leadline.yaml").write_text("contract: old\n")
    (root / STORE_FILE).write_bytes(b"not really a store")


def test_force_replaces_an_idle_workspace(tmp_path: Path) -> None:
    _old_workspace(tmp_path)
    prepare(tmp_path, force=True)
    assert not (tmp_path / STORE_FILE).exists()
    assert "contract: old" not in (tmp_path / "leadline.yaml").read_text()


def test_force_refuses_while_a_server_owns_the_store(tmp_path: Path) -> None:
    _old_workspace(tmp_path)
    # another live process recorded as the workspace's server
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / RUNFILE).write_text(
            json.dumps(
                {"pid": other.pid, "url": "http://127.0.0.1:1", "started": "", "exclusive": True}
            )
        )
        with pytest.raises(LeadlineError, match=f"kill {other.pid}"):
            prepare(tmp_path, force=True)
        assert (tmp_path / STORE_FILE).read_bytes() == b"not really a store"  # untouched
    finally:
        other.kill()
        other.wait()
