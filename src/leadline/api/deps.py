"""Request dependencies shared by every router: the open workspace and the caller's key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from leadline.api.keys import ApiKey, authorize, remembered, verify
from leadline.api.runtime import Runtime
from leadline.app import Leadline


# The dependencies are coroutines: a plain function would cost every request a trip
# through the thread pool, and under load those trips queue behind each other.
async def get_ll(request: Request) -> Leadline:
    """The workspace the server opened at start-up (it owns the store while it runs)."""
    ll: Leadline = request.app.state.ll
    return ll


async def get_runtime(request: Request) -> Runtime:
    """The server's qualifier, scheduler and metrics (built at start-up)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def actor_of(key: ApiKey, given: str | None = None) -> str:
    """Who did it, for stage history: the person the caller names, else the key."""
    if given:
        return given
    return f"{key.name} [key {key.key_id}]" if key.name else f"key {key.key_id}"


# Declared so /openapi.json and /docs show how to authenticate; the check itself
# reads the headers (a malformed Authorization header is a 401, not a 403).
BEARER = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="Or `X-API-Key: <key>`.")


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def require(*roles: str) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency that admits admin keys and keys of ``roles`` (401/403 otherwise).

    Use as ``key: ApiKey = Depends(require("sales"))``, or in a router's
    ``dependencies=[Depends(require("marketing"))]``.
    """

    async def check(
        request: Request,
        ll: Leadline = Depends(get_ll),
        _bearer: HTTPAuthorizationCredentials | None = Security(BEARER),
        _header: str | None = Security(API_KEY),
    ) -> ApiKey:
        token = _token(request)
        key = remembered(ll.engine, token)
        if key is None:  # reading the store may wait for a commit: not on the event loop
            key = await run_in_threadpool(verify, ll.engine, token)
        authorize(key, roles)
        request.state.key = key
        return key

    return check
