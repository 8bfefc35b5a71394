"""``leadline learn`` and ``leadline models`` through the real console script."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.runner import run

pytestmark = pytest.mark.slow


def test_learn_then_pin_the_model_in_a_new_contract(x_education: Path) -> None:
    report = run("learn", "--format", "json", workspace=x_education).json()
    assert report["training_set"]["label"] == "converted"
    assert set(report["models"]) == {
        "contract (rule-based)",
        "naive Bayes (frequency tables)",
        "logistic regression",
        "gradient boosting",
    }
    for metrics in report["models"].values():
        assert {"roc_auc", "pr_auc", "brier", "ece", "reliability", "top_decile_lift"} <= set(
            metrics
        )
    excluded = {f["source"] for f in report["guard"]["findings"] if f["excluded"]}
    assert {"lead.post_contact.tags", "lead.post_contact.lead_quality"} <= excluded
    version = report["model_artifact"]["version"]
    listed = run("models", "list", "--format", "json", workspace=x_education).json()
    assert [m["version"] for m in listed] == [version]
    shown = run("models", "show", version, "--format", "json", workspace=x_education).json()
    assert len(shown["features"]) == report["features"]["used"]
    assert all("coefficient" in f for f in shown["features"])
    out = x_education / "pinned.yaml"
    pinned = run("models", "pin", version, "--out", out, "--points", "35", workspace=x_education)
    assert "pins model" in pinned.out
    assert f"version: {version}" in out.read_text()
    assert run("contract", "check", out, workspace=x_education).code == 0
    again = run("models", "pin", version, "--out", out, workspace=x_education, check=False)
    assert again.code != 0 and "already exists" in again.err


def test_learn_names_an_unknown_override(x_education: Path) -> None:
    result = run("learn", "--allow-feature", "tagz", workspace=x_education, check=False)
    assert result.code == 2
    assert "--allow-feature 'tagz' names no feature source" in result.err
    assert "tags" in result.err
