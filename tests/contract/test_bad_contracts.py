"""Table-driven: every fixture case reports exactly its expected located problems."""

from __future__ import annotations

import pytest

from leadline.contract import load_contract_text
from leadline.contract.passes import PASSES
from leadline.errors import ContractErrors

from .cases import FIXTURES, Case, all_cases, read_cases

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_reports_exactly_its_problems(case: Case) -> None:
    try:
        load_contract_text(case.text, filename="leadline.yaml")
    except ContractErrors as err:
        got = {str(p) for p in err.problems}
        assert got == set(case.expected), "\n".join(sorted(got))
        assert len(err.problems) == len(got), "a problem was reported twice"
    else:
        assert not case.expected, f"expected problems, contract loaded: {sorted(case.expected)}"


def test_enough_bad_cases() -> None:
    assert sum(1 for c in CASES if c.expected) >= 12


@pytest.mark.parametrize("check", PASSES, ids=[p.__name__ for p in PASSES])
def test_every_pass_has_failing_and_passing_fixtures(check: object) -> None:
    name = getattr(check, "__name__", "")
    path = FIXTURES / f"{name}.yaml"
    assert path.is_file(), f"pass {name} needs a fixture file {path}"
    cases = read_cases(path)
    assert any(c.expected for c in cases), f"{path} has no failing case"
    assert any(not c.expected for c in cases), f"{path} has no passing case"
