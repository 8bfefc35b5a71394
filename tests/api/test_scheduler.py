"""The server's scheduler: SLA breaches are found and escalated while it runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadline.app import Leadline

from .conftest import Served, start_server, stop_server
from .receiver import Receiver
from .world import add_keys, build_world

# Every hour of every day is working time, and the rep has one second to call.
ALWAYS = """\
sla:
  business_hours: {days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "24:00"}
  speed_to_lead: {default: 1s}
  escalation:
    notify: [webhook]
    managers: {max: max@vendor.example}
"""


@pytest.fixture
def impatient(tmp_path: Path, receiver: Receiver) -> Iterator[Served]:
    ws = build_world(tmp_path / "world", receiver.url)
    text = ws.contract_path.read_text()
    ws.contract_path.write_text(text[: text.index("sla:")] + ALWAYS)
    tokens = add_keys(ws)
    server, thread, url = start_server(ws)
    try:
        yield Served(url, ws, tokens)
    finally:
        stop_server(server, thread)


def test_an_mql_nobody_touches_is_escalated_by_the_scheduler(
    impatient: Served, receiver: Receiver
) -> None:
    with impatient.client("marketing") as client:
        body = client.post(
            "/api/v1/activities",
            json={
                "source": "web",
                "source_event_id": "sla-1",
                "lead_id": "L1",
                "activity_type": "demo_request",
                "occurred_at": datetime.now(UTC).isoformat(),
            },
        ).json()
    assert body["verdict"]["became_mql"]
    posts = receiver.wait_for(2)  # the handoff, then the escalation a tick later
    assert "Ann Archer" in posts[0].body["text"]
    escalation = posts[1].body["text"]
    assert "speed" in escalation.lower() or "sla" in escalation.lower()
    with Leadline.open(impatient.workspace) as ll:
        breaches = ll.engine.fetch_dicts("SELECT lead_id, kind FROM sla_breaches")
    assert breaches == [{"lead_id": "L1", "kind": "speed_to_lead"}]
    with impatient.client() as client:
        metrics = client.get("/metrics").text
    assert "leadline_sla_breaches_total 1.0" in metrics
