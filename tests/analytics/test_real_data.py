"""Reports on the real public data sets agree with plain pandas on the raw files.

The pandas side reads the CSVs itself and applies only what docs/import.md
says the importer does (trim, placeholders are missing, case variants of a
category collapse to their most frequent spelling, the profile's value map),
so a report that disagrees is wrong, not the test.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from leadline.analytics.query import ReportQuery
from leadline.analytics.registry import run_report
from leadline.ingest import run_import
from leadline.store import migrate
from leadline.store.duckdb import DuckDBEngine
from tests.conftest import shared_file

pytestmark = pytest.mark.slow

AS_OF = ReportQuery(as_of=datetime(2026, 1, 1))
PLACEHOLDERS = {"select", "n/a", "na", "-", "--", "null", "nan", "none", ""}


def rows_by(engine: DuckDBEngine, report: str, key: str, **options: str) -> dict[str, dict]:
    result = run_report(engine, report, AS_OF.with_options(**options))
    return {r[key]: r for r in result.table()}


# -- Maven CRM: a sales pipeline ------------------------------------------------------
@pytest.fixture(scope="module")
def maven(tmp_path_factory: pytest.TempPathFactory) -> DuckDBEngine:
    engine = DuckDBEngine.at(tmp_path_factory.mktemp("maven") / "store.duckdb")
    migrate(engine)
    for kind, name in (
        ("accounts", "accounts.csv"),
        ("products", "products.csv"),
        ("reps", "sales_teams.csv"),
        ("opportunities", "sales_pipeline.csv"),
    ):
        summary = run_import(engine, kind, shared_file(f"maven-crm/{name}"), "maven-crm")
        assert summary.quarantined == 0, summary.problems
    return engine


@pytest.fixture(scope="module")
def pipeline() -> pd.DataFrame:
    frame = pd.read_csv(shared_file("maven-crm/sales_pipeline.csv"))
    frame["product"] = frame["product"].replace({"GTXPro": "GTX Pro"})  # the profile's value map
    for col in ("engage_date", "close_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def test_win_rate(maven: DuckDBEngine, pipeline: pd.DataFrame) -> None:
    closed = pipeline[pipeline["deal_stage"].isin(["Won", "Lost"])]
    expected = round((closed["deal_stage"] == "Won").sum() / len(closed), 4)
    assert run_report(maven, "deals", AS_OF).summary["win_rate"] == expected
    assert run_report(maven, "reps", AS_OF).summary["win_rate"] == expected


def test_median_days_from_engage_to_close(maven: DuckDBEngine, pipeline: pd.DataFrame) -> None:
    closed = pipeline[pipeline["deal_stage"].isin(["Won", "Lost"])]
    days = (closed["close_date"] - closed["engage_date"]).dt.days
    velocity = {r["measure"]: r for r in run_report(maven, "velocity", AS_OF).table()}
    assert velocity["opportunity_to_close"]["n"] == len(days)
    assert velocity["opportunity_to_close"]["median_days"] == round(float(days.median()), 2)
    assert velocity["opportunity_to_close"]["p90_days"] == round(float(days.quantile(0.9)), 2)
    assert run_report(maven, "deals", AS_OF).summary["median_days_to_close"] == round(
        float(days.median()), 2
    )


def test_won_revenue_by_agent(maven: DuckDBEngine, pipeline: pd.DataFrame) -> None:
    won = pipeline[pipeline["deal_stage"] == "Won"]
    expected = won.groupby("sales_agent")["close_value"].sum()
    deals = rows_by(maven, "deals", "owner", by="owner")
    reps = {r["rep"]: r for r in run_report(maven, "reps", AS_OF).table()}
    assert {a: deals[a]["won_revenue"] for a in expected.index} == expected.astype(float).to_dict()
    assert {a: reps[a]["won_revenue"] for a in expected.index} == expected.astype(float).to_dict()
    # nobody else has won anything
    assert all(r["won_revenue"] == 0 for a, r in reps.items() if a not in expected.index)


def test_won_revenue_by_product(maven: DuckDBEngine, pipeline: pd.DataFrame) -> None:
    won = pipeline[pipeline["deal_stage"] == "Won"]
    expected = won.groupby("product")["close_value"].sum().astype(float).to_dict()
    products = rows_by(maven, "deals", "product", by="product")
    assert {p: products[p]["won_revenue"] for p in expected} == expected
    # sorted by revenue, not by number of deals
    revenue = [r["won_revenue"] for r in products.values()]
    assert revenue == sorted(revenue, reverse=True)


# -- X Education: leads with a Converted flag -------------------------------------------
@pytest.fixture(scope="module")
def x_education(tmp_path_factory: pytest.TempPathFactory) -> DuckDBEngine:
    engine = DuckDBEngine.at(tmp_path_factory.mktemp("xed") / "store.duckdb")
    migrate(engine)
    summary = run_import(engine, "leads", shared_file("x-education/leads.csv"), "x-education")
    assert summary.loaded == 9240
    return engine


def normalised_category(values: pd.Series, value_map: dict[str, str]) -> pd.Series:
    """docs/import.md: trim, placeholders are missing, case variants → most frequent spelling."""
    text = values.astype("string").str.strip()
    text = text.mask(text.str.lower().isin(PLACEHOLDERS))
    text = text.replace(value_map)
    key = text.str.lower().str.replace(r"\s+", " ", regex=True)
    counts = pd.DataFrame({"key": key, "spelling": text}).value_counts().reset_index(name="n")
    best = counts.sort_values(["key", "n", "spelling"], ascending=[True, False, True])
    canonical = best.drop_duplicates("key").set_index("key")["spelling"]
    return key.map(canonical)


def conversion_by(frame: pd.DataFrame, column: pd.Series) -> dict[str, tuple[int, int, float]]:
    grouped = frame.assign(group=column.fillna("(none)")).groupby("group")["Converted"]
    return {str(g): (int(s.size), int(s.sum()), round(float(s.mean()), 4)) for g, s in grouped}


def test_conversion_by_lead_source(x_education: DuckDBEngine) -> None:
    raw = pd.read_csv(shared_file("x-education/leads.csv"))
    source = normalised_category(raw["Lead Source"], {"google": "Google", "bing": "Bing"})
    expected = conversion_by(raw, source)
    report = rows_by(x_education, "channels", "source", by="source")
    assert {
        k: (r["leads"], r["converted"], r["conversion_rate"]) for k, r in report.items()
    } == expected


def test_conversion_by_lead_origin(x_education: DuckDBEngine) -> None:
    raw = pd.read_csv(shared_file("x-education/leads.csv"))
    origin = raw["Lead Origin"].astype("string").str.strip()
    origin = origin.mask(origin.str.lower().isin(PLACEHOLDERS))
    expected = conversion_by(raw, origin)
    report = rows_by(x_education, "channels", "lead_origin", by="attributes.lead_origin")
    assert {
        k: (r["leads"], r["converted"], r["conversion_rate"]) for k, r in report.items()
    } == expected
    assert sum(r["leads"] for r in report.values()) == len(raw)


def test_x_education_funnel_counts_every_lead(x_education: DuckDBEngine) -> None:
    # no stage history was imported: every lead is a lead, nobody an MQL
    summary = run_report(x_education, "funnel", AS_OF).summary
    assert (summary["leads"], summary["mqls"], summary["never_mql_share"]) == (9240, 0, 1.0)
