"""The stage machine: which moves the contract allows, table-driven."""

from __future__ import annotations

import pytest

from leadline.contract.schema import Contract
from leadline.errors import TransitionError
from leadline.lifecycle import machine

CONTRACT = Contract.model_validate(
    {
        "contract": "t",
        "fit": {"grades": {"A": 50, "B": 30, "C": 10}},
        "stages": {"mql": {"min_score": 40}},
    }
)


@pytest.mark.parametrize(
    ("from_stage", "to_stage", "ok"),
    [
        ("lead", "mql", True),
        ("lead", "sal", False),
        ("mql", "sal", True),
        ("mql", "won", False),
        ("sal", "sql", True),
        ("sql", "opportunity", True),
        ("opportunity", "won", True),
        ("opportunity", "lost", True),
        ("won", "lead", False),
        ("recycled", "mql", True),
        ("rejected", "recycled", True),
        ("lead", "nonsense", False),
    ],
)
def test_moves_follow_the_contract(from_stage: str, to_stage: str, ok: bool) -> None:
    if ok:
        assert machine.check_move(CONTRACT, from_stage, to_stage).to_stage == to_stage
    else:
        with pytest.raises(TransitionError):
            machine.check_move(CONTRACT, from_stage, to_stage)


def test_refusal_names_the_allowed_targets() -> None:
    with pytest.raises(TransitionError, match=r"from lead a lead can move to: mql, disqualified"):
        machine.check_move(CONTRACT, "lead", "sal")


@pytest.mark.parametrize(
    ("action", "reason", "target", "error"),
    [
        ("accept", None, "sal", None),
        ("reject", "bad_fit", "rejected", None),
        ("reject", None, None, "needs a reason code"),
        ("reject", "ugly", None, "unknown reject reason 'ugly'"),
        ("recycle", "not_now", "recycled", None),
        ("snooze", None, None, "unknown action"),
    ],
)
def test_dispositions_map_to_stages(
    action: str, reason: str | None, target: str | None, error: str | None
) -> None:
    if error:
        with pytest.raises(TransitionError, match=error):
            machine.check_disposition(CONTRACT, "mql", action, reason)
    else:
        assert machine.check_disposition(CONTRACT, "mql", action, reason).to_stage == target


def test_custom_transitions_replace_the_defaults() -> None:
    strict = Contract.model_validate(
        {
            "contract": "t",
            "fit": {"grades": {"A": 50, "B": 30, "C": 10}},
            "stages": {"mql": {"min_score": 40}, "transitions": {"lead": ["mql"], "mql": ["sal"]}},
        }
    )
    with pytest.raises(TransitionError):
        machine.check_disposition(strict, "mql", "reject", "bad_fit")


def test_sql_needs_every_bant_field() -> None:
    assert machine.missing_qualification(
        CONTRACT, {"budget": "50k", "authority": "VP", "need": " ", "timeline": None}
    ) == ["need", "timeline"]
