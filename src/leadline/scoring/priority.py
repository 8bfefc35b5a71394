"""The MQL verdict, its reason sentence, and priority (grade letter + tier).

Tiers: 1 a trigger fired, 2 score >= ``mql.min_score``, 3 score >=
``priority.warm_score`` (default half the MQL score), 4 otherwise.

``priority_rank`` orders the work queue, smaller is better: tier first, then
grade — ``rank = (tier - 1) * 4 + grade_index`` with A=1 … D=4, so
A1=1, B1=2, C1=3, D1=4, A2=5 … D4=16.  Excluded leads add 16 (17…32), so
they always rank after every lead that can still qualify.
"""

from __future__ import annotations

from leadline.contract.schema import Contract
from leadline.scoring.common import lit

EXCLUDED_OFFSET = 16


def _number(value: float) -> str:
    return f"{value:g}"


def _score_text(score: str) -> str:
    """A score as short text: ``72`` or ``72.4`` (one decimal, no trailing ``.0``)."""
    return (
        f"CASE WHEN round({score}, 1) = round({score}) "
        f"THEN CAST(CAST(round({score}) AS BIGINT) AS VARCHAR) "
        f"ELSE CAST(round({score}, 1) AS VARCHAR) END"
    )


def warm_score(contract: Contract) -> float:
    warm = contract.priority.warm_score
    return contract.stages.mql.min_score / 2 if warm is None else warm


def verdict_columns(contract: Contract) -> list[str]:
    """Columns computed from ``_ll_scores`` (alias ``s``): priority … mql_reason."""
    mql = contract.stages.mql
    min_score = lit(float(mql.min_score))
    min_grade = lit(mql.min_grade)
    tier = (
        "CASE WHEN s.trigger_rule IS NOT NULL THEN 1 "
        f"WHEN s.score >= {min_score} THEN 2 "
        f"WHEN s.score >= {lit(float(warm_score(contract)))} THEN 3 ELSE 4 END"
    )
    grade_index = "CASE s.grade WHEN 'A' THEN 1 WHEN 'B' THEN 2 WHEN 'C' THEN 3 ELSE 4 END"
    rank = (
        f"CAST(({tier} - 1) * 4 + {grade_index} + CASE WHEN s.excluded_reason IS NULL "
        f"THEN 0 ELSE {EXCLUDED_OFFSET} END AS INTEGER)"
    )
    by_score = f"(s.grade <= {min_grade} AND s.score >= {min_score})"
    qualifies = f"(s.excluded_reason IS NULL AND ({by_score} OR s.trigger_rule IS NOT NULL))"
    shown = _score_text("s.score")
    reason = (
        "CASE WHEN s.excluded_reason IS NOT NULL THEN 'excluded: ' || s.excluded_reason "
        "WHEN s.trigger_rule IS NOT NULL THEN 'trigger:' || s.trigger_rule "
        f"WHEN {by_score} THEN 'score ' || {shown} || "
        f"{lit(' >= ' + _number(mql.min_score) + ' and grade ')} || s.grade "
        f"WHEN s.grade > {min_grade} THEN 'grade ' || s.grade || "
        f"{lit(' below ' + mql.min_grade)} "
        f"ELSE 'score ' || {shown} || {lit(' below ' + _number(mql.min_score))} END"
    )
    return [
        f"s.grade || CAST({tier} AS VARCHAR) AS priority",
        f"{rank} AS priority_rank",
        f"{qualifies} AS qualifies_mql",
        f"{reason} AS mql_reason",
    ]
