"""Opportunities: open one for a lead, move its stage and amount, close it won or lost (sales).

Writing an opportunity moves its lead through the pipeline stages at once
(``opportunity``, then ``won``/``lost``), the same moves a batch run makes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadline.api.deps import get_ll, require
from leadline.api.fields import Email, Key, Text, UtcTime, code
from leadline.api.keys import ApiKey
from leadline.api.problems import AUTH_RESPONSES, CONFLICT, NOT_FOUND
from leadline.app import Leadline
from leadline.lifecycle.history import stage_of
from leadline.realtime import crm
from leadline.realtime.worker import precise_utcnow

router = APIRouter(
    prefix="/api/v1/opportunities",
    tags=["opportunities"],
    responses={**AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
)


class OpportunityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opportunity_id: Key
    lead_id: Key | None = Field(None, description="The lead it came from.")
    email: Email | None = Field(None, description="Or that lead's email address.")
    account_id: Key | None = Field(None, description="Default: the lead's account.")
    name: Text | None = None
    stage: Key = Field(description="Your pipeline stage; `won` or `lost` closes it.")
    amount: float | None = Field(None, ge=0, allow_inf_nan=False)
    product: Text | None = None
    owner: Key | None = None
    created_at: UtcTime | None = Field(None, description="When it opened (default: now).")
    closed_at: UtcTime | None = Field(
        None, description="When it closed (default: now if won/lost)."
    )

    @model_validator(mode="before")
    @classmethod
    def _stage_code(cls, data: Any) -> Any:
        if isinstance(data, dict) and "stage" in data:
            data = {**data, "stage": code(data["stage"])}
        return data


class OpportunityPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: Key | None = None
    amount: float | None = Field(None, ge=0, allow_inf_nan=False)
    name: Text | None = None
    product: Text | None = None
    owner: Key | None = None
    closed_at: UtcTime | None = None

    @model_validator(mode="before")
    @classmethod
    def _stage_code(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("stage"), str):
            data = {**data, "stage": code(data["stage"])}
        return data


class OpportunityOut(BaseModel):
    opportunity_id: str
    account_id: str | None
    lead_id: str | None
    name: str | None
    stage: str
    amount: float | None
    product: str | None
    owner: str | None
    created_at: datetime | None
    closed_at: datetime | None
    lead_stage: str | None = Field(None, description="The lead's stage after this change.")


def _out(ll: Leadline, row: dict[str, Any]) -> OpportunityOut:
    lead_id = row.get("lead_id")
    lead_stage = stage_of(ll.engine, lead_id, precise_utcnow())[0] if lead_id else None
    return OpportunityOut(**row, lead_stage=lead_stage)


@router.post(
    "",
    summary="Open an opportunity (re-sending the same one is a no-op)",
    status_code=201,
    responses={200: {"model": OpportunityOut, "description": "Already stored, unchanged."}},
)
def post_opportunity(
    body: OpportunityIn,
    response: Response,
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("sales")),
) -> OpportunityOut:
    fields = body.model_dump(exclude={"email"})
    if body.lead_id is not None or body.email is not None:
        fields["lead_id"] = ll.resolve_lead(body.lead_id or body.email or "")
    written = crm.create(ll.engine, ll.loaded.version, fields, precise_utcnow())
    if not written.created:
        response.status_code = 200
    return _out(ll, written.opportunity)


@router.get("/{opportunity_id}", summary="One opportunity")
def get_opportunity(
    opportunity_id: str,
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("sales")),
) -> OpportunityOut:
    return _out(ll, crm.get(ll.engine, opportunity_id))


@router.patch("/{opportunity_id}", summary="Change stage, amount or owner; close as won or lost")
def patch_opportunity(
    opportunity_id: str,
    body: OpportunityPatch,
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("sales")),
) -> OpportunityOut:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    written = crm.update(ll.engine, ll.loaded.version, opportunity_id, changes, precise_utcnow())
    return _out(ll, written.opportunity)
