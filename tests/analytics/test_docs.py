"""docs/reports.md is generated from the report registry and must not go stale."""

from __future__ import annotations

from pathlib import Path

from leadline.analytics.docgen import render
from leadline.analytics.registry import reports

DOC = Path(__file__).resolve().parents[2] / "docs" / "reports.md"


def test_reports_doc_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/reports.md is stale: run `python -m leadline.analytics.docgen > docs/reports.md`"
    )


def test_every_report_and_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for report in reports().values():
        assert f"## `{report.name}`" in text
        for table in report.tables:
            for column in table.columns:
                assert f"`{column.name}`" in text, (report.name, column.name)
