"""What each import KIND holds: its target table, canonical fields and rules.

A kind is data, not code: the stage and load steps read these specs, so a
new kind is a new entry here rather than a new code path.  Canonical field
names are the target table's column names, which is why a file written with
exactly those names needs no mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from leadline.contract.schema import ACTIVITY_TYPES

FieldType = Literal[
    "text",  # trimmed text
    "code",  # lower-case snake_case machine code
    "category",  # display category: most frequent spelling in the file wins
    "email",
    "domain",
    "country",  # ISO 3166 alpha-2
    "number",
    "int",
    "bool",
    "timestamp",
    "date",
    "topics",  # `|`-separated list
    "currency",  # upper-case code
]

ACTIONS: tuple[str, ...] = ("accept", "reject", "recycle")
JOURNEY_STAGES: tuple[str, ...] = ("problem", "solution", "product")


@dataclass(frozen=True)
class Kind:
    """How one kind of file lands in the store.

    ``key`` identifies an entity row (upserted); ``history`` kinds are
    append-only and identified by ``(source, source_event_id)``.  Kinds with
    ``lead_ref`` name their lead by ``lead_id`` or ``email``.
    """

    name: str
    table: str
    fields: dict[str, FieldType]
    key: tuple[str, ...] = ()
    history: bool = False
    lead_ref: bool = False
    required: tuple[str, ...] = ()
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    attributes: bool = False
    post_contact: bool = False
    dedupe_on: str | None = None
    # Fields derived from others when the file does not provide them.
    derived: dict[str, str] = field(default_factory=dict)
    # History kinds without source columns: how the default event id is made.
    event_id: Literal["hash", "row"] = "hash"


_CAMPAIGN_FIELDS: dict[str, FieldType] = {
    "campaign_id": "text",
    "name": "text",
    "channel": "category",
    "started_at": "timestamp",
    "ended_at": "timestamp",
}
CAMPAIGN_COST_FIELDS: dict[str, FieldType] = {
    "period_start": "date",
    "period_end": "date",
    "cost": "number",
    "currency": "currency",
}

KIND_SPECS: dict[str, Kind] = {
    "accounts": Kind(
        "accounts",
        "accounts",
        {
            "account_id": "text",
            "name": "text",
            "domain": "domain",
            "industry": "category",
            "employees": "int",
            "annual_revenue": "number",
            "country": "country",
            "region": "category",
            "owner": "text",
            "parent_account": "text",
            "created_at": "timestamp",
        },
        key=("account_id",),
        attributes=True,
        dedupe_on="domain",
    ),
    "leads": Kind(
        "leads",
        "leads",
        {
            "lead_id": "text",
            "email": "email",
            "first_name": "text",
            "last_name": "text",
            "title": "text",
            "seniority": "code",
            "department": "code",
            "company": "text",
            "account_id": "text",
            "country": "country",
            "lead_source": "category",
            "channel": "category",
            "campaign_id": "text",
            "created_at": "timestamp",
            "converted": "bool",
        },
        key=("lead_id",),
        attributes=True,
        post_contact=True,
        dedupe_on="email",
        derived={"seniority": "title", "department": "title"},
    ),
    "activities": Kind(
        "activities",
        "activities",
        {
            "source": "text",
            "source_event_id": "text",
            "lead_id": "text",
            "email": "email",
            "activity_type": "code",
            "occurred_at": "timestamp",
            "url": "text",
            "content_id": "text",
            "campaign_id": "text",
            "value": "number",
        },
        history=True,
        lead_ref=True,
        required=("activity_type", "occurred_at"),
        enums={"activity_type": ACTIVITY_TYPES},
        attributes=True,
    ),
    "content": Kind(
        "content",
        "content",
        {
            "content_id": "text",
            "title": "text",
            "url": "text",
            "content_type": "code",
            "topics": "topics",
            "journey_stage": "code",
            "gated": "bool",
        },
        key=("content_id",),
        enums={"journey_stage": JOURNEY_STAGES},
    ),
    "campaigns": Kind(
        "campaigns",
        "campaigns",
        {**_CAMPAIGN_FIELDS, **CAMPAIGN_COST_FIELDS},
        key=("campaign_id",),
    ),
    "touches": Kind(
        "touches",
        "touches",
        {
            "source": "text",
            "source_event_id": "text",
            "lead_id": "text",
            "email": "email",
            "campaign_id": "text",
            "touched_at": "timestamp",
            "touch_type": "code",
        },
        history=True,
        lead_ref=True,
        required=("campaign_id", "touched_at"),
    ),
    "opportunities": Kind(
        "opportunities",
        "opportunities",
        {
            "opportunity_id": "text",
            "account_id": "text",
            "lead_id": "text",
            "name": "text",
            "stage": "code",
            "amount": "number",
            "product": "text",
            "owner": "text",
            "created_at": "timestamp",
            "closed_at": "timestamp",
        },
        key=("opportunity_id",),
        required=("stage",),
        attributes=True,
    ),
    "dispositions": Kind(
        "dispositions",
        "dispositions",
        {
            "source": "text",
            "source_event_id": "text",
            "lead_id": "text",
            "email": "email",
            "action": "code",
            "reason": "code",
            "note": "text",
            "actor": "text",
            "decided_at": "timestamp",
        },
        history=True,
        lead_ref=True,
        required=("action", "decided_at"),
        enums={"action": ACTIONS},
        event_id="row",
    ),
    "reps": Kind(
        "reps",
        "reps",
        {
            "rep_id": "text",
            "name": "text",
            "email": "email",
            "manager": "text",
            "team": "text",
            "region": "category",
            "timezone": "text",
            "capacity": "int",
            "active": "bool",
        },
        key=("rep_id",),
    ),
    "products": Kind(
        "products",
        "products",
        {"product_id": "text", "name": "text", "series": "text", "list_price": "number"},
        key=("product_id",),
    ),
}

KINDS: tuple[str, ...] = tuple(KIND_SPECS)
