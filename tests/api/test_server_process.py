"""``leadline serve`` as a real process: it owns the store, the CLI says so, and a crash
between accepting an event and notifying loses nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx

from leadline.api.runfile import RUNFILE
from leadline.app import Leadline
from leadline.notify import outbox_counts
from tests.cli.runner import run

from .process import ServerProcess
from .receiver import Receiver
from .world import add_keys, build_world


def test_cli_commands_stop_with_a_message_naming_the_running_server(tmp_path: Path) -> None:
    ws = build_world(tmp_path / "world", "http://127.0.0.1:9/unused")
    server = ServerProcess(ws.root, "--log-level", "warning").start()
    try:
        pid = json.loads((ws.root / RUNFILE).read_text())["pid"]
        for args in (("leads",), ("forget", "x@y.z", "-y")):
            result = run(*args, "-w", ws.root, check=False)
            assert result.code == 3, (args, result.err)
            message = " ".join(result.err.split())
            assert "leadline serve" in message
            assert f"pid {pid}" in message
            assert server.url in message
            assert "lock" not in message.lower()
            assert "Traceback" not in result.err
        second = run("serve", "--port", "0", "-w", ws.root, check=False)
        assert second.code == 3
        assert "already served by" in " ".join(second.err.split()) or "in use by" in second.err
    finally:
        output = server.stop()
    assert not (ws.root / RUNFILE).exists(), output
    assert run("leads", "-w", ws.root, "-f", "json").code == 0  # the store is free again


def test_a_crash_after_accepting_a_hand_raiser_loses_no_notification(tmp_path: Path) -> None:
    receiver = Receiver().start()
    ws = build_world(tmp_path / "world", receiver.url)
    tokens = add_keys(ws)
    first = ServerProcess(ws.root, "--no-notify", "--log-level", "warning").start()
    try:
        response = httpx.post(
            first.url + "/api/v1/activities",
            headers={"Authorization": f"Bearer {tokens['marketing']}"},
            json={
                "source": "web",
                "source_event_id": "crash-1",
                "lead_id": "L1",
                "activity_type": "demo_request",
                "occurred_at": datetime.now(UTC).isoformat(),
            },
            timeout=60,
        )
        assert response.status_code == 201, response.text
        assert response.json()["verdict"]["assignment"]["notifications"]
    finally:
        first.kill()  # SIGKILL: no shutdown, no flush, the run file stays behind
    assert (ws.root / RUNFILE).exists()
    assert receiver.received == []
    with Leadline.open(ws) as ll:  # the stale run file does not block a new owner
        assert outbox_counts(ll.engine).get("pending", 0) >= 1

    second = ServerProcess(ws.root, "--tick", "0.5", "--log-level", "warning").start()
    try:
        posts = receiver.wait_for(1)
    finally:
        second.stop()
        receiver.stop()
    assert len(posts) == 1
    assert "Ann Archer" in posts[0].body["text"]
