"""``leadline suggest``: a candidate contract from observed lift and a model, with evidence.

How a suggestion is made:

1. Candidate rules come from the feature catalogue, minus what the leakage
   guard excludes: a fit rule per frequent value (``in``), per missing field
   (``missing``) and per quartile threshold of a number (``at_least``); a
   behaviour rule per activity type and per page section (``url_matches``,
   placed before the general page-view rule, since the first match wins), and
   ``value_per_point`` rules for activities that carry values (time on site).
2. A *draft* contract holding every candidate at 1 point is compiled, and the
   training set is read through its plan as of each scoring moment: every
   fit rule's match and every behaviour rule's decayed points — the very
   semantics the contract will use — plus the lead's intent points.  All
   scored rows are used (no held-out split: backtesting the suggestion is its
   test, on a window you choose).
3. A sparse (L1) logistic regression on those columns gives each rule a
   weight; points are weights on the contract's scale, **10 points = twice
   the odds** (points = weight × 10 / ln 2).  Rules under a point are
   dropped.  Intent keeps its shape, scaled by its own weight.
4. Grade cut-offs are the 85th / 60th / 30th percentile of the candidate's
   fit points on those rows.  The candidate is then compiled and run over the
   same moments, and the MQL rule (worst grade and score) is the one that
   keeps the current contract's MQL volume (share of rows qualifying,
   triggers and exclusions included) and catches the most conversions.
5. Every rule, cut-off and threshold is written with its evidence (lift,
   conversion rate, how many rows, the weight) as a comment, to a NEW file;
   the result is validated as a contract before it is written.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import yaml
from threadpoolctl import threadpool_limits

from leadline.contract.compiler import CompiledContract
from leadline.contract.loader import load_contract_text
from leadline.contract.schema import (
    BehaviourRule,
    Contract,
    Fit,
    FitRule,
    Grades,
    MqlCriteria,
)
from leadline.errors import LeadlineError
from leadline.learn import artifacts, dataset, guard
from leadline.learn.catalog import short_name
from leadline.learn.dataset import PREFIX, SetOptions, TrainingSet
from leadline.learn.models import LogisticModel
from leadline.scoring.model import Feature
from leadline.scoring.plan import build_plan

if TYPE_CHECKING:
    from leadline.app import Leadline

POINTS_PER_LOG_ODDS = 10 / math.log(2)
GRADE_PERCENTILES = {"A": 85, "B": 60, "C": 30}


class SuggestError(LeadlineError):
    exit_code = 2


@dataclass(frozen=True)
class SuggestOptions(SetOptions):
    allow: tuple[str, ...] = ()
    out: Path | None = None
    model_version: str | None = None
    model_points: float = 30.0


@dataclass
class Candidate:
    """One proposed rule: what it is, and the column the training set reads for it."""

    kind: str  # fit | behaviour
    rule: dict[str, Any]
    source: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suggestion:
    path: Path
    text: str
    version: str
    rules: list[dict[str, Any]]
    grades: list[dict[str, Any]]
    mql: dict[str, Any]
    info: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "version": self.version,
            "training_set": self.info,
            "rules": self.rules,
            "grades": self.grades,
            "mql": self.mql,
        }


def _label(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()[:60]


def fit_candidates(features: list[Feature]) -> list[Candidate]:
    """One fit rule per category value, missing field and "at least" threshold."""
    out: list[Candidate] = []
    for f in features:
        if f.field is None or f.post_contact:
            continue
        short = short_name(f.field)
        rule: dict[str, Any]
        if f.kind == "category" and f.value is not None:
            shown = f.name.split(" = ", 1)[1] if " = " in f.name else f.value
            rule = {"name": f"{short} {_label(shown)}", "field": f.field, "in": [shown]}
        elif f.kind == "missing":
            rule = {"name": f"no {short}", "field": f.field, "missing": True}
        elif f.kind == "at_least" and f.low is not None:
            rule = {"name": f"{short} >= {f.low:g}", "field": f.field, "at_least": f.low}
        else:
            continue
        out.append(Candidate("fit", rule, f.source))
    return out


def behaviour_candidates(features: list[Feature], current: Contract) -> list[Candidate]:
    """Page-section rules first (the first matching rule wins), then one per activity."""
    sections: list[Candidate] = []
    general: list[Candidate] = []
    seen: set[str] = set()
    for f in features:
        if not f.is_activity or f.source in seen or f.journey_stage is not None:
            continue
        if f.kind == "activity_value" and f.fact is not None:
            continue  # handled below, per activity type
        seen.add(f.source)
        if f.activity is None:
            continue
        if f.url_matches is not None:
            name = f"page {f.source.rsplit(':', 1)[-1]}"
            section = {"name": name, "activity": f.activity, "url_matches": f.url_matches}
            sections.append(Candidate("behaviour", section, f.source))
        else:
            general.append(
                Candidate("behaviour", {"name": f.activity, "activity": f.activity}, f.source)
            )
    valued: dict[str, list[float]] = {}
    for f in features:
        if f.kind == "activity_value" and f.activity is not None and f.low is not None:
            valued.setdefault(f.activity, []).append(f.low)
    for activity, edges in valued.items():
        per = float(f"{float(np.median(edges)):.2g}") or 1.0
        valued_rule: dict[str, Any] = {
            "name": f"{activity} value",
            "activity": activity,
            "value_per_point": per,
        }
        general = [c for c in general if c.rule["activity"] != activity]
        general.append(Candidate("behaviour", valued_rule, f"activity:{activity}"))
    caps = {(tuple(r.activities), r.url_matches): r.cap for r in current.behaviour.rules if r.cap}
    for c in [*sections, *general]:
        cap = caps.get(((c.rule["activity"],), c.rule.get("url_matches")))
        if cap is not None:
            c.rule["cap"] = {"points": cap.points, "per_days": cap.per_days}
    return [*sections, *general]


def _draft(current: Contract, fits: list[Candidate], acts: list[Candidate]) -> Contract:
    """The current contract with every candidate at 1 point (caps off): a measuring device."""
    fit_rules = [
        FitRule.model_validate({**c.rule, "name": f"c{i}", "points": 1.0})
        for i, c in enumerate(fits)
    ]
    behaviour_rules = [
        BehaviourRule.model_validate(
            {k: v for k, v in c.rule.items() if k != "cap"} | {"name": f"b{i}", "points": 1.0}
        )
        for i, c in enumerate(acts)
    ]
    return current.model_copy(
        update={
            "fit": Fit(rules=fit_rules, grades=Grades(A=0, B=0, C=0)),
            "behaviour": current.behaviour.model_copy(
                update={"rules": behaviour_rules, "triggers": []}
            ),
            "model": None,
        }
    )


def _plan(contract: Contract, version: str, ll: Leadline) -> CompiledContract:
    """The contract's plan, as ``compile_contract`` builds it, without parsing every query
    up front: a suggestion only runs the batch snapshot (once per moment)."""
    loaded_model = None
    if contract.model is not None:
        loaded_model = artifacts.get(ll.engine, contract.model.version).spec(contract.model.points)
    return CompiledContract(
        contract=contract,
        version=version,
        batch=build_plan(contract, version, lead_filter=False, model=loaded_model),
        filtered=build_plan(contract, version, lead_filter=True, model=loaded_model),
    )


def _draft_ctes(fits: int, acts: int) -> list[tuple[str, str]]:
    """``_ll_learn_features``: fit matches, per-rule decayed behaviour points, intent."""
    eng = ", ".join(f"sum(points) FILTER (WHERE rule_idx = {j}) AS e_{j}" for j in range(acts))
    cols = [f"CASE WHEN p.fit_{i} THEN 1.0e0 ELSE 0.0e0 END AS f_{i}" for i in range(fits)]
    cols += [f"coalesce(e.e_{j}, 0.0e0) AS f_{fits + j}" for j in range(acts)]
    cols.append(f"coalesce(i.intent, 0.0e0) AS f_{fits + acts}")
    pivot = (
        f"SELECT lead_id, {eng} FROM _ll_eng_rules GROUP BY lead_id"
        if acts
        else "SELECT CAST(NULL AS VARCHAR) AS lead_id WHERE FALSE"
    )
    return [
        (f"{PREFIX}_eng", pivot),
        (
            f"{PREFIX}_features",
            f"SELECT p.lead_id, {', '.join(cols)} FROM _ll_people AS p "
            f"LEFT JOIN {PREFIX}_eng AS e ON e.lead_id = p.lead_id "
            "LEFT JOIN _ll_lead_intent AS i ON i.lead_id = p.lead_id",
        ),
    ]


def _informative(X: np.ndarray, share: float = 0.01) -> np.ndarray:
    """Columns set on at least 1 % and at most 99 % of the rows (and 10 rows each way)."""
    rows = len(X)
    present = (X != 0).sum(axis=0)
    least = max(10, int(share * rows))
    keep: np.ndarray = np.flatnonzero((present >= least) & (rows - present >= least))
    return keep


def _lift(column: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    has = column > 0
    base = float(y.mean()) if len(y) else 0.0
    rate = float(y[has].mean()) if has.any() else 0.0
    return {
        "rows": int(has.sum()),
        "conversion": round(rate, 4),
        "lift": round(rate / base, 2) if base > 0 and has.any() else None,
    }


def _round_points(value: float) -> float:
    return float(round(value)) if abs(value) >= 5 else round(value * 2) / 2


def _grade_cutoffs(points: np.ndarray) -> dict[str, float]:
    cut = {g: float(round(np.percentile(points, q))) for g, q in GRADE_PERCENTILES.items()}
    cut["B"] = min(cut["B"], cut["A"])
    cut["C"] = min(cut["C"], cut["B"])
    return cut


def _grade_of(points: np.ndarray, cut: dict[str, float]) -> np.ndarray:
    return np.where(
        points >= cut["A"], 0, np.where(points >= cut["B"], 1, np.where(points >= cut["C"], 2, 3))
    )


def _mql_rule(
    score: np.ndarray,
    grade: np.ndarray,
    triggered: np.ndarray,
    excluded: np.ndarray,
    y: np.ndarray,
    target_share: float,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The (worst grade, score) MQL rule that keeps the current MQL volume, most conversions.

    For each grade, the lowest threshold whose share of qualifying training
    rows does not exceed the current contract's; of those, the one that
    catches the most conversions.  Triggers and exclusions count as the
    contract applies them.  Returns the choice and the alternatives tried.
    """
    positives = max(int(y.sum()), 1)
    allowed = excluded < 0.5
    fired = allowed & (triggered > 0.5)
    rows: list[dict[str, Any]] = []
    for worst, letter in enumerate("ABCD"):
        fit_ok = allowed & (grade <= worst)
        if not fit_ok.any():
            continue
        levels = np.percentile(score[fit_ok], np.arange(0.0, 100.0, 0.5))
        # the contract needs a positive threshold (a lead must do something)
        for t in sorted({max(float(f"{v:.3g}"), 0.5) for v in levels}):
            chosen = fired | (fit_ok & (score >= t))
            n = int(chosen.sum())
            hits = int((chosen & (y == 1)).sum())
            precision = hits / n if n else 0.0
            recall = hits / positives
            rows.append(
                {
                    "min_grade": letter,
                    "min_score": t,
                    "share_of_rows": round(n / len(y), 4),
                    "precision": round(precision, 4),
                    "recall": round(recall, 4),
                    "f1": round(2 * precision * recall / (precision + recall), 4) if hits else 0.0,
                }
            )
    if not rows:
        raise SuggestError("no lead reaches any grade; cannot suggest an MQL threshold")
    per_grade = []
    for letter in "ABCD":
        fits = [r for r in rows if r["min_grade"] == letter and r["share_of_rows"] <= target_share]
        if fits:
            per_grade.append(max(fits, key=lambda r: (r["share_of_rows"], -r["min_score"])))
    if per_grade:
        best = max(per_grade, key=lambda r: (r["recall"], r["precision"]))
        best = {**best, "rule": "same MQL volume as the current contract, most conversions"}
    else:
        best = {**min(rows, key=lambda r: r["share_of_rows"]), "rule": "fewest MQLs possible"}
    best_f1 = max(rows, key=lambda r: (r["f1"], r["min_score"]))
    return best, [*per_grade, {**best_f1, "rule": "best F1 (for comparison)"}]


def _flow(data: dict[str, Any]) -> str:
    text = yaml.safe_dump(data, default_flow_style=True, sort_keys=False, width=1000)
    return text.strip()


def _block(key: str, value: Any, indent: int = 0) -> str:
    text = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=100)
    pad = " " * indent
    return "".join(pad + line + "\n" for line in text.splitlines())


def _render(
    doc: dict[str, Any],
    header: list[str],
    fits: list[Candidate],
    acts: list[Candidate],
    grade_notes: list[str],
    mql_note: str,
) -> str:
    out = [f"# {line}\n" if line else "#\n" for line in header]
    for key, value in doc.items():
        if key == "fit":
            out.append("fit:\n  rules:\n")
            for c in fits:
                out.append(f"    # {c.evidence['note']}\n    - {_flow(c.rule)}\n")
            out += [f"  # {n}\n" for n in grade_notes]
            out.append(f"  grades: {_flow(value['grades'])}\n")
        elif key == "behaviour":
            out.append("behaviour:\n")
            for k, v in value.items():
                if k != "rules":
                    out.append(_block(k, v, 2))
            out.append("  rules:\n")
            for c in acts:
                out.append(f"    # {c.evidence['note']}\n    - {_flow(c.rule)}\n")
        elif key == "stages":
            out.append("stages:\n")
            out.append(f"  # {mql_note}\n  mql: {_flow(value['mql'])}\n")
            for k, v in value.items():
                if k != "mql":
                    out.append(_block(k, v, 2))
        else:
            out.append(_block(key, value))
    return "".join(out)


def _output_path(ll: Leadline, wanted: Path | None) -> Path:
    current = ll.workspace.contract_path.resolve()
    if wanted is not None:
        if wanted.resolve() == current or wanted.exists():
            raise SuggestError(
                f"{wanted} already exists; suggestions are written to a new file "
                "(pass --out NEW.yaml)"
            )
        return wanted
    for n in range(1, 1000):
        path = current.with_name(f"{current.stem}.suggested-{n}.yaml")
        if not path.exists():
            return path
    raise SuggestError("too many suggested-N.yaml files next to the contract; pass --out")


def suggest(ll: Leadline, options: SuggestOptions) -> Suggestion:
    """Build, validate and write a candidate contract (see the module docstring)."""
    from leadline.learn.run import training_set

    path = _output_path(ll, options.out)
    current = ll.loaded.contract
    catalog, full = training_set(ll, options, options.allow)
    found = guard.check(ll.engine, full, catalog, list(options.allow), seed=options.seed)
    usable = [f for f in full.features if f.source not in found.excluded]
    fits = fit_candidates(usable)
    acts = behaviour_candidates(usable, current)
    draft = _draft(current, fits, acts)
    mode: Literal["history", "converted"] = (
        "converted" if full.info["label"] == "converted" else "history"
    )
    compiled = _plan(draft, "draft", ll)
    width = len(fits) + len(acts) + 1
    columns = [Feature(f"c{i}", c.source, "number") for i, c in enumerate([*fits, *acts])]
    columns.append(Feature("intent", "intent", "number"))
    ts = dataset.build(
        ll.engine, compiled, columns, options, mode, ctes=_draft_ctes(len(fits), len(acts))
    )
    # every scored row: a suggestion is tested by backtesting it, not by a held-out split
    X, y = ts.X, ts.y
    usable_cols = _informative(X)
    with threadpool_limits(limits=1):
        model = LogisticModel.fit(X[:, usable_cols], y, options.seed, sparse=True)
    weights = np.zeros(width)
    weights[usable_cols] = model.coefficients
    kept_fits, kept_acts = _points(fits, acts, weights, X, y)
    n_fits = len(fits)
    # fit points are a sum of rule points over rule matches: exact from the draft's columns
    # (dropped rules have no points)
    fit_points = X[:, :n_fits] @ np.array([float(c.rule.get("points", 0.0)) for c in fits])
    cut = _grade_cutoffs(fit_points)
    doc = _candidate_doc(current, kept_fits, kept_acts, weights[width - 1], options)
    doc["fit"]["grades"] = cut
    # measure the candidate itself, as the contract it will be
    trial = load_contract_text(yaml.safe_dump(doc, sort_keys=False), filename=str(path))
    artifacts.spec_for(ll.engine, trial)  # a pinned model must exist and be usable
    measured = dataset.build(ll.engine, _plan(trial.contract, trial.version, ll), [], options, mode)
    rows = np.ones(len(measured.y), dtype=bool)
    verdict = {k: v[rows] for k, v in measured.contract.items()}
    outcome = measured.y[rows]
    grade = _grade_of(verdict["fit_points"], cut)
    current_share = float(full.contract["qualifies_mql"].mean())
    best, tried = _mql_rule(
        verdict["score"], grade, verdict["triggered"], verdict["excluded"], outcome, current_share
    )
    doc["stages"]["mql"] = {"min_grade": best["min_grade"], "min_score": best["min_score"]}
    grade_rows = []
    for index, letter in enumerate("ABCD"):
        mask = grade == index
        grade_rows.append(
            {
                "grade": letter,
                "min_fit_points": cut.get(letter),
                "share_of_rows": round(float(mask.mean()), 4),
                "conversion": round(float(outcome[mask].mean()), 4) if mask.any() else None,
            }
        )
    base = float(outcome.mean())
    grade_notes = [
        "grades: fit points at the 85th/60th/30th percentile of the rows; conversion "
        + ", ".join(
            f"{g['grade']} {g['conversion']:.1%}" for g in grade_rows if g["conversion"] is not None
        )
        + f" (all {base:.1%})"
    ]
    mql_note = (
        f"{best['rule']}: {best['share_of_rows']:.1%} of rows qualify, precision "
        f"{best['precision']:.1%}, recall {best['recall']:.1%} (current contract: "
        f"{_current_mql(measured_current=full, rows=np.ones(len(full.y), dtype=bool))})"
    )
    info = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in ts.info.items()}
    header = [
        f"Suggested by `leadline suggest` from {ll.workspace.contract_path.name} "
        f"(version {ll.loaded.version}) on {datetime.now().date().isoformat()}.",
        f"Label: {info['target']}, {_span(info)}: {len(y)} scored rows ({int(y.sum())} "
        f"converted, base rate {base:.1%}).",
        "Points: weight × 10/ln 2, so 10 points = twice the odds.  Each rule's comment is its",
        "evidence on those rows: lift = conversion of rows with it / all rows.",
        "Review it with sales, then backtest it before adopting:",
        f"  leadline backtest {path.name} --from YYYY-MM-DD --to YYYY-MM-DD",
        "",
    ]
    text = _render(doc, header, kept_fits, kept_acts, grade_notes, mql_note)
    loaded = load_contract_text(text, filename=str(path))
    ll.check_contract(loaded)
    path.write_text(text, encoding="utf-8")
    return Suggestion(
        path=path,
        text=text,
        version=loaded.version,
        rules=[
            {"section": c.kind, "rule": c.rule["name"], "points": c.rule["points"], **c.evidence}
            for c in [*kept_fits, *kept_acts]
        ],
        grades=grade_rows,
        mql={**best, "alternatives": tried},
        info=info,
    )


def _span(info: dict[str, Any]) -> str:
    if info.get("label") == "converted":
        return f"leads as of {info['data_from']}"
    return (
        f"leads scored every {info['every_days']:g} days from {info['data_from'][:10]} to "
        f"{info['data_to'][:10]}, outcome within {info['horizon_days']:g} days"
    )


def _current_mql(measured_current: TrainingSet, rows: np.ndarray) -> str:
    mql = measured_current.contract["qualifies_mql"][rows] > 0.5
    y = measured_current.y[rows]
    hits = int((mql & (y == 1)).sum())
    precision = hits / int(mql.sum()) if mql.any() else 0.0
    recall = hits / int(y.sum()) if y.any() else 0.0
    return f"{mql.mean():.1%} qualify, precision {precision:.1%}, recall {recall:.1%}"


def _points(
    fits: list[Candidate],
    acts: list[Candidate],
    weights: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
) -> tuple[list[Candidate], list[Candidate]]:
    """Weights → points; rules under a point (half a point for behaviour) are dropped."""
    kept: tuple[list[Candidate], list[Candidate]] = ([], [])
    names: set[str] = set()
    for i, c in enumerate([*fits, *acts]):
        raw = float(weights[i]) * POINTS_PER_LOG_ODDS
        points = _round_points(raw)
        update: dict[str, Any] = {"points": points}
        if "value_per_point" in c.rule and raw != 0:
            # points per value: one point (±) per this much value
            per = float(f"{c.rule['value_per_point'] / abs(raw):.2g}")
            points = 1.0 if raw > 0 else -1.0
            update = {"points": points, "value_per_point": per}
        smallest = 1.0 if c.kind == "fit" else 0.5
        if abs(points) < smallest:
            continue
        name = c.rule["name"]
        while name in names:
            name += "'"
        names.add(name)
        c.rule = {**c.rule, "name": name, **update}
        if "cap" in c.rule and points <= 0:
            c.rule.pop("cap")
        lift = _lift(X[:, i], y)
        c.evidence = {
            "weight": round(float(weights[i]), 4),
            **lift,
            "note": (
                f"lift {lift['lift']}×: {lift['conversion']:.1%} of {lift['rows']} rows "
                f"with it converted; weight {float(weights[i]):+.3f}"
                if lift["lift"] is not None
                else f"no training row has it; weight {float(weights[i]):+.3f}"
            ),
        }
        kept[0 if c.kind == "fit" else 1].append(c)
    return kept


def _candidate_doc(
    current: Contract,
    fits: list[Candidate],
    acts: list[Candidate],
    intent_weight: float,
    options: SuggestOptions,
) -> dict[str, Any]:
    """The candidate as a plain document: the current contract with learned sections."""
    dumped: dict[str, Any] = current.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude_defaults=True
    )
    doc: dict[str, Any] = {
        "contract": f"{current.contract}-suggested",
        "description": "Suggested from outcomes by leadline suggest "
        f"(based on {current.contract}).",
    }
    for key in ("owners", "fit", "behaviour", "intent", "exclude", "stages"):
        doc[key] = dumped.get(key, {})
    doc.update({k: v for k, v in dumped.items() if k not in doc})
    doc["fit"] = {
        "rules": [c.rule for c in fits],
        "grades": {"A": 0, "B": 0, "C": 0},
    }
    behaviour = current.behaviour.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["behaviour"] = {k: behaviour[k] for k in ("half_life_days", "lookback_days")} | {
        "rules": [c.rule for c in acts]
    }
    if behaviour["triggers"]:
        doc["behaviour"]["triggers"] = behaviour["triggers"]
    for key in ("owners", "intent", "exclude"):
        if not doc.get(key):
            doc.pop(key, None)
    if current.intent is not None:
        doc["intent"] = current.intent.model_dump(mode="json", by_alias=True, exclude_none=True)
        factor = intent_weight * POINTS_PER_LOG_ODDS
        if factor > 0:
            stage_points = doc["intent"].get("stage_points", {})
            doc["intent"]["stage_points"] = {
                k: _round_points(float(v) * factor) for k, v in stage_points.items()
            }
            if doc["intent"].get("journey_bonus"):
                bonus = doc["intent"]["journey_bonus"]
                bonus["points"] = _round_points(float(bonus["points"]) * factor)
    doc["stages"]["mql"] = MqlCriteria(
        min_grade=current.stages.mql.min_grade, min_score=current.stages.mql.min_score
    ).model_dump(mode="json")
    if options.model_version is not None:
        doc["model"] = {"version": options.model_version, "points": options.model_points}
    else:
        doc.pop("model", None)
    return doc
