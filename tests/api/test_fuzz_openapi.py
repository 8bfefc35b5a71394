"""schemathesis against the live server's /openapi.json: no generated input causes a 5xx.

Every operation gets a bounded number of generated requests, valid
(positive) and invalid (negative), sent over real HTTP with an admin key;
each must be answered below 500, and every JSON error in the envelope.
(schemathesis' pytest plugin does not run under pytest 9, so the test drives
its Python API: one hypothesis run per operation and mode.)
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from .conftest import start_server, stop_server
from .receiver import Receiver
from .world import add_keys, build_world

EXAMPLES = 8


def test_no_generated_request_gets_a_server_error(tmp_path: Path) -> None:
    rec = Receiver().start()
    ws = build_world(tmp_path / "world", rec.url)
    token = add_keys(ws)["admin"]
    server, thread, url = start_server(ws)
    failures: list[str] = []
    operations = 0
    try:
        schema = schemathesis.openapi.from_url(url + "/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @given(case=operation.as_strategy(generation_mode=mode))
                @settings(
                    max_examples=EXAMPLES,
                    deadline=None,
                    derandomize=True,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                def run(case: schemathesis.Case) -> None:
                    response = case.call(headers={"Authorization": f"Bearer {token}"})
                    if response.status_code >= 500:
                        failures.append(
                            f"{case.method} {case.formatted_path} -> {response.status_code}: "
                            f"{response.text[:300]} (body={case.body!r})"
                        )
                    elif response.status_code >= 400 and "json" in response.headers.get(
                        "content-type", ""
                    ):
                        assert response.json()["error"]["message"]

                try:
                    run()
                except Unsatisfiable:
                    # No invalid request exists for an operation without inputs.
                    assert mode is GenerationMode.NEGATIVE, operation.label
    finally:
        stop_server(server, thread)
        rec.stop()
    assert operations >= 15
    assert failures == []
