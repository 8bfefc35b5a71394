"""Metrics and models on arrays whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from leadline.learn.evaluate import evaluate, expected_calibration_error, reliability_table
from leadline.learn.models import FrequencyTableModel, LogisticModel, queue_order
from leadline.scoring.model import Feature

IDS = np.array([f"L{i:03d}" for i in range(100)])


def _y(positives: list[int]) -> np.ndarray:
    y = np.zeros(100, dtype=int)
    y[positives] = 1
    return y


@pytest.mark.parametrize(
    ("case", "scores", "auc", "lift", "recall"),
    [
        # the ten positives ranked first: everything perfect
        ("perfect", np.linspace(1, 0, 100), 1.0, 10.0, 1.0),
        # ranked last: nothing in the top decile
        ("reversed", np.linspace(0, 1, 100), 0.0, 0.0, 0.0),
        # every score equal: the top decile is the first ten lead ids (tie-break)
        ("ties", np.full(100, 0.5), 0.5, 10.0, 1.0),
    ],
)
def test_ranking_metrics(
    case: str, scores: np.ndarray, auc: float, lift: float, recall: float
) -> None:
    y = _y(list(range(10)))
    m = evaluate(y, scores, IDS)
    assert m.roc_auc == pytest.approx(auc)
    assert m.top_decile_lift == pytest.approx(lift)
    assert m.top_decile_recall == pytest.approx(recall)
    assert m.base_rate == pytest.approx(0.1) and m.positives == 10


def test_calibration_table_and_error() -> None:
    y = _y(list(range(30)))
    honest = np.full(100, 0.3)
    assert expected_calibration_error(y, honest) == pytest.approx(0.0)
    overconfident = np.full(100, 0.9)
    assert expected_calibration_error(y, overconfident) == pytest.approx(0.6)
    table = reliability_table(y, np.r_[np.full(50, 0.05), np.full(50, 0.95)])
    assert [(r["bin"], r["rows"], r["observed"]) for r in table] == [
        ("0.0-0.1", 50, 0.6),
        ("0.9-1.0", 50, 0.0),
    ]
    m = evaluate(y, honest, IDS)
    assert m.brier == pytest.approx(0.3 * 0.7**2 + 0.7 * 0.3**2)
    assert sum(r["rows"] for r in m.reliability) == 100


def test_logistic_coefficients_apply_to_raw_features() -> None:
    """Standardisation is folded in: intercept + X @ coef reproduces the fitted model."""
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.normal(50, 10, 400), rng.integers(0, 2, 400), rng.exponential(3, 400)])
    z = 0.08 * (X[:, 0] - 50) + 1.5 * X[:, 1] - 0.4 * X[:, 2]
    y = (rng.random(400) < 1 / (1 + np.exp(-z))).astype(int)
    model = LogisticModel.fit(X, y, seed=1)
    mean, std = X.mean(axis=0), X.std(axis=0)
    reference = LogisticRegression(C=model.C, max_iter=5000).fit((X - mean) / std, y)
    expected = reference.predict_proba((X - mean) / std)[:, 1]
    assert np.max(np.abs(model.predict(X) - expected)) < 1e-9
    assert model.coefficients[1] > 0 > model.coefficients[2]
    again = LogisticModel.fit(X, y, seed=1)
    assert np.array_equal(again.coefficients, model.coefficients)


def test_frequency_tables_are_naive_bayes_by_hand() -> None:
    """One yes/no field: P(convert | yes) follows from the table with add-one smoothing."""
    x = np.array([1] * 30 + [0] * 70, dtype=float).reshape(-1, 1)
    y = np.array([1] * 20 + [0] * 10 + [1] * 10 + [0] * 60)
    model = FrequencyTableModel.fit(x, y, [Feature("f", "lead.flag", "category")])
    # prior odds (30+1)/(70+1); with k = 3 levels: P(yes|1)=(20+1)/(30+3), P(yes|0)=(10+1)/(70+3)
    odds = (31 / 71) * ((21 / 33) / (11 / 73))
    assert model.predict(np.array([[1.0]]))[0] == pytest.approx(odds / (1 + odds))
    unseen = model.predict(np.array([[7.0]]))[0]
    assert unseen == pytest.approx(31 / (31 + 71))


def test_the_contract_queue_order_ranks_priority_before_score() -> None:
    contract = {
        "priority_rank": np.array([1.0, 1.0, 5.0, 17.0]),
        "score": np.array([10.0, 80.0, 500.0, 900.0]),
    }
    order = queue_order(contract)
    assert list(np.argsort(-order)) == [1, 0, 2, 3]
