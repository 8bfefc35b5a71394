"""The leakage guard: no model learns from what was only known after the outcome.

A feature source (a field, an activity type, a fact) is flagged, and its
features are left out of every model, when:

* ``post_contact`` — an import mapping declared it filled in by sales after
  the first contact (``field_catalog.post_contact``: X Education's ``Tags``,
  ``Lead Quality``...);
* ``too_predictive`` — on the training rows it alone ranks the outcome with
  ROC AUC above the threshold (0.95): out-of-fold target encoding of its
  values, so a field with a value per lead cannot score itself;
* ``after_outcome`` — its values appear only after the outcome: among leads
  that converted, the first activity of that type came at or after the
  outcome for nearly all of them (95 %), or the field first arrived in an
  import (later than the first leads import) after nearly all their outcomes.

``allow`` names sources to keep anyway (full name or its last part, e.g.
``tags``); they are reported as overridden, so a run "with them" shows what
the guard prevents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from sklearn.metrics import roc_auc_score

from leadline.learn.catalog import Catalog, short_name
from leadline.learn.dataset import LearnError, TrainingSet
from leadline.learn.models import _bucket, _edges
from leadline.store.base import Engine

Reason = Literal["post_contact", "too_predictive", "after_outcome"]
AUC_LIMIT = 0.95
AFTER_SHARE = 0.95
MIN_LEADS = 10


@dataclass(frozen=True)
class Finding:
    source: str
    reason: Reason
    detail: str
    value: float | None
    overridden: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reason": self.reason,
            "value": None if self.value is None else round(self.value, 4),
            "excluded": not self.overridden,
            "detail": self.detail,
        }


@dataclass
class GuardReport:
    findings: list[Finding] = field(default_factory=list)
    auc: dict[str, float] = field(default_factory=dict)
    allowed: list[str] = field(default_factory=list)

    @property
    def excluded(self) -> set[str]:
        return {f.source for f in self.findings if not f.overridden}

    def flagged(self, reason: Reason | None = None) -> set[str]:
        return {f.source for f in self.findings if reason is None or f.reason == reason}

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "allowed": self.allowed,
            "single_source_auc": {k: round(v, 4) for k, v in sorted(self.auc.items())},
        }


def resolve_allowed(names: list[str], sources: set[str]) -> set[str]:
    """Map ``--allow-feature`` names (full or short) to sources; unknown names are an error."""
    out: set[str] = set()
    for name in names:
        hits = {s for s in sources if name in (s, short_name(s))}
        if not hits:
            known = ", ".join(sorted({short_name(s) for s in sources}))
            raise LearnError(f"--allow-feature {name!r} names no feature source; known: {known}")
        out |= hits
    return out


def single_source_auc(
    X: np.ndarray, y: np.ndarray, cols: list[int], seed: int, folds: int = 5
) -> float:
    """Out-of-fold AUC of the source's values (target-encoded), on the rows given."""
    if len(set(y.tolist())) < 2:
        return 0.5
    keyed = np.column_stack([_bucket(X[:, c], _edges(X[:, c], 10)) for c in cols])
    _, codes = np.unique(keyed, axis=0, return_inverse=True)
    codes = codes.reshape(-1)
    fold = np.random.default_rng(seed).integers(0, folds, len(y))
    encoded = np.zeros(len(y))
    prior, m = float(y.mean()), 10.0
    for k in range(folds):
        fit = fold != k
        total = np.bincount(codes[fit], weights=y[fit], minlength=codes.max() + 1)
        count = np.bincount(codes[fit], minlength=codes.max() + 1)
        rate = (total + m * prior) / (count + m)
        encoded[~fit] = rate[codes[~fit]]
    return float(roc_auc_score(y, encoded))


def _first_outcomes(ts: TrainingSet) -> pa.Table:
    """Each converted lead's earliest outcome time in the training set."""
    known = ~np.isnat(ts.outcome_at) & (ts.y == 1)
    leads = ts.lead_ids[known].astype(str)
    at = ts.outcome_at[known]
    order = np.lexsort((at, leads))
    firsts, index = np.unique(leads[order], return_index=True)
    return pa.table(
        {
            "lead_id": pa.array(firsts.tolist(), pa.string()),
            "outcome_at": pa.array(at[order][index].astype("datetime64[us]")),
        }
    )


def _after_outcome(
    engine: Engine, ts: TrainingSet, sources: set[str]
) -> dict[str, tuple[float, str]]:
    """Sources whose values arrive after the outcome: {source: (share, detail)}."""
    outcomes = _first_outcomes(ts)
    if outcomes.num_rows < MIN_LEADS:
        return {}
    out: dict[str, tuple[float, str]] = {}
    engine.register_arrow("_ll_guard_outcomes", outcomes)
    try:
        rows = engine.fetch(
            "SELECT activity_type, count(*) AS leads, "
            "count(*) FILTER (WHERE first_at >= outcome_at) AS after FROM ("
            "SELECT o.lead_id, o.outcome_at, x.activity_type, min(x.occurred_at) AS first_at "
            "FROM _ll_guard_outcomes AS o "
            "JOIN leads AS l ON coalesce(l.merged_into, l.lead_id) = o.lead_id "
            "JOIN activities AS x ON x.lead_id = l.lead_id GROUP BY 1, 2, 3) AS t GROUP BY 1"
        )
        for activity, leads, after in rows:
            source = f"activity:{activity}"
            share = after / leads
            if source in sources and leads >= MIN_LEADS and share >= AFTER_SHARE:
                out[source] = (
                    share,
                    f"{after} of {leads} converted leads first did it at or after the outcome",
                )
        first_import = engine.scalar("SELECT min(started_at) FROM import_runs WHERE kind = 'leads'")
        fields = engine.fetch(
            "SELECT c.field, c.post_contact, r.started_at FROM field_catalog AS c "
            "JOIN import_runs AS r ON r.run_id = c.first_seen_run WHERE c.entity = 'leads'"
        )
        for key, post, known_from in fields:
            source = f"lead.{'post_contact' if post else 'attributes'}.{key}"
            if source not in sources or first_import is None or known_from <= first_import:
                continue
            column = "post_contact" if post else "attributes"
            leads, before = engine.fetch(
                "SELECT count(*), count(*) FILTER (WHERE o.outcome_at < ?) "
                "FROM _ll_guard_outcomes AS o JOIN leads AS l ON l.lead_id = o.lead_id "
                f"WHERE json_extract_string(l.{column}, ?) IS NOT NULL",
                [known_from, f"$.{key}"],
            )[0]
            if leads >= MIN_LEADS and before / leads >= AFTER_SHARE:
                out[source] = (
                    before / leads,
                    f"first imported {known_from:%Y-%m-%d}, after the outcome of {before} of "
                    f"{leads} converted leads that have it",
                )
    finally:
        engine.unregister("_ll_guard_outcomes")
    return out


def check(
    engine: Engine,
    ts: TrainingSet,
    catalog: Catalog,
    allow: list[str],
    *,
    seed: int,
    auc_limit: float = AUC_LIMIT,
) -> GuardReport:
    """Flag leaky sources on the training rows (the test rows are never looked at)."""
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(ts.features):
        groups.setdefault(f.source, []).append(i)
    allowed = resolve_allowed(allow, set(groups))
    report = GuardReport(allowed=sorted(allowed))
    train = ts.train
    X, y = ts.X[train], ts.y[train]
    for source, cols in groups.items():
        report.auc[source] = single_source_auc(X, y, cols, seed)
    after = _after_outcome(engine, ts, set(groups)) if ts.info.get("label") == "history" else {}
    for source, cols in groups.items():
        auc = report.auc[source]
        kept = source in allowed
        if ts.features[cols[0]].post_contact:
            mapping = catalog.post_contact_mappings.get(source)
            by = f" by mapping {mapping!r}" if mapping else ""
            report.findings.append(
                Finding(
                    source,
                    "post_contact",
                    f"declared post-contact{by} (filled in by sales after the first contact); "
                    f"alone it ranks the outcome with AUC {auc:.3f}",
                    auc,
                    kept,
                )
            )
        if auc > auc_limit:
            report.findings.append(
                Finding(
                    source,
                    "too_predictive",
                    f"alone it ranks the outcome with AUC {auc:.3f} (> {auc_limit:g}): "
                    "almost certainly recorded because of the outcome",
                    auc,
                    kept,
                )
            )
        if source in after:
            share, detail = after[source]
            report.findings.append(Finding(source, "after_outcome", detail, share, kept))
    report.findings.sort(key=lambda f: (f.source, f.reason))
    return report
