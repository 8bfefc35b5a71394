"""Liveness and the contract in force: what a load balancer and a script ask first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from leadline.api.deps import get_ll, require
from leadline.app import Leadline

router = APIRouter()


@router.get("/healthz", tags=["health"], summary="Liveness: the store answers")
def healthz(ll: Leadline = Depends(get_ll)) -> dict[str, Any]:
    ll.engine.scalar("SELECT 1")
    return {"status": "ok"}


@router.get(
    "/api/v1/contract",
    tags=["contract"],
    summary="The contract version in force",
    dependencies=[Depends(require("marketing", "sales"))],
)
def contract(ll: Leadline = Depends(get_ll)) -> dict[str, Any]:
    loaded = ll.loaded
    return {"name": loaded.name, "version": loaded.version, "text": loaded.text}
