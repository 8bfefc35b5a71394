"""Fit: conditions on lead and account fields, summed into points and a grade A–D.

Conditions read ``_ll_people``'s source row, where the lead is ``l`` and its
account (LEFT JOIN) is ``a``.  A missing value never matches an operator
other than ``missing: true``: every test is wrapped in ``coalesce(…, FALSE)``
so a NULL can neither match nor, through ``NOT``, match by accident.
"""

from __future__ import annotations

from leadline.contract.schema import KNOWN_FIELDS, Condition, FitRule, Grades
from leadline.scoring.common import lit, regex_match


def field_sql(field: str) -> tuple[str, str]:
    """``(sql, kind)`` for a contract field; kind is text, number or bool."""
    entity, _, name = field.partition(".")
    alias = "l" if entity == "lead" else "a"
    if name.startswith("attributes."):
        key = name.split(".", 1)[1]
        return f"json_extract_string({alias}.attributes, {lit('$.' + key)})", "text"
    if field == "account.has_owner":
        return "(a.owner IS NOT NULL)", "bool"
    return f"{alias}.{name}", KNOWN_FIELDS[field]


def _typed(value: object, kind: str) -> str:
    if kind == "number":
        try:
            return lit(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return "NULL"
    if kind == "bool":
        if isinstance(value, str):
            return lit(value.strip().lower() in ("true", "yes", "1"))
        return lit(bool(value))
    if isinstance(value, bool):
        return lit(str(value).lower())
    if isinstance(value, float) and value.is_integer():
        return lit(str(int(value)).lower())
    return lit(str(value).lower())


def condition_sql(cond: Condition) -> str:
    """A boolean SQL expression, never NULL, for one condition."""
    value, kind = field_sql(cond.field)
    text_value = f"lower(CAST({value} AS VARCHAR))"
    number = value if kind == "number" else f"TRY_CAST({value} AS DOUBLE)"
    compare = text_value if kind == "text" else value
    if cond.missing is not None:
        absent = f"({value} IS NULL)"
        if kind == "text":
            absent = f"({value} IS NULL OR trim({value}) = '')"
        return absent if cond.missing else f"(NOT {absent})"
    if cond.in_ is not None or cond.not_in is not None:
        items = cond.in_ if cond.in_ is not None else cond.not_in
        assert items is not None
        listed = "(" + ", ".join(_typed(v, kind) for v in items) + ")"
        test = f"{compare} IN {listed}" if items else "FALSE"
        if cond.not_in is not None:
            return f"coalesce({compare} IS NOT NULL AND NOT ({test}), FALSE)"
        return f"coalesce({test}, FALSE)"
    if cond.between is not None:
        low, high = cond.between
        return f"coalesce({number} BETWEEN {lit(float(low))} AND {lit(float(high))}, FALSE)"
    if cond.at_least is not None:
        return f"coalesce({number} >= {lit(float(cond.at_least))}, FALSE)"
    if cond.at_most is not None:
        return f"coalesce({number} <= {lit(float(cond.at_most))}, FALSE)"
    if cond.matches is not None:
        return regex_match(f"CAST({value} AS VARCHAR)", cond.matches)
    # equals (the only operator left)
    return f"coalesce({compare} = {_typed(cond.equals, kind)}, FALSE)"


def describe_condition(cond: Condition) -> str:
    """``account.industry in [software, fintech]``: the rule as a reader wrote it."""
    op = cond.operator
    raw = getattr(cond, "in_" if op == "in" else op)
    if isinstance(raw, list | tuple):
        shown = "[" + ", ".join(str(v) for v in raw) + "]"
    else:
        shown = str(raw)
    return f"{cond.field} {op.replace('_', ' ')} {shown}"


def rule_sql(rule: FitRule) -> str:
    """A fit rule's test: its condition, combined with its ``and`` / ``or`` list."""
    own = condition_sql(rule)
    if rule.combined is None:
        return own
    word, more = rule.combined
    return "(" + f" {word.upper()} ".join([own, *(condition_sql(c) for c in more)]) + ")"


def describe_rule(rule: FitRule) -> str:
    """``account.industry in [software] and account.employees between [200.0, 5000.0]``."""
    own = describe_condition(rule)
    if rule.combined is None:
        return own
    word, more = rule.combined
    return f" {word} ".join([own, *(describe_condition(c) for c in more)])


def rule_name(rule: FitRule) -> str:
    return rule.name or describe_rule(rule)


def fit_points_sql(rules: list[FitRule]) -> str:
    """Sum of the points of every matching rule, read from the ``fit_<i>`` flags."""
    if not rules:
        return "0.0e0"
    terms = [
        f"CASE WHEN fit_{i} THEN {lit(float(r.points))} ELSE 0.0e0 END" for i, r in enumerate(rules)
    ]
    return "(" + " + ".join(terms) + ")"


def grade_sql(points: str, grades: Grades) -> str:
    return (
        f"CASE WHEN {points} >= {lit(float(grades.A))} THEN 'A' "
        f"WHEN {points} >= {lit(float(grades.B))} THEN 'B' "
        f"WHEN {points} >= {lit(float(grades.C))} THEN 'C' ELSE 'D' END"
    )


def fit_flag_columns(rules: list[FitRule]) -> list[str]:
    """``condition AS fit_<i>`` columns, so the parts query can list matching rules."""
    return [f"{rule_sql(r)} AS fit_{i}" for i, r in enumerate(rules)]


def fit_parts_sql(rules: list[FitRule], people: str = "_ll_people") -> str | None:
    """One score_parts row per (lead, matching fit rule); None without rules."""
    if not rules:
        return None
    rows = ", ".join(
        f"({i}, {lit(rule_name(r))}, {lit(float(r.points))}, {lit(describe_rule(r))})"
        for i, r in enumerate(rules)
    )
    pick = "CASE r.idx " + " ".join(f"WHEN {i} THEN p.fit_{i}" for i in range(len(rules)))
    pick += " ELSE FALSE END"
    return (
        "SELECT p.lead_id AS lead_id, 'fit' AS component, r.name AS rule, "
        "CAST(NULL AS BIGINT) AS events, r.points AS raw_points, r.points AS capped_points, "
        "FALSE AS cap_applied, 1.0e0 AS decay_factor, r.points AS points, r.detail AS detail "
        f"FROM {people} AS p CROSS JOIN (VALUES {rows}) AS r(idx, name, points, detail) "
        f"WHERE {pick}"
    )
