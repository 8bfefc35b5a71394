"""Learned features and the predicted-conversion component, as plan fragments (no I/O).

A *feature* is one number per lead as of T, defined by a small spec
(:class:`Feature`) and turned into SQL here.  The same builder serves two
callers, so what a model was trained on is exactly what it scores with:

* ``leadline learn`` adds the feature CTEs to a contract's compiled plan and
  reads them as of each scoring moment (the training set);
* a contract that references a stored logistic-regression model
  (``model: {version, points}``) gets :func:`model_ctes` in its plan, and the
  score gains ``points × p`` where ``p = 1 / (1 + exp(-z))`` and ``z`` is the
  intercept plus the sum of coefficient × feature.

Everything is "as of" T like the rest of the plan: activities count when
``occurred_at <= T`` (and inside the feature's window), leads come from
``_ll_people`` (created by T, not merged), and an activity of a merged lead
counts for its survivor through ``_ll_keys``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from leadline.contract.schema import KNOWN_FIELDS
from leadline.scoring.common import AS_OF, age_days, lit, regex_match
from leadline.scoring.fit import field_sql

FeatureKind = Literal[
    "category",  # field equals a value (case-insensitive) → 1/0
    "missing",  # field is missing or blank → 1/0
    "number",  # field as a number (missing → 0), optionally log1p
    "at_least",  # field >= low → 1/0
    "lead_age",  # days since the lead was created, log1p
    "activity_count",  # matching activities inside the window, log1p
    "activity_value",  # sum of matching activities' value inside the window, log1p
    "activity_decayed",  # sum of 0.5^(age / half_life) over matching activities
]
ACTIVITY_KINDS = ("activity_count", "activity_value", "activity_decayed")
# Beyond this the logistic function is 0 or 1 in double precision anyway;
# clamping keeps exp() from overflowing on any engine.
Z_LIMIT = 50.0


@dataclass(frozen=True)
class Feature:
    """One model input, with enough detail to rebuild its SQL and explain it."""

    name: str
    source: str
    kind: FeatureKind
    field: str | None = None
    value: str | None = None
    low: float | None = None
    transform: Literal["identity", "log1p"] = "identity"
    activity: str | None = None
    url_matches: str | None = None
    journey_stage: str | None = None
    fact: str | None = None
    window_days: float | None = None
    half_life_days: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feature:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def is_activity(self) -> bool:
        return self.kind in ACTIVITY_KINDS

    @property
    def post_contact(self) -> bool:
        return bool(self.field and self.field.startswith("lead.post_contact."))


@dataclass(frozen=True)
class LogisticSpec:
    """A stored logistic regression as the plan needs it: features and weights."""

    version: str
    features: tuple[Feature, ...]
    intercept: float
    coefficients: tuple[float, ...]
    points: float

    def __post_init__(self) -> None:
        if len(self.features) != len(self.coefficients):
            raise ValueError("a logistic model needs one coefficient per feature")


def _value_sql(field: str) -> tuple[str, str]:
    """``(sql, kind)`` of a lead/account field; post-contact keys read ``leads.post_contact``."""
    if field.startswith("lead.post_contact."):
        key = field.split(".", 2)[2]
        return f"json_extract_string(l.post_contact, {lit('$.' + key)})", "text"
    if field in KNOWN_FIELDS or ".attributes." in field:
        return field_sql(field)
    raise ValueError(f"unknown feature field {field!r}")


def _number(sql: str, kind: str) -> str:
    return sql if kind == "number" else f"TRY_CAST({sql} AS DOUBLE)"


def _log1p(sql: str) -> str:
    return f"ln(1.0e0 + greatest({sql}, 0.0e0))"


def activity_filter(f: Feature) -> str:
    """The WHERE condition (over ``activities AS a`` / ``content AS c``) of an activity feature."""
    parts = [] if f.activity is None else [f"a.activity_type = {lit(f.activity)}"]
    if f.url_matches is not None:
        parts.append(regex_match("a.url", f.url_matches))
    if f.journey_stage is not None:
        parts.append(f"coalesce(c.journey_stage = {lit(f.journey_stage)}, FALSE)")
    if f.fact is not None:
        parts.append(
            f"coalesce(json_extract_string(a.attributes, '$.fact') = {lit(f.fact)}, FALSE)"
        )
    if f.window_days is not None:
        parts.append(f"{age_days('a.occurred_at')} <= {lit(float(f.window_days))}")
    return " AND ".join(parts) or "TRUE"


def _activity_aggregate(f: Feature) -> str:
    where = activity_filter(f)
    if f.kind == "activity_count":
        return f"count(*) FILTER (WHERE {where})"
    if f.kind == "activity_value":
        return f"sum(coalesce(CAST(a.value AS DOUBLE), 0.0e0)) FILTER (WHERE {where})"
    half = lit(float(f.half_life_days or 30.0))
    return f"sum(power(0.5e0, {age_days('a.occurred_at')} / {half})) FILTER (WHERE {where})"


def feature_sql(f: Feature, index: int) -> str:
    """The DOUBLE value of one feature, over ``l`` (lead), ``a`` (account), ``fa`` (aggregates)."""
    if f.is_activity:
        raw = f"coalesce(CAST(fa.fa_{index} AS DOUBLE), 0.0e0)"
        if f.low is not None:  # an "at least" indicator on the aggregate
            return f"CASE WHEN {raw} >= {lit(float(f.low))} THEN 1.0e0 ELSE 0.0e0 END"
        return _log1p(raw) if f.transform == "log1p" else raw
    if f.kind == "lead_age":
        days = f"(epoch({AS_OF}) - epoch(l.created_at)) / 86400.0e0"
        return f"CASE WHEN l.created_at IS NULL THEN 0.0e0 ELSE {_log1p(days)} END"
    assert f.field is not None
    value, kind = _value_sql(f.field)
    if f.kind == "category":
        assert f.value is not None
        test = f"lower(CAST({value} AS VARCHAR)) = {lit(f.value.lower())}"
        return f"CASE WHEN {test} THEN 1.0e0 ELSE 0.0e0 END"
    if f.kind == "missing":
        return (
            f"CASE WHEN {value} IS NULL OR trim(CAST({value} AS VARCHAR)) = '' "
            "THEN 1.0e0 ELSE 0.0e0 END"
        )
    number = _number(value, kind)
    if f.kind == "at_least":
        assert f.low is not None
        return f"CASE WHEN {number} >= {lit(float(f.low))} THEN 1.0e0 ELSE 0.0e0 END"
    raw = f"coalesce(CAST({number} AS DOUBLE), 0.0e0)"
    return _log1p(raw) if f.transform == "log1p" else raw


def _window_seconds(features: list[Feature]) -> int | None:
    windows = [f.window_days for f in features if f.is_activity]
    if not windows or any(w is None for w in windows):
        return None
    return math.ceil(max(w for w in windows if w is not None) * 86400) + 1


def feature_ctes(features: list[Feature], prefix: str) -> list[tuple[str, str]]:
    """CTEs ``<prefix>_acts`` (activity aggregates) and ``<prefix>_features`` (``f_<i>``).

    They read ``_ll_people`` and ``_ll_keys`` from the contract's plan, so the
    features of a lead are computed for exactly the leads the plan scores.
    """
    acts = [(i, f) for i, f in enumerate(features) if f.is_activity]
    ctes: list[tuple[str, str]] = []
    join = ""
    if acts:
        content = any(f.journey_stage is not None for _, f in acts)
        aggs = ", ".join(f"{_activity_aggregate(f)} AS fa_{i}" for i, f in acts)
        where = f"a.occurred_at <= {AS_OF}"
        seconds = _window_seconds([f for _, f in acts])
        if seconds is not None:
            where += f" AND a.occurred_at >= {AS_OF} - INTERVAL '{seconds}' SECOND"
        content_join = " LEFT JOIN content AS c ON c.content_id = a.content_id" if content else ""
        ctes.append(
            (
                f"{prefix}_acts",
                f"SELECT k.lead_id, {aggs} FROM activities AS a "
                f"JOIN _ll_keys AS k ON k.source_id = a.lead_id{content_join} "
                f"WHERE {where} GROUP BY k.lead_id",
            )
        )
        join = f" LEFT JOIN {prefix}_acts AS fa ON fa.lead_id = p.lead_id"
    cols = ", ".join(
        ["p.lead_id AS lead_id", *(f"{feature_sql(f, i)} AS f_{i}" for i, f in enumerate(features))]
    )
    ctes.append(
        (
            f"{prefix}_features",
            f"SELECT {cols} FROM _ll_people AS p JOIN leads AS l ON l.lead_id = p.lead_id "
            f"LEFT JOIN accounts AS a ON a.account_id = l.account_id{join}",
        )
    )
    return ctes


def logit_sql(spec: LogisticSpec, alias: str = "f") -> str:
    """``z``: intercept plus coefficient × feature, clamped to ±Z_LIMIT."""
    terms = [lit(float(spec.intercept))]
    terms += [
        f"{lit(float(c))} * {alias}.f_{i}" for i, c in enumerate(spec.coefficients) if c != 0.0
    ]
    z = " + ".join(terms)
    return f"greatest(least({z}, {lit(Z_LIMIT)}), {lit(-Z_LIMIT)})"


def model_ctes(spec: LogisticSpec) -> list[tuple[str, str]]:
    """The model's features and ``_ll_model`` (lead_id, p_convert, model_points)."""
    ctes = feature_ctes(list(spec.features), "_ll_model")
    ctes.append(
        (
            "_ll_model",
            "SELECT f.lead_id, 1.0e0 / (1.0e0 + exp(-(z))) AS p_convert, "
            f"{lit(float(spec.points))} / (1.0e0 + exp(-(z))) AS model_points "
            f"FROM (SELECT f.lead_id, {logit_sql(spec)} AS z FROM _ll_model_features AS f) AS f",
        )
    )
    return ctes


def model_parts_sql(spec: LogisticSpec) -> str:
    """One score_parts row per lead: the model's points and its predicted conversion."""
    rule = lit(f"model {spec.version}")
    return (
        f"SELECT s.lead_id, 'model' AS component, {rule} AS rule, CAST(NULL AS BIGINT) AS events, "
        "s.model_points AS raw_points, s.model_points AS capped_points, FALSE AS cap_applied, "
        "1.0e0 AS decay_factor, s.model_points AS points, "
        "'predicted conversion ' || CAST(round(s.p_convert, 3) AS VARCHAR) || "
        f"{lit(' × ' + format(spec.points, 'g') + ' points')} AS detail FROM _ll_scores AS s"
    )
