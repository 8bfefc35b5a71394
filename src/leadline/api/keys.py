"""API keys: created once, shown once, stored only as a hash.

A key reads ``ll_<key_id>_<secret>``. The ``key_id`` is public (it names the
key in listings and logs); the secret is 32 random bytes. Only
``sha256(secret)`` is stored, so a copy of the store does not leak usable
keys; a 256-bit random secret needs no slow password hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from leadline.errors import LeadlineError, NotFound
from leadline.store.base import Engine

ROLES: tuple[str, ...] = ("marketing", "sales", "admin")
PREFIX = "ll_"
# A server remembers a key it has looked up for this long: every request would
# otherwise read the store first, and on DuckDB wait behind the qualifier's
# whole group commit to do so. A key revoked by another process (PostgreSQL
# deployments) stops working within this window; one revoked here, at once.
CACHE_SECONDS = 5.0
_cache: dict[tuple[int, str], tuple[float, ApiKey, str]] = {}
_cache_lock = threading.Lock()


class AuthError(LeadlineError):
    """No key, or a key that is unknown or revoked (HTTP 401)."""

    http_status = 401


class Forbidden(LeadlineError):
    """A valid key whose role may not do this (HTTP 403)."""

    http_status = 403


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str | None
    role: str
    created_at: datetime
    revoked_at: datetime | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def create_key(engine: Engine, role: str, name: str | None = None) -> tuple[ApiKey, str]:
    """Store a new key and return it with the full token (the only time it is shown)."""
    if role not in ROLES:
        raise LeadlineError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(key_id, name, role, _now())
    engine.execute(
        "INSERT INTO api_keys (key_id, name, role, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        [key_id, name, role, _hash(secret), key.created_at],
    )
    return key, f"{PREFIX}{key_id}_{secret}"


def list_keys(engine: Engine) -> list[ApiKey]:
    rows = engine.fetch(
        "SELECT key_id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at"
    )
    return [ApiKey(*row) for row in rows]


def revoke_key(engine: Engine, key_id: str) -> ApiKey:
    found = [k for k in list_keys(engine) if k.key_id == key_id]
    if not found:
        raise NotFound(f"no API key {key_id!r}")
    if found[0].revoked_at is None:
        engine.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", [_now(), key_id])
    with _cache_lock:
        for cached in [k for k in _cache if k[1] == key_id]:
            del _cache[cached]
    return next(k for k in list_keys(engine) if k.key_id == key_id)


def _parse(token: str | None) -> tuple[str, str]:
    if not token:
        raise AuthError("missing API key: send it as 'Authorization: Bearer <key>' or X-API-Key")
    if not token.startswith(PREFIX) or token.count("_") < 2:
        raise AuthError("malformed API key")
    key_id, _, secret = token[len(PREFIX) :].partition("_")
    return key_id, secret


def _checked(key: ApiKey, digest: str, secret: str) -> ApiKey:
    if not hmac.compare_digest(digest, _hash(secret)):
        raise AuthError("unknown API key")
    if key.revoked_at is not None:
        raise AuthError("this API key was revoked")
    return key


def remembered(engine: Engine, token: str | None) -> ApiKey | None:
    """The key, if this process looked it up within :data:`CACHE_SECONDS`; None when
    only :func:`verify` (which reads the store) can tell. Never touches the store, so
    the server's event loop may call it."""
    key_id, secret = _parse(token)
    with _cache_lock:
        hit = _cache.get((id(engine), key_id))
    if hit is None or time.monotonic() - hit[0] >= CACHE_SECONDS:
        return None
    _, key, digest = hit
    return _checked(key, digest, secret)


def verify(engine: Engine, token: str | None) -> ApiKey:
    """The key a request presented, or :class:`AuthError`."""
    key_id, secret = _parse(token)
    found = remembered(engine, token)
    if found is not None:
        return found
    rows = engine.fetch(
        "SELECT key_id, name, role, created_at, revoked_at, secret_hash FROM api_keys "
        "WHERE key_id = ?",
        [key_id],
    )
    if not rows:
        raise AuthError("unknown API key")
    key, digest = ApiKey(*rows[0][:5]), str(rows[0][5])
    with _cache_lock:
        _cache[(id(engine), key_id)] = (time.monotonic(), key, digest)
    return _checked(key, digest, secret)


def authorize(key: ApiKey, allowed: tuple[str, ...]) -> None:
    """Admin may do everything; other roles only what ``allowed`` names."""
    if key.role != "admin" and key.role not in allowed:
        raise Forbidden(
            f"the {key.role} role may not do this; it needs: {', '.join(('admin', *allowed))}"
        )
