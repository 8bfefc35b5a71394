"""The scoring report's deciles come from score groups; they must equal SQL's ``ntile(10)``
over every lead ranked by ``score DESC, lead_id`` (the way the report used to compute them),
above all when tied scores straddle a decile cut."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.analytics.deciles import ScoreGroup, deciles, ntile, sql_round, straddling
from leadline.analytics.scope import ratio
from leadline.store.duckdb import DuckDBEngine

from .world import World

# The former implementation: ntile over every scored lead, then per-decile figures in SQL.
REFERENCE = f"""WITH scored AS (
        SELECT sn.lead_id, sn.score,
               coalesce(h.lead_id IS NOT NULL, false) AS converted
        FROM score_snapshots AS sn
        LEFT JOIN (SELECT DISTINCT lead_id FROM stage_history WHERE to_stage = 'opportunity')
            AS h ON h.lead_id = sn.lead_id
        WHERE sn.run_id = 1
    ),
    overall AS (SELECT count(*) AS n, count(*) FILTER (WHERE converted) AS pos FROM scored),
    ranked AS (SELECT *, ntile(10) OVER (ORDER BY score DESC, lead_id) AS decile FROM scored),
    per AS (
        SELECT decile, count(*) AS leads, min(score) AS min_score, max(score) AS max_score,
               avg(score) AS mean_score, count(*) FILTER (WHERE converted) AS converted
        FROM ranked GROUP BY decile
    )
    SELECT decile, leads, round(min_score, 1) AS min_score, round(max_score, 1) AS max_score,
           round(mean_score, 1) AS mean_score, converted,
           {ratio("converted", "leads")} AS conversion_rate,
           {ratio("CAST(converted AS DOUBLE) / leads", "CAST(o.pos AS DOUBLE) / o.n", 2)} AS lift,
           {ratio("sum(converted) OVER (ORDER BY decile)", "o.pos")} AS cumulative_capture,
           {
    ratio(
        "CAST(sum(converted) OVER (ORDER BY decile) AS DOUBLE) / sum(leads) OVER (ORDER BY decile)",
        "CAST(o.pos AS DOUBLE) / o.n",
        2,
    )
} AS cumulative_lift
    FROM per CROSS JOIN overall AS o ORDER BY decile"""


@pytest.mark.parametrize("total", [*range(1, 40), 97, 1000, 1003])
def test_ntile_is_sqls(total: int) -> None:
    expected = (
        duckdb.connect()
        .execute(f"SELECT ntile(10) OVER (ORDER BY i) FROM range({total}) AS t(i) ORDER BY i")
        .fetchall()
    )
    assert [ntile(p, total) for p in range(total)] == [e[0] for e in expected]


def test_only_scores_across_a_cut_need_their_leads() -> None:
    # 20 leads, two per decile: a score of 3 leads at ranks 1-3 crosses the 1|2 cut
    groups = [ScoreGroup(9.0, 3, 1), *(ScoreGroup(s / 10, 1, 0) for s in range(17))]
    assert straddling(groups) == [9.0]
    found = deciles(groups, {9.0: [True, False, False]})
    assert [(d.decile, d.leads, d.converted) for d in found[:2]] == [(1, 2, 1), (2, 2, 0)]
    with pytest.raises(ValueError, match="of 3 leads"):
        deciles(groups, {9.0: [True]})


def test_sql_round_is_half_away_from_zero() -> None:
    assert [sql_round(v, 1) for v in (0.25, -0.25, 0.35, 2.675)] == [0.3, -0.3, 0.4, 2.7]
    assert sql_round(0.49999999999999994, 0) == 0.0


leads_st = st.lists(
    st.tuples(st.sampled_from((10.0, 20.0, 20.5, 33.25, 50.0, 75.0, 99.99)), st.booleans()),
    min_size=1,
    max_size=60,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(leads=leads_st, as_number=st.booleans())
def test_deciles_equal_ntile_over_every_lead(
    engine: DuckDBEngine, leads: list[tuple[float, bool]], as_number: bool
) -> None:
    for table in ("leads", "stage_history", "score_runs", "score_snapshots"):
        engine.execute(f"DELETE FROM {table}")
    w = World(engine)
    rows = []
    for i, (score, converted) in enumerate(leads):
        # ids that sort differently as text and as numbers, so the tie-break order shows
        lead = f"L{i}" if as_number else f"L{(i * 7919) % 1000:03d}-{i}"
        w.lead(lead)
        if converted:
            w.moves(lead, ("opportunity", "2026-03-01"))
        rows.append((lead, score, "A"))
    w.score_run(1, "2026-02-01", *rows)
    got = w.report("scoring").table("deciles")
    expected = engine.fetch_dicts(REFERENCE)
    assert got == expected
