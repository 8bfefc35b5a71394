"""Every feature is computed as of its scoring moment: nothing known later can enter."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from leadline.app import Leadline
from leadline.learn.dataset import MomentQueries, fetch_moment, moment_queries
from leadline.learn.run import catalog_for

T = datetime(2026, 5, 1, 12, 0)
HORIZON = timedelta(days=60)


def _rows(ll: Leadline, queries: MomentQueries) -> pa.Table:
    return fetch_moment(ll.engine, queries, T, HORIZON.days)


def _features(table: pa.Table) -> np.ndarray:
    cols = [c for c in table.column_names if c.startswith("f_")]
    return np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in cols])


def _add_future(ll: Leadline) -> None:
    """Every kind of fact, dated after T: activities, a new lead, opportunities."""
    ll.engine.execute(
        """INSERT INTO activities (source, source_event_id, lead_id, activity_type,
            occurred_at, url, content_id, campaign_id, value, attributes, ingested_at)
        SELECT source, source_event_id || ':future', lead_id, activity_type,
            CAST($t AS TIMESTAMP) + INTERVAL 1 SECOND
                + to_seconds(CAST(hash(source_event_id) % 5000000 AS BIGINT)),
            url, content_id, campaign_id, value, attributes, ingested_at
        FROM activities""",
        {"t": T},
    )
    ll.engine.execute(
        "INSERT INTO leads (lead_id, email, created_at) VALUES "
        "('L-future', 'future@example.org', CAST($t AS TIMESTAMP) + INTERVAL 1 DAY)",
        {"t": T},
    )
    ll.engine.execute(
        """INSERT INTO opportunities (opportunity_id, lead_id, stage, amount, created_at, closed_at)
        SELECT 'future-' || lead_id, lead_id, 'won', 1000,
            CAST($t AS TIMESTAMP) + INTERVAL 200 DAY, CAST($t AS TIMESTAMP) + INTERVAL 230 DAY
        FROM leads WHERE merged_into IS NULL""",
        {"t": T},
    )


def test_features_ignore_everything_after_the_scoring_moment(demo: Path) -> None:
    with Leadline.open(demo) as ll:
        features = catalog_for(ll).features
        query = moment_queries(ll.engine, ll.compiled, features, "history", "opportunity")
        before = _rows(ll, query)
        activity_rows = ll.engine.scalar("SELECT count(*) FROM activities")
        _add_future(ll)
        assert ll.engine.scalar("SELECT count(*) FROM activities") == 2 * activity_rows
        after = _rows(ll, query)
    assert len(features) > 50 and before.num_rows > 100
    assert before.column("lead_id").to_pylist() == after.column("lead_id").to_pylist()
    assert np.array_equal(_features(before), _features(after))
    for column in ("score", "fit_points", "priority_rank", "qualifies_mql", "label"):
        assert before.column(column).to_pylist() == after.column(column).to_pylist()


def test_the_same_facts_dated_before_the_moment_do_change_features(demo: Path) -> None:
    """The control: the check above would notice a feature that moved."""
    with Leadline.open(demo) as ll:
        features = catalog_for(ll).features
        query = moment_queries(ll.engine, ll.compiled, features, "history", "opportunity")
        before = _features(_rows(ll, query))
        ll.engine.execute(
            """INSERT INTO activities (source, source_event_id, lead_id, activity_type,
                occurred_at, url, content_id, campaign_id, value, attributes, ingested_at)
            SELECT source, source_event_id || ':past', lead_id, activity_type,
                CAST($t AS TIMESTAMP) - INTERVAL 1 HOUR, url, content_id, campaign_id, value,
                attributes, ingested_at
            FROM activities WHERE occurred_at <= $t""",
            {"t": T},
        )
        after = _features(_rows(ll, query))
    changed = (before != after).any(axis=0)
    activity_features = [i for i, f in enumerate(features) if f.is_activity]
    assert changed[activity_features].sum() >= 0.5 * len(activity_features)
    assert not changed[[i for i, f in enumerate(features) if not f.is_activity]].any()
