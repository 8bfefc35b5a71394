"""Exclusions: who is never an MQL, and the first reason that applies.

Order is the contract's: competitor domain, free mail without a company,
each exclusion rule, each activity signal.  Field reasons are computed per
lead row in ``_ll_people`` (``field_exclusion``); activity signals are counts
in the shared per-lead ``_ll_flags`` aggregate, counted in the same pass over the
activities as engagement and the triggers.
"""

from __future__ import annotations

from leadline.contract.schema import Exclusions
from leadline.scoring.common import activity_match, lit, text_list
from leadline.scoring.fit import condition_sql

COMPETITOR = "competitor"
FREE_MAIL = "free_mail_no_company"


def field_exclusion_sql(ex: Exclusions) -> str:
    """The first field-based reason for a lead row (``l`` and ``a``), or NULL."""
    whens: list[str] = []
    if ex.competitor_domains:
        domains = text_list(ex.competitor_domains)
        whens.append(
            f"WHEN coalesce(lower(l.email_domain) IN {domains}, FALSE) "
            f"OR coalesce(lower(a.domain) IN {domains}, FALSE) THEN {lit(COMPETITOR)}"
        )
    if ex.free_mail_without_company:
        whens.append(
            "WHEN coalesce(l.is_free_mail, FALSE) AND (l.company IS NULL OR trim(l.company) = '') "
            f"AND l.account_id IS NULL THEN {lit(FREE_MAIL)}"
        )
    for rule in ex.rules:
        whens.append(f"WHEN {condition_sql(rule)} THEN {lit(rule.reason)}")
    if not whens:
        return "CAST(NULL AS VARCHAR)"
    return "CASE " + " ".join(whens) + " END"


def signal_flags(ex: Exclusions) -> list[tuple[str, str]]:
    """``(signal_<i>, condition)`` over an activity ``x`` (everything up to T).

    Counted per lead by the engagement pass (``_ll_flags.signal_<i>``).
    """
    return [(f"signal_{i}", activity_match(s)) for i, s in enumerate(ex.activity_signals)]


def excluded_reason_sql(ex: Exclusions) -> str:
    """Final reason: field reasons first, then activity signals (``p`` and ``f`` aliases)."""
    whens = [
        f"WHEN coalesce(f.signal_{i}, 0) >= {s.min_count} THEN {lit(s.reason)}"
        for i, s in enumerate(ex.activity_signals)
    ]
    if not whens:
        return "p.field_exclusion"
    return f"coalesce(p.field_exclusion, CASE {' '.join(whens)} END)"
