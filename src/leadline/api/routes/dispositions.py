"""Dispositions: sales' verdict on an MQL — accept, reject with a reason, recycle (sales).

Each request is one transaction holding the lead's lock, and its time is
taken inside it, so concurrent requests on one lead apply one after the
other to the state the previous one left: the history stays complete and
ordered, and none is lost. A retry that repeats its ``event_id`` is a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from leadline.api.deps import actor_of, get_ll, require
from leadline.api.fields import Key, Note
from leadline.api.keys import ApiKey
from leadline.api.problems import AUTH_RESPONSES, CONFLICT, NOT_FOUND
from leadline.app import Leadline
from leadline.lifecycle import moves
from leadline.lifecycle.history import last_change
from leadline.realtime.worker import precise_utcnow
from leadline.store.base import Engine

router = APIRouter(
    prefix="/api/v1/leads",
    tags=["dispositions"],
    responses={**AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
)
SOURCE = "api"


def decision_time(engine: Engine, lead_id: str) -> datetime:
    """Now, but never before the lead's last recorded change (clock skew between
    clients that date events and this server must not make a decision look earlier
    than what it decided on)."""
    now = precise_utcnow()
    latest = last_change(engine, lead_id)
    return max(now, latest) if latest is not None else now


class DispositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "reject", "recycle"]
    reason: Key | None = Field(
        None, description="Required to reject or recycle: a reason code from the contract."
    )
    note: Note | None = Field(None, description="Free text for the file (personal data).")
    actor: Key | None = Field(None, description="Who decided (default: the API key's name).")
    event_id: Key | None = Field(
        None, description="Your id for this decision: re-sending it is a no-op."
    )


class TransitionOut(BaseModel):
    lead_id: str
    from_stage: str
    to_stage: str
    changed_at: datetime
    actor: str
    reason: str | None
    note: str | None
    source: str
    contract_version: str
    disposition_id: int | None = None
    duplicate: bool = Field(False, description="True when event_id was already recorded.")


def _already(engine: Engine, event_id: str) -> TransitionOut | None:
    rows = engine.fetch_dicts(
        "SELECT h.lead_id, h.from_stage, h.to_stage, h.changed_at, h.actor, h.reason, h.note, "
        "h.source, h.contract_version, h.disposition_id FROM dispositions AS d "
        "JOIN stage_history AS h ON h.disposition_id = d.disposition_id "
        "WHERE d.source = ? AND d.source_event_id = ?",
        [SOURCE, event_id],
    )
    return TransitionOut(**rows[0], duplicate=True) if rows else None


@router.post(
    "/{ref}/disposition",
    summary="Accept, reject (with reason) or recycle an MQL",
    status_code=201,
    responses={200: {"model": TransitionOut, "description": "event_id already recorded."}},
)
def post_disposition(
    ref: str,
    body: DispositionIn,
    response: Response,
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("sales")),
) -> TransitionOut:
    engine = ll.engine
    lead_id = ll.resolve_lead(ref)
    with engine.transaction():
        engine.lock(f"lead:{lead_id}")
        if body.event_id is not None:
            seen = _already(engine, body.event_id)
            if seen is not None:
                response.status_code = 200
                return seen
        t = moves.dispose(
            engine,
            ll.loaded.contract,
            ll.loaded.version,
            lead_id,
            body.action,
            at=decision_time(engine, lead_id),
            actor=actor_of(key, body.actor),
            reason=body.reason,
            note=body.note,
            source=SOURCE,
            source_event_id=body.event_id,
        )
    return TransitionOut.model_validate(t.to_dict())
