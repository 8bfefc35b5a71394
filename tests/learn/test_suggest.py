"""``leadline suggest``: a new, valid contract whose every number carries its evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadline.app import Leadline
from leadline.contract import load_contract
from leadline.contract.compiler import compile_contract
from leadline.learn import dataset
from leadline.learn.evaluate import evaluate
from leadline.learn.models import queue_order
from leadline.learn.suggest import SuggestError, SuggestOptions, suggest
from tests.cli.runner import run

pytestmark = pytest.mark.slow


def _held_out_auc(ll: Leadline, path: Path) -> float:
    """The contract's own ranking (queue order) on the held-out leads."""
    loaded = load_contract(path)
    compiled = compile_contract(loaded.contract, loaded.version)
    ts = dataset.build(ll.engine, compiled, [], dataset.SetOptions(), "converted")
    order = queue_order(ts.contract)
    return evaluate(ts.y[ts.test], order[ts.test], ts.lead_ids[ts.test], order[ts.test]).roc_auc


def _mql_share(ll: Leadline, path: Path) -> float:
    loaded = load_contract(path)
    compiled = compile_contract(loaded.contract, loaded.version)
    ts = dataset.build(ll.engine, compiled, [], dataset.SetOptions(), "converted")
    return float(ts.contract["qualifies_mql"].mean())


def test_suggest_writes_a_new_contract_that_passes_check(x_education: Path) -> None:
    contract = x_education / "leadline.yaml"
    original = contract.read_bytes()
    taken = x_education / "leadline.suggested-1.yaml"
    taken.write_text("# someone else's file\n")
    with Leadline.open(x_education) as ll:
        result = suggest(ll, SuggestOptions())
        for existing in (taken, contract):
            with pytest.raises(SuggestError, match="new file"):
                suggest(ll, SuggestOptions(out=existing))
        current_auc = _held_out_auc(ll, contract)
        current_share = _mql_share(ll, contract)
        suggested_auc = _held_out_auc(ll, result.path)
    assert contract.read_bytes() == original  # never overwritten
    assert taken.read_text() == "# someone else's file\n"
    assert result.path.name == "leadline.suggested-2.yaml"
    checked = run("contract", "check", result.path, "--format", "json", workspace=x_education)
    assert checked.json()["valid"] is True and checked.json()["version"] == result.version
    # every rule, the grades and the MQL threshold carry their evidence
    text = result.path.read_text()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("- {name:"):
            assert lines[i - 1].strip().startswith("# lift") or "no training row" in lines[i - 1]
    assert "# grades: fit points at the 85th/60th/30th percentile" in text
    assert "# same MQL volume as the current contract, most conversions" in text
    assert abs(result.mql["share_of_rows"] - current_share) < 0.02
    assert "post_contact" not in text and "tags" not in text
    rules = {r["rule"]: r for r in result.rules}
    assert rules["occupation Working Professional"]["points"] > 10
    assert rules["lead_origin Lead Add Form"]["lift"] > 2
    assert all(r["points"] != 0 for r in result.rules)
    assert [g["grade"] for g in result.grades] == ["A", "B", "C", "D"]
    conversion = [g["conversion"] for g in result.grades]
    assert conversion == sorted(conversion, reverse=True)  # better grades convert more
    # and it ranks the held-out leads better than the hand-written contract
    assert suggested_auc > current_auc + 0.05
