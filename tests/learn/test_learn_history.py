"""``leadline learn`` on data with times: scoring moments, a split by time, four models."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from leadline.app import Leadline
from leadline.learn import artifacts
from leadline.learn.dataset import LearnError, SetOptions, moments, time_split
from leadline.learn.run import (
    BOOSTING,
    CONTRACT,
    LOGISTIC,
    NAIVE_BAYES,
    LearnOptions,
    fit_and_compare,
    learn,
    training_set,
)

OPTIONS = SetOptions(every_days=28, horizon_days=60)


@pytest.mark.parametrize(
    ("horizon", "train"),
    [
        # ten weekly moments, the last 3 are the test set (from 19 Feb): a 60-day label
        # window closes after 19 Feb for every earlier moment, so nothing can train
        (60.0, 0),
        # a 14-day window: moments up to 5 Feb (14 days before the test) train
        (14.0, 6),
        (7.0, 7),
    ],
)
def test_time_split_keeps_training_labels_before_the_test(horizon: float, train: int) -> None:
    start = datetime(2026, 1, 1)
    moments_ = [start + timedelta(days=7 * i) for i in range(10)]
    options = SetOptions(horizon_days=horizon, test_share=0.3)
    if train == 0:
        with pytest.raises(LearnError, match="outcome window closed"):
            time_split(moments_, options)
        return
    chosen, split_at = time_split(moments_, options)
    assert split_at == moments_[7] == datetime(2026, 2, 19)
    assert len(chosen) == train
    assert all(t + timedelta(days=horizon) <= split_at for t in chosen)


def test_learning_from_history(demo: Path) -> None:
    with Leadline.open(demo) as ll:
        expected_moments = moments(ll.engine, OPTIONS)
        report = learn(ll, LearnOptions(every_days=28, horizon_days=60))
        stored = artifacts.list_models(ll.engine)
    info = report.info
    assert info["label"] == "history" and info["target"] == "opportunity"
    assert info["moments"] == len(expected_moments) >= 8
    split_at = datetime.fromisoformat(info["split_at"])
    assert info["train_moments"] + info["test_moments"] <= info["moments"]
    assert info["train_positives"] > 0 and info["test_positives"] > 0
    assert set(report.metrics) == {CONTRACT, NAIVE_BAYES, LOGISTIC, BOOSTING}
    for m in report.metrics.values():
        assert m.rows == info["test_rows"] and 0 <= m.roc_auc <= 1
        assert 0 <= m.brier <= 1 and 0 <= m.ece <= 1
        assert sum(r["rows"] for r in m.reliability) == m.rows
    # the contract was written for this world: it ranks far better than chance
    assert report.metrics[CONTRACT].roc_auc > 0.7
    assert [s["version"] for s in stored] == [report.model.version] if report.model else False
    assert stored[0]["data_from"] == expected_moments[0]
    assert stored[0]["data_to"] == expected_moments[-1]
    assert split_at > expected_moments[0]


def test_rows_are_leads_not_yet_in_pipeline_and_models_are_deterministic(demo: Path) -> None:
    with Leadline.open(demo) as ll:
        _, ts = training_set(ll, OPTIONS)
        opened = dict(
            ll.engine.fetch(
                "SELECT lead_id, min(created_at) FROM opportunities WHERE lead_id IS NOT NULL "
                "GROUP BY 1"
            )
        )
    at = ts.as_of.astype("datetime64[us]").astype(datetime)
    for lead, when, label in zip(ts.lead_ids, at, ts.y, strict=True):
        first = opened.get(lead)
        assert first is None or first > when  # already-open pipeline is never a row
        if label:
            assert first is not None and first <= when + timedelta(days=60)
    assert ts.test.any() and ts.train.any()
    assert ts.as_of[ts.test].min() > ts.as_of[ts.train].max()
    first, _ = fit_and_compare(ts, seed=7)
    second, _ = fit_and_compare(ts, seed=7)
    for name in first:
        assert first[name].to_dict() == second[name].to_dict()
    assert np.isfinite([m.roc_auc for m in first.values()]).all()
