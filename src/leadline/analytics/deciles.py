"""Score deciles from score groups, without sorting every lead.

The ``scoring`` report ranks the scored leads by ``score DESC, lead_id`` into
ten equal groups, exactly as SQL's ``ntile(10)`` does. Sorting a million leads
on a string tie-breaker is most of that report's cost, yet only the *counts*
per score decide where each score lands: a score whose leads all fall in one
decile needs no order at all. Only a score whose leads straddle a decile
boundary (a tie across the cut) needs its leads in ``lead_id`` order, and
those are fetched separately (:func:`straddling`). The figures are the ones
``ntile`` gives; ``tests/analytics/test_deciles.py`` holds them to it.

The decile table's ratios are computed here, so :func:`sql_round` and
:func:`ratio` mirror the SQL ``round`` and :func:`leadline.analytics.scope.ratio`
the report used before (DuckDB: round half away from zero on ``x · 10^d``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BUCKETS = 10


@dataclass(frozen=True)
class ScoreGroup:
    """All the scored leads that share one score."""

    score: float
    leads: int
    converted: int


@dataclass
class Decile:
    """What one decile holds, before its ratios."""

    decile: int
    leads: int = 0
    converted: int = 0
    min_score: float = math.inf
    max_score: float = -math.inf
    score_sum: float = 0.0

    def add(self, score: float, leads: int, converted: int) -> None:
        self.leads += leads
        self.converted += converted
        self.min_score = min(self.min_score, score)
        self.max_score = max(self.max_score, score)
        self.score_sum += score * leads


def ntile(position: int, total: int, buckets: int = BUCKETS) -> int:
    """The bucket (1-based) SQL's ``ntile(buckets)`` gives the row at 0-based ``position``.

    The first ``total % buckets`` buckets get one row more than the others; with
    fewer rows than buckets each row is its own bucket (DuckDB and PostgreSQL alike).
    """
    buckets = min(buckets, total)
    size, large = divmod(total, buckets)
    small_from = large * (size + 1)
    if position < small_from:
        return 1 + position // (size + 1)
    return 1 + large + (position - small_from) // size


def _placed(groups: Sequence[ScoreGroup]) -> list[tuple[ScoreGroup, int]]:
    """Each group (best score first) with the 0-based rank of its first lead."""
    placed, first = [], 0
    for group in sorted(groups, key=lambda g: -g.score):
        placed.append((group, first))
        first += group.leads
    return placed


def straddling(groups: Sequence[ScoreGroup]) -> list[float]:
    """Scores whose leads fall into more than one decile (they need the lead order)."""
    total = sum(g.leads for g in groups)
    return [
        g.score
        for g, first in _placed(groups)
        if ntile(first, total) != ntile(first + g.leads - 1, total)
    ]


def deciles(groups: Sequence[ScoreGroup], ties: Mapping[float, Sequence[bool]]) -> list[Decile]:
    """The deciles, given every score group and, for each straddling score, the
    outcome (converted or not) of its leads in ``lead_id`` order."""
    total = sum(g.leads for g in groups)
    out: dict[int, Decile] = {}
    for group, first in _placed(groups):
        if group.score in ties:
            outcomes = ties[group.score]
            if len(outcomes) != group.leads:
                raise ValueError(f"score {group.score}: {len(outcomes)} of {group.leads} leads")
            for k, converted in enumerate(outcomes):
                d = ntile(first + k, total)
                out.setdefault(d, Decile(d)).add(group.score, 1, int(converted))
        else:
            d = ntile(first, total)
            out.setdefault(d, Decile(d)).add(group.score, group.leads, group.converted)
    return [out[d] for d in sorted(out)]


def auc(groups: Sequence[ScoreGroup]) -> float | None:
    """ROC AUC from grouped scores (Mann-Whitney: ties count half), lowest score first."""
    total = sum(g.leads for g in groups)
    pos = sum(g.converted for g in groups)
    if pos * (total - pos) == 0:
        return None
    wins, neg_below = 0.0, 0
    for g in sorted(groups, key=lambda g: g.score):
        neg = g.leads - g.converted
        wins += g.converted * (neg_below + neg / 2.0)
        neg_below += neg
    return wins / (float(pos) * (total - pos))


def sql_round(value: float, digits: int) -> float:
    """SQL ``round(value, digits)`` on a double: half away from zero on ``value · 10^d``."""
    modifier = 10.0**digits
    scaled = value * modifier
    whole = math.floor(abs(scaled))
    if abs(scaled) - whole >= 0.5:
        whole += 1
    return math.copysign(whole, scaled) / modifier


def ratio(numerator: float, denominator: float, digits: int = 4) -> float | None:
    """:func:`leadline.analytics.scope.ratio` in Python: empty when nothing to divide by."""
    if not denominator > 0:
        return None
    return sql_round(float(numerator) / denominator, digits)


def decile_rows(found: Sequence[Decile], leads: int, converted: int) -> list[dict[str, Any]]:
    """The report's decile table: counts, score range, rates, lift and cumulative capture."""
    base = float(converted) / leads if leads else 0.0
    rows, seen, caught = [], 0, 0
    for d in found:
        seen += d.leads
        caught += d.converted
        rows.append(
            {
                "decile": d.decile,
                "leads": d.leads,
                "min_score": sql_round(d.min_score, 1),
                "max_score": sql_round(d.max_score, 1),
                "mean_score": sql_round(d.score_sum / d.leads, 1),
                "converted": d.converted,
                "conversion_rate": ratio(d.converted, d.leads),
                "lift": ratio(float(d.converted) / d.leads, base, 2),
                "cumulative_capture": ratio(caught, converted),
                "cumulative_lift": ratio(float(caught) / seen, base, 2),
            }
        )
    return rows
