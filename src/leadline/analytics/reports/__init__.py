"""One module per report; :data:`ALL` lists them in the order people read them."""

from __future__ import annotations

from leadline.analytics.registry import Report
from leadline.analytics.reports import (
    attribution,
    channels,
    cohorts,
    content,
    deals,
    funnel,
    reasons,
    reps,
    scoring,
    sla,
    velocity,
)

ALL: tuple[Report, ...] = (
    funnel.REPORT,
    channels.REPORT,
    attribution.REPORT,
    velocity.REPORT,
    reasons.REPORT,
    sla.REPORT,
    cohorts.REPORT,
    content.REPORT,
    scoring.REPORT,
    reps.REPORT,
    deals.REPORT,
)
