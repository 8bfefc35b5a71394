"""Which stage moves the contract allows, and what a sales disposition means.

Pure functions over the contract: no I/O, so the same rules serve the CLI,
imports of dispositions and (later) the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadline.contract.schema import STAGES, Contract
from leadline.errors import TransitionError

ACTIONS: dict[str, str] = {"accept": "sal", "reject": "rejected", "recycle": "recycled"}

# Stages set by facts from the CRM rather than by a person's decision:
# a lead with an open opportunity *is* in pipeline, whatever its stage said.
CRM_STAGES = ("opportunity", "won", "lost")
PRE_PIPELINE = ("mql", "sal", "sql")


@dataclass(frozen=True)
class Move:
    """A validated stage change, ready to be recorded."""

    from_stage: str
    to_stage: str
    reason: str | None = None


def allowed_targets(contract: Contract, from_stage: str) -> list[str]:
    return list(contract.stages.transitions.get(from_stage, []))  # type: ignore[call-overload]


def check_move(contract: Contract, from_stage: str, to_stage: str) -> Move:
    """Return the move if the contract allows it, else raise a clear error."""
    if to_stage not in STAGES:
        raise TransitionError(f"unknown stage {to_stage!r}; stages are {', '.join(STAGES)}")
    targets = allowed_targets(contract, from_stage)
    if to_stage not in targets:
        allowed = ", ".join(targets) if targets else "none (final stage)"
        raise TransitionError(
            f"the contract does not allow {from_stage} → {to_stage}; "
            f"from {from_stage} a lead can move to: {allowed}"
        )
    return Move(from_stage, to_stage)


def check_disposition(contract: Contract, from_stage: str, action: str, reason: str | None) -> Move:
    """Validate a sales verdict on a lead and return the stage move it implies."""
    if action not in ACTIONS:
        raise TransitionError(f"unknown action {action!r}; use accept, reject or recycle")
    if action == "reject":
        if not reason:
            raise TransitionError(
                "a rejection needs a reason code: " + ", ".join(contract.stages.reject_reasons)
            )
        if reason not in contract.stages.reject_reasons:
            raise TransitionError(
                f"unknown reject reason {reason!r}; the contract allows: "
                + ", ".join(contract.stages.reject_reasons)
            )
    if action == "recycle" and reason and reason not in contract.stages.reject_reasons:
        raise TransitionError(
            f"unknown recycle reason {reason!r}; the contract allows: "
            + ", ".join(contract.stages.reject_reasons)
        )
    move = check_move(contract, from_stage, ACTIONS[action])
    return Move(move.from_stage, move.to_stage, reason)


def missing_qualification(contract: Contract, fields: dict[str, str | None]) -> list[str]:
    """The BANT fields the contract requires for SQL that are still empty."""
    return [f for f in contract.stages.sql.requires if not (fields.get(f) or "").strip()]
