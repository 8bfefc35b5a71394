"""Many simultaneous events and dispositions on ONE lead, from threads, against the server.

What must hold afterwards: every event stored exactly once; of N identical
verdicts sent at the same moment exactly one applies (the others see the
state it left and are refused) — no lost update; the stage history is one
unbroken chain, each change starting where the previous one ended, in
order; the current stage is the end of that chain.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx

from leadline.app import Leadline

from .conftest import Served

THREADS = 16


def burst(live: Served, calls: list[tuple[str, str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Fire every call at once (a barrier releases them together)."""
    gate = threading.Barrier(len(calls))

    def one(call: tuple[str, str, str, dict[str, Any]]) -> httpx.Response:
        role, method, path, body = call
        with live.client(role) as client:
            gate.wait()
            return client.request(method, path, json=body)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


def event(n: int, kind: str = "page_view") -> tuple[str, str, str, dict[str, Any]]:
    body = {
        "source": "web",
        "source_event_id": f"c-{n}",
        "lead_id": "L1",
        "activity_type": kind,
        "occurred_at": datetime.now(UTC).isoformat(),
        "url": "/pricing",
    }
    return ("marketing", "POST", "/api/v1/activities", body)


def verdict(action: str, reason: str | None = None) -> tuple[str, str, str, dict[str, Any]]:
    body: dict[str, Any] = {"action": action}
    if reason:
        body["reason"] = reason
    return ("sales", "POST", "/api/v1/leads/L1/disposition", body)


def test_simultaneous_events_and_dispositions_leave_one_consistent_ordered_history(
    live: Served,
) -> None:
    # Round 1: a burst of events, one of them a hand-raiser, and duplicates of each.
    calls = [event(n) for n in range(THREADS)] + [event(999, "demo_request")]
    calls += [event(n) for n in range(4)]  # the same events again, at the same time
    first = burst(live, calls)
    assert all(r.status_code in (200, 201) for r in first), [r.text for r in first]
    statuses = Counter(r.json()["status"] for r in first)
    assert statuses == {"accepted": THREADS + 1, "duplicate": 4}
    # Requests that arrive together are committed together: each of them reports the
    # one move to MQL (and the one assignment) their shared transaction made.
    routed = {
        r.json()["verdict"]["assignment"]["assignment_id"]
        for r in first
        if r.json()["verdict"] and r.json()["verdict"]["became_mql"]
    }
    assert len(routed) == 1

    # Round 2: everyone accepts at once, while more events arrive.
    second = burst(
        live, [verdict("accept") for _ in range(THREADS)] + [event(100 + n) for n in range(THREADS)]
    )
    accepts = [r for r in second[:THREADS]]
    assert Counter(r.status_code for r in accepts) == {201: 1, 409: THREADS - 1}
    assert all(r.status_code == 201 for r in second[THREADS:])

    # Round 3: two kinds of rejection race; exactly one verdict wins (a rejected lead
    # cannot be rejected again).
    third = burst(
        live,
        [verdict("reject", "bad_fit") for _ in range(THREADS // 2)]
        + [verdict("reject", "no_intent") for _ in range(THREADS // 2)],
    )
    assert Counter(r.status_code for r in third)[201] == 1
    assert all(r.status_code in (201, 409) for r in third)

    with Leadline.open(live.workspace) as ll:
        history = ll.stage_history("L1")
        stored = ll.engine.scalar("SELECT count(*) FROM activities WHERE lead_id = 'L1'")
        dispositions = ll.engine.scalar("SELECT count(*) FROM dispositions WHERE lead_id = 'L1'")
    assert stored == 2 * THREADS + 1  # every distinct event once
    assert dispositions == 2  # one accept, one reject: none lost, none doubled
    chain = [(h["from_stage"], h["to_stage"]) for h in history]
    assert chain[:2] == [("lead", "mql"), ("mql", "sal")]
    assert chain[2] == ("sal", "rejected")
    assert len(chain) == 3
    for before, after in itertools.pairwise(history):
        assert after["from_stage"] == before["to_stage"]
        assert (after["changed_at"], after["transition_id"]) > (
            before["changed_at"],
            before["transition_id"],
        )
    with live.client("sales") as client:
        assert client.get("/api/v1/leads/L1").json()["stage"] == chain[-1][1]
