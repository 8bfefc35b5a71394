"""Ingest: activities and leads, one at a time or in batches (marketing).

Activities are idempotent by ``(source, source_event_id)``: sending one
again is a no-op answered ``200`` with status ``duplicate``. Every accepted
activity re-scores its lead at once with the contract's compiled plan; a
lead that now qualifies is moved to MQL, routed and its owner notified
before the response is sent (see docs/api.md, "Real-time qualification").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from leadline.api.deps import get_ll, get_runtime, require
from leadline.api.fields import Email, Key, Text, UtcTime, code
from leadline.api.keys import ApiKey
from leadline.api.problems import AUTH_RESPONSES, InvalidRequest
from leadline.api.runtime import Runtime
from leadline.app import Leadline
from leadline.contract.schema import ACTIVITY_TYPES
from leadline.ingest.kinds import KIND_SPECS
from leadline.realtime.events import Event, EventOutcome
from leadline.realtime.leads import LeadOutcome, upsert_leads
from leadline.realtime.worker import QualifierResult

router = APIRouter(prefix="/api/v1", tags=["ingest"], responses=AUTH_RESPONSES)
MAX_BATCH = 1_000


def _known_activity(value: str) -> str:
    if value not in ACTIVITY_TYPES:
        raise ValueError(f"unknown activity type {value!r}; use one of {', '.join(ACTIVITY_TYPES)}")
    return value


ActivityType = Annotated[
    str,
    BeforeValidator(code),
    AfterValidator(_known_activity),
    WithJsonSchema({"type": "string", "enum": list(ACTIVITY_TYPES)}),
]
Scalar = str | int | float | bool | None
AttrKey = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]


class ActivityIn(BaseModel):
    """One thing a lead did. Name the lead by ``lead_id`` or ``email``."""

    model_config = ConfigDict(extra="forbid")

    source: Key = Field(description="The system that saw it, e.g. `web`, `marketo`.")
    source_event_id: Key = Field(
        description="The event's id in that system; `(source, source_event_id)` is unique."
    )
    activity_type: ActivityType = Field(description="What the lead did.")
    occurred_at: UtcTime = Field(description="When (ISO 8601; UTC unless it has an offset).")
    lead_id: Key | None = Field(None, description="The lead's id in leadline.")
    email: Email | None = Field(None, description="Or the lead's email address.")
    url: Text | None = Field(None, description="The page or link, when there is one.")
    content_id: Key | None = Field(None, description="The content asset, when known.")
    campaign_id: Key | None = Field(None, description="The campaign, when known.")
    value: float | None = Field(None, allow_inf_nan=False, description="A number, if any.")
    attributes: dict[AttrKey, Scalar] | None = Field(
        None, max_length=50, description="Anything else worth keeping, as flat key/values."
    )

    @model_validator(mode="after")
    def _names_a_lead(self) -> ActivityIn:
        if self.lead_id is None and self.email is None:
            raise ValueError("give lead_id or email to say whose activity this is")
        return self

    def to_event(self) -> Event:
        return Event(
            source=self.source,
            source_event_id=self.source_event_id,
            activity_type=self.activity_type,
            occurred_at=self.occurred_at,
            lead_id=self.lead_id,
            email=self.email,
            url=self.url,
            content_id=self.content_id,
            campaign_id=self.campaign_id,
            value=self.value,
            attributes=self.attributes,
        )


class ActivityBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ActivityIn] = Field(min_length=1, max_length=MAX_BATCH)


class Snapshot(BaseModel):
    """A lead's score as of a time, from the contract's compiled plan."""

    lead_id: str
    account_id: str | None
    as_of: datetime
    contract_version: str
    fit_points: float
    grade: str
    engagement: float
    intent: float
    score: float
    excluded_reason: str | None
    trigger_rule: str | None
    priority: str
    priority_rank: int
    qualifies_mql: bool
    mql_reason: str
    account_score: float | None
    account_engaged_contacts: int | None
    account_qualifies_mqa: bool | None


class Verdict(BaseModel):
    """What the real-time path concluded for one lead."""

    lead_id: str
    snapshot: Snapshot
    became_mql: bool = Field(
        description="Moved to MQL by the transaction that stored this request (requests "
        "that arrive together are committed together and all report it)."
    )
    assignment: dict[str, Any] | None = Field(
        None, description="Who it was routed to, by which rule (when it became an MQL)."
    )


class EventResult(BaseModel):
    index: int = Field(description="Position in the request (0 for a single event).")
    status: Literal["accepted", "duplicate", "rejected"]
    source: str
    source_event_id: str
    lead_id: str | None = Field(None, description="The surviving lead it counts for.")
    field: str | None = None
    message: str | None = None


class ActivityResponse(BaseModel):
    status: Literal["accepted", "duplicate"]
    event: EventResult
    verdict: Verdict | None = Field(None, description="The lead's new score (when accepted).")


class ActivityBatchResponse(BaseModel):
    accepted: int
    duplicate: int
    rejected: int
    items: list[EventResult]
    verdicts: list[Verdict]


def _assignment(a: Any) -> dict[str, Any]:
    if hasattr(a, "to_dict"):
        data: dict[str, Any] = a.to_dict()
        return data
    return {k: v for k, v in vars(a).items() if not k.startswith("_")}


def _verdicts(result: QualifierResult) -> list[Verdict]:
    routed = {str(getattr(a, "lead_id", "")): a for a in result.assignments}
    return [
        Verdict(
            lead_id=lead_id,
            snapshot=Snapshot.model_validate(snap),
            became_mql=lead_id in result.to_mql,
            assignment=_assignment(routed[lead_id]) if lead_id in routed else None,
        )
        for lead_id, snap in sorted(result.snapshots.items())
    ]


def _count(runtime: Runtime, outcomes: list[EventOutcome], result: QualifierResult) -> None:
    for o in outcomes:
        runtime.metrics.events.labels(o.status).inc()
    runtime.metrics.mqls.inc(len(result.to_mql))


@router.post(
    "/activities",
    summary="Record one activity (idempotent) and re-score its lead now",
    status_code=201,
    responses={200: {"model": ActivityResponse, "description": "Already stored: a no-op."}},
)
async def post_activity(
    body: ActivityIn,
    response: Response,
    runtime: Runtime = Depends(get_runtime),
    key: ApiKey = Depends(require("marketing")),
) -> ActivityResponse:
    result = await runtime.qualifier.submit_async([body.to_event()])
    _count(runtime, result.outcomes, result)
    outcome = result.outcomes[0]
    if outcome.status == "rejected":
        raise InvalidRequest([(f"body.{outcome.field}", outcome.message or "rejected")])
    if outcome.status == "duplicate":
        response.status_code = 200
    verdicts = _verdicts(result)
    return ActivityResponse(
        status=outcome.status,
        event=EventResult.model_validate(outcome.to_dict()),
        verdict=verdicts[0] if verdicts else None,
    )


@router.post(
    "/activities/batch",
    summary="Record up to 1,000 activities; one outcome per item",
)
async def post_activities(
    body: ActivityBatch,
    runtime: Runtime = Depends(get_runtime),
    key: ApiKey = Depends(require("marketing")),
) -> ActivityBatchResponse:
    result = await runtime.qualifier.submit_async([item.to_event() for item in body.items])
    _count(runtime, result.outcomes, result)
    items = [EventResult.model_validate(o.to_dict()) for o in result.outcomes]
    return ActivityBatchResponse(
        accepted=sum(i.status == "accepted" for i in items),
        duplicate=sum(i.status == "duplicate" for i in items),
        rejected=sum(i.status == "rejected" for i in items),
        items=items,
        verdicts=_verdicts(result),
    )


# -- leads ----------------------------------------------------------------------
LEAD_FIELDS = tuple(KIND_SPECS["leads"].fields)


class LeadIn(BaseModel):
    """A lead (person). Re-sending the same record changes nothing."""

    model_config = ConfigDict(extra="forbid")

    lead_id: Key = Field(description="Your id for the lead; the record is upserted by it.")
    email: Email | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    title: Text | None = Field(None, description="Job title; seniority/department follow it.")
    seniority: Key | None = Field(None, description="c_level, vp, director, manager, …")
    department: Key | None = None
    company: Text | None = None
    account_id: Key | None = None
    country: Key | None = Field(None, description="Country name or ISO code.")
    lead_source: Text | None = None
    channel: Text | None = None
    campaign_id: Key | None = None
    created_at: UtcTime | None = None
    converted: bool | None = None
    attributes: dict[AttrKey, Scalar] | None = Field(
        None, max_length=50, description="Custom fields, kept as lead.attributes.<key>."
    )

    @model_validator(mode="after")
    def _attributes_are_not_fields(self) -> LeadIn:
        clash = sorted(k for k in self.attributes or {} if k.lower() in LEAD_FIELDS)
        if clash:
            raise ValueError(f"attributes {', '.join(clash)} are lead fields: send them as such")
        return self

    def record(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"attributes"}, exclude_none=True)
        data.update({k: v for k, v in (self.attributes or {}).items() if v is not None})
        return data


class LeadBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[LeadIn] = Field(min_length=1, max_length=MAX_BATCH)


class LeadResult(BaseModel):
    index: int
    lead_id: str
    status: Literal["created", "updated", "unchanged", "merged", "rejected"]
    survivor: str | None = Field(None, description="The lead it counts as (after dedupe).")
    field: str | None = None
    message: str | None = None


class LeadResponse(BaseModel):
    result: LeadResult
    verdict: Verdict | None = None


class LeadBatchResponse(BaseModel):
    items: list[LeadResult]
    verdicts: list[Verdict]


def _upsert(
    ll: Leadline, runtime: Runtime, items: list[LeadIn], key: ApiKey
) -> tuple[list[LeadOutcome], QualifierResult]:
    with runtime.import_lock:
        outcomes = upsert_leads(ll.engine, [i.record() for i in items], f"api-leads-{key.key_id}")
    for o in outcomes:
        runtime.metrics.leads.labels(o.status).inc()
    stored = [o.survivor for o in outcomes if o.status != "rejected" and o.survivor]
    result = runtime.qualifier.submit(leads=stored) if stored else QualifierResult()
    runtime.metrics.mqls.inc(len(result.to_mql))
    return outcomes, result


@router.post(
    "/leads",
    summary="Create or update one lead (idempotent) and re-score it",
    status_code=201,
    responses={200: {"model": LeadResponse, "description": "Unchanged: a no-op."}},
)
def post_lead(
    body: LeadIn,
    response: Response,
    ll: Leadline = Depends(get_ll),
    runtime: Runtime = Depends(get_runtime),
    key: ApiKey = Depends(require("marketing")),
) -> LeadResponse:
    outcomes, result = _upsert(ll, runtime, [body], key)
    o = outcomes[0]
    if o.status == "rejected":
        raise InvalidRequest([(f"body.{o.field or 'lead'}", o.message or "rejected")])
    if o.status == "unchanged":
        response.status_code = 200
    verdicts = _verdicts(result)
    return LeadResponse(
        result=LeadResult.model_validate(o.to_dict()), verdict=verdicts[0] if verdicts else None
    )


@router.post("/leads/batch", summary="Create or update up to 1,000 leads; one outcome per item")
def post_leads(
    body: LeadBatch,
    ll: Leadline = Depends(get_ll),
    runtime: Runtime = Depends(get_runtime),
    key: ApiKey = Depends(require("marketing")),
) -> LeadBatchResponse:
    outcomes, result = _upsert(ll, runtime, body.items, key)
    return LeadBatchResponse(
        items=[LeadResult.model_validate(o.to_dict()) for o in outcomes],
        verdicts=_verdicts(result),
    )
