"""The dashboard's building blocks without a browser: charts, formatting, redirects."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from leadline.web import charts
from leadline.web.render import compact, fmt, raw
from leadline.web.session import safe_next

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


@pytest.mark.parametrize(
    "chart",
    [
        charts.bars(
            ["a <b>", "c"],
            [charts.Series("won", [10, 0]), charts.Series("p", [None, 5])],
            title="Revenue & pipeline",
        ),
        charts.bars(["up", "down"], [charts.Series("points", [12.5, -4])], title="parts"),
        charts.funnel([("lead", 100, None), ("mql", 20, 0.2), ("won", 1, 0.05)], title="f"),
        charts.heatmap(["2026-01"], ["SAL", "WON"], [[0.5, None]], title="cohorts"),
        charts.lift_curve([1, 2], [2.0, 0.5], [0.8, 1.0], title="lift"),
        charts.columns(["< 5 min", "later"], [3, 1], title="speed"),
        charts.columns(["< 5 min"], [0], title="nothing yet"),
        charts.bars([], [], title="empty"),
    ],
)
def test_charts_are_well_formed_svg_with_a_title(chart: str) -> None:
    root = parse(chart)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text


def test_chart_text_is_escaped() -> None:
    root = parse(charts.bars(["<script>x</script>"], [charts.Series("s", [1])], title="t"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert any(t and "<script>" in t for t in texts)  # shown as text, never markup
    assert root.find(f".//{SVG}script") is None


def test_negative_bars_grow_left_of_zero() -> None:
    root = parse(charts.bars(["up", "down"], [charts.Series("p", [10, -10])], title="t"))
    up, down = (r for r in root.iter(f"{SVG}rect"))
    assert float(down.get("x", 0)) + float(down.get("width", 0)) == pytest.approx(
        float(up.get("x", 0))
    )


def test_no_data_says_so() -> None:
    assert "No data" in str(charts.columns(["a"], [0], title="t"))


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (1317600.0, "money", "1,317,600"),
        (0.0, "money", "0"),
        (12.5, "money", "12.50"),
        (0.1964, "rate", "19.6%"),
        (3.19, "ratio", "3.19×"),
        (12.345, "days", "12.3"),
        (1207, "count", "1,207"),
        (None, "money", "—"),
        (True, "flag", "yes"),
    ],
)
def test_figures_read_by_kind(value: object, kind: str, shown: str) -> None:
    assert fmt(value, kind) == shown


def test_raw_values_and_compact_money() -> None:
    assert (raw(None), raw(True), raw(0.5), raw(3)) == ("", "true", "0.5", "3")
    assert (compact(1_317_600), compact(845_000), compact(999)) == ("1.32M", "845k", "999")


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/dashboard/funnel?channel=x", "/dashboard/funnel?channel=x"),
        ("https://evil.example/", "/dashboard/"),
        ("//evil.example/dashboard", "/dashboard/"),
        ("/api/v1/reports/funnel", "/dashboard/"),
        (None, "/dashboard/"),
    ],
)
def test_sign_in_only_returns_inside_the_dashboard(target: str | None, safe: str) -> None:
    assert safe_next(target) == safe
