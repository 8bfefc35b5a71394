"""Seeded worlds for the learn and backtest tests, built through the real import path.

Built once per test session (and per xdist worker) and copied for any test
that writes, so every test starts from the same store.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from leadline.app import Leadline
from leadline.demo.generator import generate_world
from leadline.demo.run import IMPORT_ORDER, demo_contract
from leadline.workspace import STORE_FILE, Workspace
from tests.conftest import shared_file

X_EDUCATION_CONTRACT = """\
contract: x-education
fit:
  rules:
    - {name: working professional, field: lead.attributes.occupation,
       in: [Working Professional], points: 40}
    - {name: unemployed, field: lead.attributes.occupation, in: [Unemployed], points: 20}
    - {name: add form, field: lead.attributes.lead_origin, in: [Lead Add Form], points: 30}
  grades: {A: 40, B: 20, C: 10}
behaviour:
  half_life_days: 30
  rules:
    - {name: time on site, activity: site_visit_summary, points: 1, value_per_point: 100}
    - {name: email opened, activity: email_open, points: 5}
stages:
  mql: {min_grade: C, min_score: 5}
"""


def demo_world(root: Path, *, seed: int = 5, scale: float = 0.05) -> Path:
    """A generated B2B world (leads, activities, opportunities...) imported, not replayed."""
    files = generate_world(root / "data", seed=seed, scale=scale)
    ws = Workspace.locate(root)
    ws.contract_path.write_text(demo_contract(), encoding="utf-8")
    with Leadline.open(ws) as ll:
        for kind in IMPORT_ORDER:
            ll.import_file(kind, files[kind])
    return root


def x_education(root: Path) -> Path:
    """The real X Education file imported with its built-in mapping profile."""
    root.mkdir(parents=True, exist_ok=True)
    ws = Workspace.locate(root)
    ws.contract_path.write_text(X_EDUCATION_CONTRACT, encoding="utf-8")
    with Leadline.open(ws) as ll:
        ll.import_file("leads", shared_file("x-education/leads.csv"), "x-education")
    return root


def copy_workspace(source: Path, target: Path) -> Path:
    """A private copy of a built workspace (contract and store)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("leadline.yaml", STORE_FILE, STORE_FILE + ".wal"):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    return target
