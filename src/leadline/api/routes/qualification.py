"""SAL → SQL: sales confirm budget, authority, need and timeline (sales).

The contract says which of the four an SQL needs (``stages.sql.requires``);
a request missing one is refused with 409 naming what is missing, and the
answers are kept in ``qualifications`` beside the stage change.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from leadline.api.deps import actor_of, get_ll, require
from leadline.api.fields import Key, Note, Text
from leadline.api.keys import ApiKey
from leadline.api.problems import AUTH_RESPONSES, CONFLICT, NOT_FOUND
from leadline.api.routes.dispositions import TransitionOut, decision_time
from leadline.app import Leadline
from leadline.lifecycle import moves

router = APIRouter(
    prefix="/api/v1/leads",
    tags=["qualification"],
    responses={**AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
)


class QualificationIn(BaseModel):
    """What sales confirmed; each is free text (e.g. budget "50k approved for Q3")."""

    model_config = ConfigDict(extra="forbid")

    budget: Text | None = None
    authority: Text | None = Field(None, description="Who decides, e.g. 'CFO signs'.")
    need: Text | None = None
    timeline: Text | None = None
    note: Note | None = None
    actor: Key | None = Field(None, description="Who qualified (default: the API key's name).")


@router.post(
    "/{ref}/qualification",
    summary="Qualify an accepted lead as SQL with budget, authority, need and timeline",
    status_code=201,
)
def post_qualification(
    ref: str,
    body: QualificationIn,
    ll: Leadline = Depends(get_ll),
    key: ApiKey = Depends(require("sales")),
) -> TransitionOut:
    engine = ll.engine
    lead_id = ll.resolve_lead(ref)
    answers = {
        "budget": body.budget,
        "authority": body.authority,
        "need": body.need,
        "timeline": body.timeline,
    }
    with engine.transaction():
        engine.lock(f"lead:{lead_id}")
        t = moves.move(
            engine,
            ll.loaded.contract,
            ll.loaded.version,
            lead_id,
            "sql",
            at=decision_time(engine, lead_id),
            actor=actor_of(key, body.actor),
            note=body.note,
            qualification={k: (v.strip() or None) if v else None for k, v in answers.items()},
        )
    return TransitionOut.model_validate(t.to_dict())
