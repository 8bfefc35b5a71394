"""Request dependencies shared by every router: the open workspace and the caller's key."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request

from leadline.api.keys import ApiKey, authorize, verify
from leadline.app import Leadline


def get_ll(request: Request) -> Leadline:
    """The workspace the server opened at start-up (it owns the store while it runs)."""
    ll: Leadline = request.app.state.ll
    return ll


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def require(*roles: str) -> Callable[..., ApiKey]:
    """A dependency that admits admin keys and keys of ``roles`` (401/403 otherwise).

    Use as ``key: ApiKey = Depends(require("sales"))``, or in a router's
    ``dependencies=[Depends(require("marketing"))]``.
    """

    def check(request: Request, ll: Leadline = Depends(get_ll)) -> ApiKey:
        key = verify(ll.engine, _token(request))
        authorize(key, roles)
        request.state.key = key
        return key

    return check
