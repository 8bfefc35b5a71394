"""Properties every report must keep on any world: exact attribution sums, a funnel that
never widens, and counts that add up across reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.store.duckdb import DuckDBEngine

from .world import World, t

PATHS: tuple[tuple[str, ...], ...] = (
    (),
    ("mql",),
    ("mql", "sal"),
    ("mql", "sal", "sql"),
    ("mql", "sal", "sql", "opportunity"),
    ("mql", "sal", "opportunity", "won"),
    ("mql", "sal", "sql", "opportunity", "lost"),
    ("mql", "rejected"),
    ("mql", "recycled", "mql", "sal"),
    ("opportunity",),
    ("opportunity", "won"),
    ("disqualified",),
)
CHANNELS = ("paid", "organic", "events", None)
CAMPAIGNS = ("A", "B", "C")
TABLES = (
    "leads",
    "stage_history",
    "opportunities",
    "touches",
    "dispositions",
    "campaigns",
    "campaign_costs",
)


@dataclass
class LeadPlan:
    channel: str | None
    created_day: int
    path: tuple[str, ...]
    gaps: list[int]
    amount_cents: int
    touch_days: list[tuple[str, int]]
    reject_reason: str


lead_plans = st.builds(
    LeadPlan,
    channel=st.sampled_from(CHANNELS),
    created_day=st.integers(0, 60),
    path=st.sampled_from(PATHS),
    gaps=st.lists(st.integers(0, 20), min_size=5, max_size=5),
    amount_cents=st.integers(1, 10_000_000),
    touch_days=st.lists(st.tuples(st.sampled_from(CAMPAIGNS), st.integers(-10, 90)), max_size=5),
    reject_reason=st.sampled_from(("bad_fit", "no_budget", "not_now")),
)
worlds = st.lists(lead_plans, min_size=1, max_size=10)
as_of_days = st.integers(10, 200)


def build(engine: DuckDBEngine, plans: list[LeadPlan]) -> World:
    for table in TABLES:
        engine.execute(f"DELETE FROM {table}")
    w = World(engine)
    w.campaign("A", "paid", ("2026-01-01", "2026-01-31", 1000.0))
    w.campaign("B", "organic")
    w.campaign("C", "events", ("2026-02-01", "2026-03-31", 500.0))
    start = t("2026-01-01")
    for i, plan in enumerate(plans):
        lead = f"L{i}"
        created = start + timedelta(days=plan.created_day)
        w.lead(lead, channel=plan.channel, created=created.isoformat(sep=" "))
        when = created
        opened = None
        for k, stage in enumerate(plan.path):
            when += timedelta(days=plan.gaps[k % len(plan.gaps)], hours=1)
            w.moves(lead, (stage, when.isoformat(sep=" ")))
            if stage == "rejected":
                w.disposition(lead, "reject", when.isoformat(sep=" "), reason=plan.reject_reason)
            if stage == "opportunity":
                opened = when
        if opened is not None:
            outcome = plan.path[-1] if plan.path[-1] in ("won", "lost") else "open"
            closed = when.isoformat(sep=" ") if outcome != "open" else None
            w.opp(
                f"O{i}",
                lead,
                plan.amount_cents / 100,
                created=opened.isoformat(sep=" "),
                stage=outcome,
                closed=closed,
                owner=f"R{i % 3}",
            )
        for j, (campaign, day) in enumerate(plan.touch_days):
            touched = created + timedelta(days=day)
            w.touch(lead, campaign, touched.isoformat(sep=" "), event=f"{lead}-{j}")
    return w


def at(day: int) -> str:
    return (t("2026-01-01") + timedelta(days=day)).isoformat(sep=" ")


PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(plans=worlds, day=as_of_days)
def test_attribution_models_sum_exactly(
    engine: DuckDBEngine, plans: list[LeadPlan], day: int
) -> None:
    w = build(engine, plans)
    result = w.report("attribution", as_of=at(day))
    rows = result.table()
    summary = result.summary
    for model in ("first", "last", "linear", "u_shaped"):
        assert (
            sum((r[f"{model}_pipeline"] for r in rows), Decimal(0))
            == summary["attributed_pipeline"]
        )
        assert (
            sum((r[f"{model}_revenue"] for r in rows), Decimal(0)) == summary["attributed_revenue"]
        )
    deals = w.report("funnel", as_of=at(day)).summary
    total = summary["attributed_pipeline"] + summary["unattributed_pipeline"]
    assert total == Decimal(str(round(deals["pipeline"], 2)))


@PROPERTY
@given(
    plans=worlds,
    day=as_of_days,
    window=st.one_of(st.none(), st.tuples(st.integers(0, 60), st.integers(1, 60))),
)
def test_funnel_never_widens(
    engine: DuckDBEngine, plans: list[LeadPlan], day: int, window: tuple[int, int] | None
) -> None:
    w = build(engine, plans)
    kw = {} if window is None else {"start": at(window[0]), "end": at(window[0] + window[1])}
    result = w.report("funnel", as_of=at(day), **kw)
    reached = [r["reached"] for r in result.table("stages")]
    assert reached == sorted(reached, reverse=True)
    s = result.summary
    assert 0 <= s["never_mql"] <= s["leads"] == reached[0]
    assert s["mqls"] + s["never_mql"] == s["leads"]
    assert 0 <= s["mql_never_pipeline"] <= s["mqls"] <= reached[1]
    for row in result.table("stages")[1:]:
        assert row["conversion_from_previous"] is None or 0 <= row["conversion_from_previous"] <= 1


@PROPERTY
@given(plans=worlds, day=as_of_days)
def test_counts_add_up_across_reports(
    engine: DuckDBEngine, plans: list[LeadPlan], day: int
) -> None:
    w = build(engine, plans)
    as_of = at(day)
    funnel = w.report("funnel", as_of=as_of)
    stages = {r["stage"]: r["reached"] for r in funnel.table("stages")}
    for grouping in ("channel", "campaign", "source"):
        groups = w.report("channels", as_of=as_of, by=grouping).table()
        assert sum(g["leads"] for g in groups) == funnel.summary["leads"]
        assert sum(g["mqls"] for g in groups) == stages["mql"]
        assert sum(g["opportunities"] for g in groups) == funnel.summary["opportunities"]
        assert sum(g["won_deals"] for g in groups) == funnel.summary["won_deals"]
        assert round(sum(g["pipeline"] for g in groups), 2) == round(funnel.summary["pipeline"], 2)
    deals = w.report("deals", as_of=as_of)
    for row in [*deals.table(), deals.summary]:
        assert row["won"] + row["lost"] + row["open"] == row["opportunities"]
    assert sum(g["opportunities"] for g in deals.table()) == deals.summary["opportunities"]
    cohorts = w.report("cohorts", as_of=as_of)
    assert cohorts.summary["mqls"] == funnel.summary["mqls"]
    reasons = w.report("reasons", as_of=as_of).summary
    rejected = engine.scalar(
        "SELECT count(*) FROM dispositions WHERE action = 'reject' AND decided_at <= ?",
        [t(as_of)],
    )
    assert reasons["rejected"] == rejected
    by_month = w.report("reasons", as_of=as_of).table("by_month")
    assert (
        sum(r["events"] for r in by_month)
        == reasons["rejected"] + reasons["recycled"] + (reasons["lost"])
    )
