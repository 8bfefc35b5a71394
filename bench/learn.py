"""Learning and backtest benchmark: real-data model quality, and how long each step takes.

1. X Education (../shared/data/x-education, 9,240 real leads, no times): the
   file is imported with its built-in mapping, then ``learn`` runs twice on
   the same seeded, stratified split — with the leakage guard (post-contact
   columns excluded) and with every post-contact column explicitly allowed,
   to show what the guard prevents (the second run at ``full`` only).
   Held-out ROC AUC, PR AUC, Brier, ECE, accuracy and top-decile lift for the
   contract, naive Bayes, logistic regression and gradient boosting.
2. The seeded demo world (``small``: scale 0.05, ``full``: 1.0): ``learn`` on
   history (a scoring moment every 14 days, 56 at ``small``, 90-day outcome
   window, split by time), ``suggest`` a contract, ``backtest`` it against the
   demo contract over the last six months (``small``: six weeks) week by week,
   and sweep the MQL threshold.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from common import RESULTS, Check, Result, Scale, Timing, timed
from leadline.app import Leadline
from leadline.backtest.run import BacktestOptions, backtest
from leadline.contract import load_contract
from leadline.demo.generator import generate_world
from leadline.demo.run import IMPORT_ORDER, demo_contract
from leadline.learn.run import LearnOptions, LearnReport, learn
from leadline.learn.suggest import SuggestOptions, suggest
from leadline.workspace import Workspace

NAME = "learn"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POST_CONTACT = (
    "tags",
    "lead_quality",
    "lead_profile",
    "asymmetrique_activity_index",
    "asymmetrique_profile_index",
    "asymmetrique_activity_score",
    "asymmetrique_profile_score",
)
X_EDUCATION_CONTRACT = """\
contract: x-education
description: A hand-written rule-based contract, the kind a marketing team starts with.
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
DEMO_SCALE = {"small": 0.05, "full": 1.0}
# how far back the demo backtest and sweep look (weeks)
BACKTEST_WEEKS = {"small": 6, "full": 26}
# days between the scoring moments the demo training sets are built at
EVERY_DAYS = {"small": 56.0, "full": 14.0}
METRICS = ("roc_auc", "pr_auc", "brier", "ece", "accuracy", "top_decile_lift", "top_decile_recall")


def _table(title: str, report: LearnReport) -> list[str]:
    """A markdown table of one learn run (rendered as notes)."""
    lines = [
        f"**{title}** — {report.info['split']}; test rows {report.info['test_rows']} "
        f"({report.info['test_positives']} converted); features used "
        f"{report.features_used} of {report.features_offered}",
        "",
        "| model | " + " | ".join(METRICS) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for name, m in report.metrics.items():
        data = m.to_dict(reliability=False)
        lines.append(f"| {name} | " + " | ".join(f"{data[k]:.3f}" for k in METRICS) + " |")
    return [*lines, ""]


def _summary(report: LearnReport) -> dict[str, Any]:
    return {
        "training_set": report.info,
        "models": {n: m.to_dict() for n, m in report.metrics.items()},
        "guard": report.guard.to_dict()["findings"],
    }


def x_education(result: Result, workdir: Path, scale: Scale) -> None:
    source = DATA / "x-education" / "leads.csv"
    if not source.is_file():
        raise SystemExit(f"missing benchmark data file {source} (see ../shared/data/README.md)")
    root = workdir / "x-education"
    root.mkdir(parents=True, exist_ok=True)
    ws = Workspace.locate(root)
    ws.contract_path.write_text(X_EDUCATION_CONTRACT, encoding="utf-8")
    with Leadline.open(ws) as ll:
        seconds, _ = timed(lambda: ll.import_file("leads", source, "x-education"))
        result.timings.append(Timing("X Education: import 9,240 leads", seconds))
        seconds, honest = timed(lambda: learn(ll, LearnOptions(save=False)))
        result.timings.append(Timing("X Education: learn (guard on)", seconds, "4 models"))
        leaky = None
        if scale.name != "small":  # what the guard prevents: the full run shows it
            seconds, leaky = timed(lambda: learn(ll, LearnOptions(save=False, allow=POST_CONTACT)))
            result.timings.append(Timing("X Education: learn (post-contact allowed)", seconds))
    lr, hgb = honest.metrics["logistic regression"], honest.metrics["gradient boosting"]
    caught = {f.source.rsplit(".", 1)[-1] for f in honest.guard.findings if not f.overridden}
    result.checks += [
        Check(
            "X Education honest logistic AUC (published ≈ 0.87–0.88)", lr.roc_auc, ">=", 0.88, ""
        ),
        Check("X Education honest gradient boosting AUC", hgb.roc_auc, ">=", 0.88, ""),
        Check(
            "X Education honest logistic accuracy (published ≈ 0.80)", lr.accuracy, ">=", 0.80, ""
        ),
        Check(
            "guard catches Tags and Lead Quality",
            float({"tags", "lead_quality"} <= caught),
            ">=",
            1,
            "",
        ),
    ]
    DETAILS["x_education_honest"] = _summary(honest)
    tags = honest.guard.auc.get("lead.post_contact.tags", float("nan"))
    result.facts["X Education: Tags alone (out-of-fold AUC)"] = round(tags, 3)
    result.notes += _table("X Education, leakage guard on (post-contact columns excluded)", honest)
    if leaky is None:
        return
    with_them = leaky.metrics["logistic regression"].roc_auc
    DETAILS["x_education_with_post_contact"] = _summary(leaky)
    result.facts["X Education held-out AUC, guard on → post-contact allowed"] = (
        f"logistic {lr.roc_auc:.3f} → {with_them:.3f}, gradient boosting {hgb.roc_auc:.3f} → "
        f"{leaky.metrics['gradient boosting'].roc_auc:.3f}, contract "
        f"{honest.metrics['contract (rule-based)'].roc_auc:.3f}"
    )
    result.notes += _table(
        "X Education, post-contact columns allowed (what the guard prevents)", leaky
    )


def demo_world(result: Result, workdir: Path, scale: Scale) -> None:
    factor = DEMO_SCALE.get(scale.name, DEMO_SCALE["small"])
    every = EVERY_DAYS.get(scale.name, 14.0)
    root = workdir / f"demo-{scale.name}"
    seconds, files = timed(lambda: generate_world(root / "data", seed=7, scale=factor))
    ws = Workspace.locate(root)
    ws.contract_path.write_text(demo_contract(), encoding="utf-8")
    with Leadline.open(ws) as ll:
        for kind in IMPORT_ORDER:
            ll.import_file(kind, files[kind])
        leads = int(ll.engine.scalar("SELECT count(*) FROM leads"))
        opps = int(ll.engine.scalar("SELECT count(*) FROM opportunities"))
        result.facts["demo_world"] = f"scale {factor}: {leads} leads, {opps} opportunities"
        seconds, report = timed(lambda: learn(ll, LearnOptions(every_days=every)))
        rows = report.info["train_rows"] + report.info["test_rows"]
        result.timings.append(
            Timing(
                "demo: learn on history", seconds, f"{report.info['moments']} moments, {rows} rows"
            )
        )
        DETAILS["demo_learn"] = _summary(report)
        result.notes += _table(f"Demo world (scale {factor}), target opportunity", report)
        out = root / "suggested.yaml"
        seconds, suggestion = timed(lambda: suggest(ll, SuggestOptions(out=out, every_days=every)))
        result.timings.append(
            Timing("demo: suggest a contract", seconds, f"{len(suggestion.rules)} rules")
        )
        end = ll.engine.scalar("SELECT max(occurred_at) FROM activities")
        weeks = BACKTEST_WEEKS.get(scale.name, 26)
        window = BacktestOptions(end - timedelta(weeks=weeks), end, "week", limit=0, warmup_days=28)
        candidate = load_contract(out)
        seconds, compared = timed(lambda: backtest(ll, candidate, ll.loaded, window))
        result.timings.append(
            Timing(
                "demo: backtest suggested vs demo contract",
                seconds,
                f"{compared['window']['steps']} weekly steps × 2",
            )
        )
        sweep = BacktestOptions(window.start, window.end, "week", sweep=True, warmup_days=28)
        seconds, swept = timed(lambda: backtest(ll, ll.loaded, ll.loaded, sweep))
        result.timings.append(
            Timing("demo: sweep the MQL threshold", seconds, f"{len(swept['curve'])} thresholds")
        )
    DETAILS["demo_backtest"] = compared
    DETAILS["demo_sweep"] = swept
    rec = swept["recommendation"]
    result.facts["demo sweep recommendation"] = f"threshold {rec['threshold']:g}: {rec['why']}"
    result.notes += [
        f"**Demo backtest** (last {weeks} weeks): suggested contract vs the demo contract",
        "",
        "| metric | demo contract | suggested |",
        "|---|---:|---:|",
        *[f"| {r['metric']} | {r['current']} | {r['candidate']} |" for r in compared["metrics"]],
        "",
    ]


DETAILS: dict[str, Any] = {}


def run(scale: Scale, workdir: Path) -> Result:
    """The benchmark; full reports go to ``results/learn-<scale>-details.json``."""
    result = Result(NAME, scale)
    DETAILS.clear()
    x_education(result, workdir, scale)
    demo_world(result, workdir, scale)
    details = RESULTS / f"{NAME}-{scale.name}-details.json"
    details.write_text(json.dumps(DETAILS, indent=2, default=str) + "\n")
    result.notes.append(f"Full reports (reliability tables, guard findings): {details.name}")
    return result
