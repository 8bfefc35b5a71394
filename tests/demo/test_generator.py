"""The seeded demo world: reproducible, referentially sound, realistic enough to teach."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadline.demo import BAD_ROWS, generate_world
from leadline.demo.generator import COLUMNS
from leadline.ingest import run_import
from leadline.store import migrate
from leadline.store.duckdb import DuckDBEngine

# Store columns a file never carries: bookkeeping the import fills in itself.
BOOKKEEPING = {
    "import_run_id",
    "ingested_at",
    "merged_into",
    "post_contact",
    "is_free_mail",
    "email_domain",
    "attributes",
    "disposition_id",
}
TABLES = {"campaigns": ("campaigns", "campaign_costs")}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def frames(world: dict[str, Path]) -> dict[str, pd.DataFrame]:
    return {
        kind: pd.read_csv(path, dtype=str, keep_default_na=False) for kind, path in world.items()
    }


def test_same_seed_same_bytes_other_seed_other_world(tmp_path: Path) -> None:
    a = generate_world(tmp_path / "a", seed=11, scale=0.1)
    b = generate_world(tmp_path / "b", seed=11, scale=0.1)
    c = generate_world(tmp_path / "c", seed=12, scale=0.1)
    assert sorted(a) == sorted(COLUMNS)
    for kind in a:
        assert a[kind].read_bytes() == b[kind].read_bytes(), kind
    assert a["leads"].read_bytes() != c["leads"].read_bytes()
    assert a["activities"].read_bytes() != c["activities"].read_bytes()


def test_headers_are_the_canonical_store_columns(tmp_path: Path, world: dict[str, Path]) -> None:
    engine = DuckDBEngine.at(tmp_path / "store.duckdb")
    migrate(engine)
    for kind, path in world.items():
        tables = TABLES.get(kind, (kind,))
        store_cols = {
            row[0]
            for row in engine.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name IN "
                f"({', '.join('?' for _ in tables)})",
                list(tables),
            )
        }
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert set(header) == store_cols - BOOKKEEPING, kind
    engine.close()


@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [
        ("accounts", 3_000, 3_000),
        ("leads", 11_500, 12_800),
        ("activities", 200_000, 300_000),
        ("opportunities", 300, 1_500),
        ("dispositions", 800, 4_000),
    ],
)
def test_default_scale_sizes(
    frames: dict[str, pd.DataFrame], kind: str, low: int, high: int
) -> None:
    assert low <= len(frames[kind]) <= high


def test_row_counts_follow_scale(tmp_path: Path) -> None:
    small = generate_world(tmp_path / "s", scale=0.2)
    large = generate_world(tmp_path / "l", scale=0.4)
    for kind in ("accounts", "leads", "activities", "touches"):
        n_small = len(pd.read_csv(small[kind], dtype=str))
        n_large = len(pd.read_csv(large[kind], dtype=str))
        ratio = n_large / n_small  # double the scale, about double the rows
        assert ratio == pytest.approx(2.0, abs=0.2), (kind, n_small, n_large)


def test_everything_references_what_exists(frames: dict[str, pd.DataFrame]) -> None:
    leads = set(frames["leads"].lead_id)
    accounts = set(frames["accounts"].account_id)
    campaigns = set(frames["campaigns"].campaign_id)
    content = set(frames["content"].content_id)
    reps = set(frames["reps"].rep_id)
    bad_ids = {event_id for event_id, _ in BAD_ROWS["activities"]}
    acts = frames["activities"][~frames["activities"].source_event_id.isin(bad_ids)]
    assert set(acts.lead_id) <= leads
    assert set(acts.content_id) - {""} <= content
    assert set(acts.campaign_id) - {""} <= campaigns
    assert set(frames["touches"].lead_id) <= leads
    assert set(frames["touches"].campaign_id) <= campaigns
    assert set(frames["leads"].account_id) - {""} <= accounts
    assert set(frames["leads"].campaign_id) <= campaigns
    opps = frames["opportunities"]
    assert set(opps.lead_id) <= leads and set(opps.account_id) <= accounts
    assert set(opps.owner) <= reps
    assert set(frames["accounts"].owner) - {""} <= reps
    assert set(frames["dispositions"].lead_id) <= leads
    assert not acts.duplicated(["source", "source_event_id"]).any()


def test_channel_economics(frames: dict[str, pd.DataFrame]) -> None:
    """Syndication buys many cheap leads that rarely close; webinars and search the opposite."""
    leads, opps = frames["leads"], frames["opportunities"]
    won = opps[opps.stage == "won"].assign(amount=lambda d: d.amount.astype(float))
    leads = leads.assign(won=leads.lead_id.map(won.groupby("lead_id").amount.sum()).fillna(0.0))
    per = leads.groupby("channel").agg(leads=("lead_id", "size"), won=("won", "sum"))
    cost = frames["campaigns"].assign(cost=lambda d: d.cost.astype(float))
    per["cost"] = cost.groupby("channel").cost.sum()
    per["leads_per_cost"] = per.leads / per.cost
    per["won_per_lead"] = per.won / per.leads
    assert set(per.index) == {
        "paid_search",
        "content_syndication",
        "events",
        "organic",
        "email",
        "partner",
        "webinar",
        "paid_social",
    }
    assert (per.cost > 0).all()
    for better in ("webinar", "paid_search"):
        assert per.leads_per_cost["content_syndication"] > 2 * per.leads_per_cost[better]
        assert per.won_per_lead["content_syndication"] * 5 < per.won_per_lead[better]
        assert per.won_per_lead["events"] * 3 < per.won_per_lead[better]
    assert per.leads["content_syndication"] > per.leads["webinar"]
    assert per.leads["events"] > per.leads["webinar"]


def test_outcomes_follow_fit_and_intent(frames: dict[str, pd.DataFrame]) -> None:
    leads = frames["leads"].merge(
        frames["accounts"][["account_id", "industry", "employees"]], on="account_id", how="left"
    )
    leads["opp"] = leads.lead_id.isin(frames["opportunities"].lead_id)
    employees = pd.to_numeric(leads.employees, errors="coerce")
    icp = leads.industry.isin(["software", "fintech"]) & employees.between(200, 5000)
    assert leads.opp[icp].mean() > 2.5 * leads.opp[~icp].mean()
    acts = frames["activities"]
    hand = set(acts[acts.activity_type == "demo_request"].lead_id)
    raised = leads.lead_id.isin(hand)
    assert leads.opp[raised].mean() > 5 * leads.opp[~raised].mean()
    students = leads.seniority == "student"
    assert leads.opp[students].sum() == 0


def test_in_market_leads_walk_the_journey(frames: dict[str, pd.DataFrame]) -> None:
    acts = frames["activities"]
    content = frames["content"][["content_id", "journey_stage"]]
    downloads = acts[acts.activity_type == "content_download"].merge(content, on="content_id")
    order = {"problem": 0, "solution": 1, "product": 2}
    walked = downloads.assign(step=downloads.journey_stage.map(order)).groupby("lead_id")
    first_last = walked.apply(
        lambda d: (
            d.sort_values("occurred_at").step.iloc[0],
            d.sort_values("occurred_at").step.iloc[-1],
        ),
        include_groups=False,
    )
    full = sum(1 for a, b in first_last if a == 0 and b == 2)
    assert full >= 300


def test_traps_for_the_contract(frames: dict[str, pd.DataFrame]) -> None:
    leads = frames["leads"]
    email = leads.email.str.lower()
    assert "test@example.com" in set(email)
    assert email.str.endswith(("@rivalsoft.example", "@competitor.example")).sum() >= 3
    dup = leads[email.duplicated(keep=False)]
    assert 60 <= len(dup) // 2 <= 200
    assert (dup.email != dup.email.str.lower()).any()  # other case, same person
    free = email.str.endswith(("@gmail.com", "@yahoo.com", "@outlook.com", "@hotmail.com"))
    assert (free & (leads.company == "")).sum() > 100
    assert {"Student", "Marketing Intern", "VP Marketing", "CEO"} <= set(leads.title)
    reasons = set(frames["dispositions"].reason) - {""}
    assert reasons <= {
        "bad_fit",
        "no_intent",
        "student",
        "competitor",
        "duplicate",
        "not_now",
        "no_budget",
        "unreachable",
    }
    assert len(reasons) == 8
    actions = frames["dispositions"].action.value_counts()
    assert actions["accept"] > actions["reject"] > actions["recycle"] > 0


def test_bad_rows_are_few_and_quarantined(
    tmp_path: Path, world: dict[str, Path], frames: dict[str, pd.DataFrame]
) -> None:
    for kind, rows in BAD_ROWS.items():
        ids = set(frames[kind].source_event_id)
        assert {event_id for event_id, _ in rows} <= ids
        assert len(rows) < 0.001 * len(frames[kind])
    engine = DuckDBEngine.at(tmp_path / "store.duckdb")
    migrate(engine)
    for kind in ("leads", "activities"):
        summary = run_import(engine, kind, world[kind])
        assert summary.quarantined == len(BAD_ROWS.get(kind, ()))
    merged = engine.scalar("SELECT count(*) FROM leads WHERE merged_into IS NOT NULL")
    email = frames["leads"].email.str.lower()
    assert merged == email.duplicated().sum()
    engine.close()
