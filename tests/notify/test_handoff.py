"""From routing to the rep's inbox: briefs through the outbox to real receivers.

Includes the crash promise: a process that routes an MQL and dies before
notifying loses nothing — the next process delivers the queued brief.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadline.notify import SmtpSettings, deliver_due
from leadline.store import migrate
from leadline.store.duckdb import DuckDBEngine

from ..routing.floor import MONDAY, Floor, make_contract, minutes
from .receivers import SmtpReceiver, WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    server = SmtpReceiver().start()
    yield server
    server.stop()


def notify(url: str, smtp_port: int = 1) -> dict[str, object]:
    return {
        "webhook": {"url": url},
        "email": {
            "from": "leadline@example.test",
            "to": ["rep"],
            "cc": ["team@example.test"],
            "smtp": {"host": "127.0.0.1", "port": smtp_port},
        },
    }


def setup_floor(engine: DuckDBEngine, url: str, smtp_port: int = 1) -> Floor:
    floor = Floor(engine).use(make_contract(routing__notify=notify(url, smtp_port)))
    floor.rep("R1", name="Amy Carter", email="amy@example.test")
    floor.account("ACME", name="Acme Corp")
    floor.lead(
        "JANE", account_id="ACME", first_name="Jane", last_name="Doe", hand_raise=minutes(-1)
    )
    floor.qualify(MONDAY)
    return floor


def test_a_routed_mql_reaches_slack_and_the_reps_inbox(
    engine: DuckDBEngine, receiver: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    floor = setup_floor(engine, receiver.url, smtp.port)
    (assignment,) = floor.route(["JANE"], MONDAY)
    assert len(assignment.notifications) == 2
    report = deliver_due(engine, MONDAY)
    assert report.delivered == 2
    (body,) = receiver.received
    assert body["text"].startswith("A1 MQL: Jane Doe, VP Data at Acme Corp")
    assert any("Amy Carter (R1)" in json.dumps(b) for b in body["blocks"])
    (mail,) = smtp.messages
    assert mail["To"] == "amy@example.test" and mail["Cc"] == "team@example.test"
    assert mail["Subject"] == "[A1 MQL] Jane Doe, VP Data at Acme Corp — demo request"


def test_the_smtp_override_wins_over_the_queued_server(
    engine: DuckDBEngine, receiver: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    floor = setup_floor(engine, receiver.url)  # queued with port 1: nothing listens there
    floor.route(["JANE"], MONDAY)
    report = deliver_due(engine, MONDAY, smtp=SmtpSettings(host="127.0.0.1", port=smtp.port))
    assert report.delivered == 2 and len(smtp.messages) == 1


CRASHING_ROUTER = textwrap.dedent(
    """
    import json, os, sys
    from datetime import datetime
    from leadline.contract.compiler import compile_contract
    from leadline.contract.schema import Contract
    from leadline.routing import route_mqls
    from leadline.store.duckdb import DuckDBEngine

    store, contract_file, now = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
    contract = Contract.model_validate(json.loads(open(contract_file).read()))
    engine = DuckDBEngine.at(store)
    routed = route_mqls(engine, compile_contract(contract, "v1"), "v1", ["JANE"], now)
    print(json.dumps([a.to_dict() for a in routed]), flush=True)
    os._exit(9)  # dies before any notification is delivered, without closing the store
    """
)


def test_a_crash_between_routing_and_notifying_loses_nothing(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    store = tmp_path / "crash.duckdb"
    engine = DuckDBEngine.at(store)
    migrate(engine)
    floor = setup_floor(engine, receiver.url)
    contract_file = tmp_path / "contract.json"
    contract_file.write_text(json.dumps(floor.contract.model_dump(mode="json", by_alias=True)))
    engine.close()
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_ROUTER, str(store), str(contract_file), MONDAY.isoformat()],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 9, proc.stderr
    (routed,) = json.loads(proc.stdout)
    assert routed["rep_id"] == "R1" and len(routed["notifications"]) == 2
    assert receiver.received == []
    engine = DuckDBEngine.at(store)  # "after the restart"
    try:
        pending = engine.fetch("SELECT channel, status FROM outbox ORDER BY notification_id")
        assert pending == [("webhook", "pending"), ("email", "pending")]
        assert engine.scalar("SELECT count(*) FROM sla_clocks") == 2
        assert deliver_due(engine, MONDAY, timeout=2).delivered == 1  # the webhook
        assert receiver.received[0]["text"].startswith("A1 MQL: Jane Doe")
    finally:
        engine.close()
