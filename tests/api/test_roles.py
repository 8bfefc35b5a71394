"""Who may call what: every role against every endpoint group, over real HTTP.

marketing: ingest, contract, reports. sales: read leads, dispositions,
qualification, opportunities. admin: everything. Health and metrics need no
key. Refusals are JSON: 401 without (or with a bad) key, 403 for a role that
may not. An allowed call may still fail on its input (404, 409, 422) — the
table only pins that the key itself was accepted.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Served

# group -> (method, path, json body) — one representative request per endpoint.
ENDPOINTS: dict[str, list[tuple[str, str, Any]]] = {
    "public": [("GET", "/healthz", None), ("GET", "/metrics", None)],
    "contract": [("GET", "/api/v1/contract", None)],
    "ingest": [
        (
            "POST",
            "/api/v1/activities",
            {
                "source": "web",
                "source_event_id": "roles-1",
                "lead_id": "L2",
                "activity_type": "page_view",
                "occurred_at": "2026-02-01T09:00:00Z",
            },
        ),
        (
            "POST",
            "/api/v1/activities/batch",
            {
                "items": [
                    {
                        "source": "web",
                        "source_event_id": "roles-2",
                        "email": "bob@globex.example",
                        "activity_type": "page_view",
                        "occurred_at": "2026-02-01T09:00:00Z",
                    }
                ]
            },
        ),
        ("POST", "/api/v1/leads", {"lead_id": "L9", "email": "nine@globex.example"}),
        ("POST", "/api/v1/leads/batch", {"items": [{"lead_id": "L8"}]}),
    ],
    "reports": [("GET", "/api/v1/reports/funnel", None)],
    # which reports exist and who may read each (sales reads its own: sla, reps)
    "report list": [("GET", "/api/v1/reports", None), ("GET", "/api/v1/reports/sla", None)],
    "leads": [
        ("GET", "/api/v1/leads/L1", None),
        ("GET", "/api/v1/leads/L1/brief", None),
        ("POST", "/api/v1/leads/L1/first-touch", {}),
    ],
    "dispositions": [("POST", "/api/v1/leads/L1/disposition", {"action": "accept"})],
    "qualification": [
        (
            "POST",
            "/api/v1/leads/L1/qualification",
            {"budget": "50k", "authority": "CFO", "need": "data", "timeline": "Q3"},
        )
    ],
    "opportunities": [
        ("POST", "/api/v1/opportunities", {"opportunity_id": "O1", "stage": "discovery"}),
        ("GET", "/api/v1/opportunities/O1", None),
        ("PATCH", "/api/v1/opportunities/O1", {"amount": 10}),
    ],
    "people": [
        ("GET", "/api/v1/people/nobody@nowhere.example", None),
        ("DELETE", "/api/v1/people/nobody@nowhere.example", None),
    ],
}
ALLOWED: dict[str, set[str]] = {
    "public": {"none", "marketing", "sales", "admin"},
    "contract": {"marketing", "sales", "admin"},
    "ingest": {"marketing", "admin"},
    "reports": {"marketing", "admin"},
    "report list": {"marketing", "sales", "admin"},
    "leads": {"sales", "admin"},
    "dispositions": {"sales", "admin"},
    "qualification": {"sales", "admin"},
    "opportunities": {"sales", "admin"},
    "people": {"admin"},
}
CASES = [
    (group, role, method, path, body)
    for group, calls in ENDPOINTS.items()
    for role in ("none", "marketing", "sales", "admin")
    for method, path, body in calls
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One live server for the whole table (each case is a single request)."""
    from .conftest import start_server, stop_server
    from .receiver import Receiver
    from .world import add_keys, build_world

    rec = Receiver().start()
    ws = build_world(tmp_path_factory.mktemp("roles") / "world", rec.url)
    tokens = add_keys(ws)
    server, thread, url = start_server(ws)
    yield Served(url, ws, tokens)
    stop_server(server, thread)
    rec.stop()


@pytest.mark.parametrize(("group", "role", "method", "path", "body"), CASES)
def test_each_role_against_each_endpoint_group(
    world: Served, group: str, role: str, method: str, path: str, body: Any
) -> None:
    with world.client(None if role == "none" else role) as client:
        response = client.request(method, path, json=body)
    if role in ALLOWED[group]:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
        return
    expected = 401 if role == "none" else 403
    assert response.status_code == expected, response.text
    error = response.json()["error"]
    assert error["type"] == ("AuthError" if expected == 401 else "Forbidden")
    assert error["message"]


def test_the_table_covers_every_route(world: Served) -> None:
    """A new API endpoint must join the table above (and so get a role)."""
    with world.client() as client:
        spec = client.get("/openapi.json").json()
    covered = {path.split("?")[0] for calls in ENDPOINTS.values() for _, path, _ in calls}
    documented = {p for p in spec["paths"] if p.startswith("/api/")}

    def matches(template: str) -> bool:
        parts = template.strip("/").split("/")
        for path in covered:
            segs = path.strip("/").split("/")
            if len(segs) == len(parts) and all(
                p.startswith("{") or p == s for p, s in zip(parts, segs, strict=True)
            ):
                return True
        return False

    missing = sorted(t for t in documented if not matches(t))
    assert missing == []
