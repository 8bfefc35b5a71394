"""Leads as sales read them: score and why, stage history, owner, handoff brief (sales)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from leadline import routing, sla
from leadline.api.deps import actor_of, get_ll, require
from leadline.api.fields import Key, UtcTime
from leadline.api.keys import ApiKey
from leadline.api.problems import AUTH_RESPONSES, NOT_FOUND
from leadline.app import Leadline
from leadline.lifecycle.history import stage_of
from leadline.realtime.worker import precise_utcnow
from leadline.routing.brief import build_brief

router = APIRouter(
    prefix="/api/v1/leads",
    tags=["leads"],
    responses={**AUTH_RESPONSES, **NOT_FOUND},
)

PERSON_FIELDS = (
    "lead_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "seniority",
    "department",
    "company",
    "account_id",
    "country",
    "lead_source",
    "channel",
    "campaign_id",
    "created_at",
    "merged_into",
)


class StageChange(BaseModel):
    transition_id: int
    from_stage: str
    to_stage: str
    changed_at: datetime
    actor: str
    reason: str | None
    note: str | None
    source: str
    contract_version: str
    disposition_id: int | None


class ScorePart(BaseModel):
    component: str
    rule: str
    events: int | None
    raw_points: float
    capped_points: float
    cap_applied: bool
    decay_factor: float
    points: float
    detail: str | None


class Score(BaseModel):
    """The lead's score as of a time, every part behind it, and the MQL verdict."""

    as_of: datetime
    contract_version: str
    verdict: dict[str, Any]
    snapshot: dict[str, Any]
    parts: list[ScorePart]


class LeadView(BaseModel):
    lead: dict[str, Any] = Field(description="The person and company fields.")
    stage: str = Field(description="Current stage (the last change at or before now).")
    score: Score
    history: list[StageChange]
    owner: dict[str, Any] | None = Field(None, description="Who owns it, by which rule.")


def _lead_row(ll: Leadline, lead_id: str) -> dict[str, Any]:
    rows = ll.engine.fetch_dicts(
        f"SELECT {', '.join(PERSON_FIELDS)} FROM leads WHERE lead_id = ?", [lead_id]
    )
    return rows[0] if rows else {"lead_id": lead_id}


@router.get("/{ref}", summary="A lead: score with explanation, stage history and owner")
def get_lead(
    ref: str,
    as_of: UtcTime | None = Query(None, description="Score as of this time (default: now)."),
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("sales")),
) -> LeadView:
    lead_id = ll.resolve_lead(ref)
    at = as_of or precise_utcnow()
    explanation = ll.explain(lead_id, at).to_dict()
    current, _ = stage_of(ll.engine, lead_id, at)
    return LeadView(
        lead=_lead_row(ll, lead_id),
        stage=current,
        score=Score.model_validate(explanation),
        history=[StageChange.model_validate(h) for h in ll.stage_history(lead_id)],
        owner=routing.owner_of(ll.engine, lead_id),
    )


@router.get("/{ref}/brief", summary="The handoff brief a rep reads before the first call")
def get_brief(
    ref: str,
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("sales")),
) -> dict[str, Any]:
    lead_id = ll.resolve_lead(ref)
    brief: dict[str, Any] = build_brief(
        ll.engine, ll.loaded.contract, lead_id, precise_utcnow()
    ).to_dict()
    return brief


class TouchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: UtcTime | None = Field(None, description="When the rep reached out (default: now).")
    actor: Key | None = Field(None, description="Who (default: the API key's name).")


class TouchOut(BaseModel):
    lead_id: str
    at: datetime
    actor: str


@router.post(
    "/{ref}/first-touch",
    summary="Record the rep's first touch (stops the speed-to-lead clock)",
)
def post_first_touch(
    ref: str,
    body: TouchIn,
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("sales")),
) -> TouchOut:
    lead_id = ll.resolve_lead(ref)
    at = body.at or precise_utcnow()
    actor = actor_of(key, body.actor)
    sla.record_first_touch(ll.engine, lead_id, at, actor)
    return TouchOut(lead_id=lead_id, at=at, actor=actor)
