"""Hand-raiser triggers: a recent matching activity qualifies a lead of good enough fit.

A trigger fires when at least one matching activity happened within
``within_days`` before T and the lead's grade is ``min_grade`` or better
(grades compare as letters: ``'A' <= 'B'``).  ``trigger_rule`` names the
first firing trigger in contract order.
"""

from __future__ import annotations

from leadline.contract.schema import Trigger
from leadline.scoring.common import activity_match, lit


def trigger_flags(triggers: list[Trigger]) -> list[tuple[str, str]]:
    """``(trigger_<i>, condition)``: an activity (``x``) matching inside the trigger's window.

    The engagement pass counts them per lead in the same read of the
    activities (``_ll_flags.trigger_<i>``).
    """
    return [
        (f"trigger_{i}", f"{activity_match(t)} AND x.age_days <= {lit(float(t.within_days))}")
        for i, t in enumerate(triggers)
    ]


def trigger_rule_sql(triggers: list[Trigger], grade: str) -> str:
    """Name of the first firing trigger, or NULL (``f`` is the flags alias)."""
    if not triggers:
        return "CAST(NULL AS VARCHAR)"
    whens = " ".join(
        f"WHEN coalesce(f.trigger_{i}, 0) > 0 AND {grade} <= {lit(t.min_grade)} THEN {lit(t.name)}"
        for i, t in enumerate(triggers)
    )
    return f"CASE {whens} END"


def trigger_events_sql(triggers: list[Trigger]) -> str:
    """Events behind the fired trigger (for its score_parts row)."""
    whens = " ".join(f"WHEN {lit(t.name)} THEN f.trigger_{i}" for i, t in enumerate(triggers))
    return f"CASE s.trigger_rule {whens} END" if whens else "CAST(NULL AS BIGINT)"
