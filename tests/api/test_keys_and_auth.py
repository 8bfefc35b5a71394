"""API keys: shown once, stored as a hash, checked on every request."""

from __future__ import annotations

import hashlib

import pytest

from leadline.api import keys
from leadline.errors import LeadlineError
from leadline.store.duckdb import DuckDBEngine

from .conftest import Served


def test_only_a_hash_of_the_secret_is_stored(engine: DuckDBEngine) -> None:
    key, token = keys.create_key(engine, "sales", "amy")
    stored = engine.fetch_dicts("SELECT * FROM api_keys")
    assert len(stored) == 1
    secret = token.split("_", 2)[2]
    assert secret not in str(stored)
    assert stored[0]["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert keys.verify(engine, token).key_id == key.key_id


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "missing API key"),
        ("", "missing API key"),
        ("nonsense", "malformed"),
        ("ll_abc_def", "unknown API key"),
    ],
)
def test_bad_tokens_are_refused(engine: DuckDBEngine, token: str | None, message: str) -> None:
    with pytest.raises(keys.AuthError, match=message):
        keys.verify(engine, token)


def test_a_revoked_key_is_refused_and_roles_are_checked(engine: DuckDBEngine) -> None:
    key, token = keys.create_key(engine, "marketing")
    keys.authorize(keys.verify(engine, token), ("marketing",))
    with pytest.raises(keys.Forbidden):
        keys.authorize(keys.verify(engine, token), ("sales",))
    keys.revoke_key(engine, key.key_id)
    with pytest.raises(keys.AuthError, match="revoked"):
        keys.verify(engine, token)
    with pytest.raises(LeadlineError, match="unknown role"):
        keys.create_key(engine, "intern")


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_window(
    engine: DuckDBEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server remembers looked-up keys briefly; another process's revocation (a second
    connection here, as with PostgreSQL) takes effect when the memory runs out."""
    key, token = keys.create_key(engine, "sales")
    keys.verify(engine, token)  # looked up, remembered
    engine.execute(  # revoked behind this process's back
        "UPDATE api_keys SET revoked_at = now()::TIMESTAMP WHERE key_id = ?", [key.key_id]
    )
    assert keys.verify(engine, token).key_id == key.key_id  # still inside the window
    with pytest.raises(keys.AuthError, match="unknown"):  # the secret is still checked
        keys.verify(engine, token[:-1] + ("0" if token[-1] != "0" else "1"))
    monkeypatch.setattr(keys, "CACHE_SECONDS", 0.0)
    with pytest.raises(keys.AuthError, match="revoked"):
        keys.verify(engine, token)


def test_the_event_loop_checks_a_remembered_key_without_reading_the_store(
    engine: DuckDBEngine,
) -> None:
    key, token = keys.create_key(engine, "sales")
    assert keys.remembered(engine, token) is None  # never looked up: the store must say
    keys.verify(engine, token)
    engine.execute("DELETE FROM api_keys")  # the store is not read again while remembered
    remembered = keys.remembered(engine, token)
    assert remembered is not None and remembered.key_id == key.key_id
    with pytest.raises(keys.AuthError, match="unknown"):  # a wrong secret is still refused
        keys.remembered(engine, token[:-1] + ("0" if token[-1] != "0" else "1"))
    with pytest.raises(keys.AuthError, match="malformed"):
        keys.remembered(engine, "nonsense")


def test_health_needs_no_key_and_the_contract_needs_one(served: Served) -> None:
    with served.client() as anon:
        assert anon.get("/healthz").json() == {"status": "ok"}
        refused = anon.get("/api/v1/contract")
        assert refused.status_code == 401
        assert refused.json()["error"]["type"] == "AuthError"


def test_each_role_reads_the_contract_version_in_force(served: Served) -> None:
    for role in keys.ROLES:
        with served.client(role) as client:
            body = client.get("/api/v1/contract").json()
            assert len(body["version"]) == 12
    with served.client() as anon:
        bad = anon.get("/api/v1/contract", headers={"Authorization": "Bearer ll_x_y"})
        assert bad.status_code == 401
