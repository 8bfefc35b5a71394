"""Prometheus metrics after real traffic, and the one error envelope for every failure."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import httpx
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from .conftest import Served
from .receiver import Receiver


def samples(live: Served) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with live.client() as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_count_requests_events_mqls_and_notifications(
    live: Served, receiver: Receiver
) -> None:
    event = {
        "source": "web",
        "source_event_id": "m1",
        "lead_id": "L1",
        "activity_type": "demo_request",
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    with live.client("marketing") as client:
        client.post("/api/v1/activities", json=event)
        client.post("/api/v1/activities", json=event)
        client.post("/api/v1/activities", json={**event, "lead_id": "ghost"})
    receiver.wait_for(1)
    got = samples(live)
    for _ in range(100):  # the counter moves just after the receiver answered
        if got.get(("leadline_notifications_total", (("result", "delivered"),))):
            break
        time.sleep(0.05)
        got = samples(live)
    route = "/api/v1/activities"
    assert (
        got[
            (
                "leadline_http_requests_total",
                (("method", "POST"), ("route", route), ("status", "201")),
            )
        ]
        == 1
    )
    assert (
        got[
            (
                "leadline_http_requests_total",
                (("method", "POST"), ("route", route), ("status", "200")),
            )
        ]
        == 1
    )
    assert (
        got[
            (
                "leadline_http_requests_total",
                (("method", "POST"), ("route", route), ("status", "422")),
            )
        ]
        == 1
    )
    assert got[("leadline_http_request_seconds_count", (("method", "POST"), ("route", route)))] == 3
    assert got[("leadline_events_ingested_total", (("result", "accepted"),))] == 1
    assert got[("leadline_events_ingested_total", (("result", "duplicate"),))] == 1
    assert got[("leadline_events_ingested_total", (("result", "rejected"),))] == 1
    assert got[("leadline_mqls_routed_total", ())] == 1
    assert got[("leadline_notifications_total", (("result", "delivered"),))] == 1
    # the two accepted-or-duplicate requests reached the qualifier (the bad one too: it
    # is refused there), each group and each request's wait for it is observed
    groups = got[("leadline_qualifier_group_requests_count", ())]
    assert groups >= 1
    assert got[("leadline_qualifier_group_requests_sum", ())] == 3
    assert got[("leadline_qualifier_wait_seconds_count", ())] == 3


def test_every_failure_is_the_json_envelope(live: Served) -> None:
    with live.client("sales") as client:
        cases = {
            "unknown route": (client.get("/api/v1/nothing-here"), 404, "NotFound"),
            "wrong method": (client.put("/api/v1/leads/L1"), 405, "MethodNotAllowed"),
            "not json": (
                client.post(
                    "/api/v1/leads/L1/disposition",
                    content=b"{nope",
                    headers={"content-type": "application/json"},
                ),
                422,
                "InvalidRequest",
            ),
            "unknown lead": (client.get("/api/v1/leads/nobody"), 404, "NotFound"),
        }
    for name, (response, status, kind) in cases.items():
        assert response.status_code == status, name
        error = response.json()["error"]
        assert error["type"] == kind, name
        assert error["message"], name


def test_the_openapi_document_describes_models_and_errors(live: Served) -> None:
    with live.client() as client:
        spec = client.get("/openapi.json").json()
        docs = client.get("/docs")
    assert docs.status_code == 200
    post = spec["paths"]["/api/v1/activities"]["post"]
    schema = spec["components"]["schemas"]["ActivityIn"]
    assert "demo_request" in schema["properties"]["activity_type"]["enum"]
    assert set(schema["required"]) >= {"source", "source_event_id", "activity_type"}
    assert {"201", "200", "401", "403", "422"} <= set(post["responses"])
    error = post["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    assert error.endswith("/ErrorEnvelope")


def test_an_unexpected_error_is_the_500_envelope_and_the_server_keeps_serving() -> None:
    from fastapi import FastAPI

    from leadline.api import problems

    app = FastAPI()
    problems.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @app.get("/fine")
    def fine() -> dict[str, bool]:
        return {"ok": True}

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        with httpx.Client(base_url=url) as client:
            crashed = client.get("/boom")
            assert crashed.status_code == 500
            assert crashed.json() == {
                "error": {"type": "InternalError", "message": "internal error (logged)"}
            }
            assert client.get("/fine").json() == {"ok": True}  # same connection, still served
    finally:
        server.should_exit = True
        thread.join(10)
