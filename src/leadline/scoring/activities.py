"""Activities as every scoring pass reads them: re-keyed to the survivor, aged at T.

Ten million activities are the one big input, so the plan reads them in
streaming passes that aggregate straight away (engagement per (lead, rule),
the capped windows of the few pairs a cap can bind, intent evidence) instead
of materialising a re-keyed copy first.  Each pass reads :func:`source`:

* ``lead_id`` is the survivor: ``coalesce(merged_into, lead_id)`` through a
  LEFT JOIN on ``_ll_merged`` (only the merged leads — usually a few rows, so
  re-keying costs a tiny hash probe rather than a join against every lead).
  Whether the survivor is scored (created by T, not merged itself) is decided
  by the pass, by joining its (much smaller) aggregate to ``_ll_people``.
* ``age_days`` is the age at T; only activities up to T are read, and a
  coarse window (one second of slack; the components filter exactly) skips
  older ones.
* The lead-filtered plan reads ``_ll_scope_acts`` instead of ``activities``:
  the scoped leads' (and their merged leads') activities up to T, selected
  once and materialised, so a single lead costs one lookup rather than one
  scan per pass.  Every formula is the same text in both plans.
"""

from __future__ import annotations

import math

from leadline.scoring.common import AS_OF, age_days

MERGED = "_ll_merged"
SCOPE = "_ll_scope_acts"
# CTEs the plan asks the engine to compute once however often they are read.
MATERIALIZED = frozenset({SCOPE})


def merged_cte() -> tuple[str, str]:
    """``_ll_merged``: merged lead → the lead it was merged into."""
    return (
        MERGED,
        "SELECT m.lead_id AS source_id, m.merged_into AS lead_id FROM leads AS m "
        "WHERE m.merged_into IS NOT NULL",
    )


def scope_cte() -> tuple[str, str]:
    """``_ll_scope_acts`` (lead-filtered plan only): the scoped leads' activities up to T."""
    return (
        SCOPE,
        "SELECT a.lead_id, a.activity_type, a.url, a.value, a.occurred_at, a.content_id "
        f"FROM activities AS a WHERE a.lead_id IN (SELECT k.source_id FROM _ll_keys AS k) "
        f"AND a.occurred_at <= {AS_OF}",
    )


def source(
    *,
    lead_filter: bool,
    window_days: float | None,
    content: str | None = None,
    where: tuple[str, ...] = (),
) -> str:
    """A derived table of activities (use it as ``<source> AS x``).

    Columns: ``lead_id`` (survivor), ``activity_type``, ``url``, ``value``,
    ``age_days``, ``topics``, ``journey_stage``.  ``content`` is ``"left"``
    (rules that may read topics) or ``"inner"`` (only activities on known
    content, for intent evidence); ``None`` types the content columns as NULL.
    ``where`` adds conditions over ``a`` (the activity), ``k`` and ``c``.
    """
    cols = [
        "coalesce(k.lead_id, a.lead_id) AS lead_id",
        "a.activity_type AS activity_type",
        "a.url AS url",
        "a.value AS value",
        f"{age_days('a.occurred_at')} AS age_days",
    ]
    joins = f" LEFT JOIN {MERGED} AS k ON k.source_id = a.lead_id"
    if content is None:
        cols += ["CAST(NULL AS VARCHAR[]) AS topics", "CAST(NULL AS VARCHAR) AS journey_stage"]
    else:
        cols += ["c.topics AS topics", "c.journey_stage AS journey_stage"]
        kind = "LEFT JOIN" if content == "left" else "JOIN"
        joins += f" {kind} content AS c ON c.content_id = a.content_id"
    conds = [f"a.occurred_at <= {AS_OF}"]
    if window_days is not None:
        seconds = math.ceil(window_days * 86400) + 1
        conds.append(f"a.occurred_at >= {AS_OF} - INTERVAL '{seconds}' SECOND")
    conds += where
    table = SCOPE if lead_filter else "activities"
    return f"(SELECT {', '.join(cols)} FROM {table} AS a{joins} WHERE {' AND '.join(conds)})"
