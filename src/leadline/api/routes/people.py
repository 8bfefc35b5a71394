"""Personal data requests: export or forget a person by email address (admin).

``GET`` returns everything stored about the person; ``DELETE`` erases what
identifies them and keeps the anonymised facts, so reports still add up
(see docs/api.md, "Personal data"). Both are recorded in the audit log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from leadline.api.deps import actor_of, get_ll, require
from leadline.api.keys import ApiKey
from leadline.api.problems import AUTH_RESPONSES, NOT_FOUND
from leadline.app import Leadline
from leadline.privacy import export_person, forget
from leadline.realtime.worker import precise_utcnow

router = APIRouter(
    prefix="/api/v1/people", tags=["people"], responses={**AUTH_RESPONSES, **NOT_FOUND}
)
EmailPath = Path(max_length=320, description="The person's email address.")


class PersonExport(BaseModel):
    email: str
    lead_ids: list[str]
    tables: dict[str, list[dict[str, Any]]] = Field(description="Every stored row, by table.")
    requests: list[dict[str, Any]] = Field(description="Audit log entries about this person.")


class ForgetOut(BaseModel):
    email_sha256: str = Field(description="How the audit log records the person.")
    lead_ids: list[str] = Field(description="Their leads (kept, anonymised).")
    changed: dict[str, int] = Field(description="Rows changed, by table.column.")
    rows_changed: int


@router.get("/{email}", summary="Everything stored about a person (export)")
def get_person(
    email: str = EmailPath,
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("admin")),
) -> PersonExport:
    return PersonExport.model_validate(export_person(ll.engine, email, actor_of(key)))


@router.delete("/{email}", summary="Forget a person: erase personal data, keep the facts")
def delete_person(
    email: str = EmailPath,
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("admin")),
) -> ForgetOut:
    report = forget(ll.engine, email, actor_of(key), precise_utcnow())
    return ForgetOut.model_validate(report.to_dict())
