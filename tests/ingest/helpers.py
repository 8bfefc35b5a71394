"""Small helpers for import tests: write files, snapshot tables."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from leadline.store.base import Engine

DATA_TABLES = (
    "accounts",
    "leads",
    "activities",
    "content",
    "campaigns",
    "campaign_costs",
    "touches",
    "opportunities",
    "dispositions",
    "reps",
    "products",
    "merges",
    "entity_versions",
    "field_catalog",
)


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every data table's rows, sorted, without import bookkeeping columns."""
    out = {}
    for table in DATA_TABLES:
        cols = [
            r[0]
            for r in engine.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position",
                [table],
            )
            if r[0] not in ("import_run_id", "ingested_at", "first_seen_run")
        ]
        rows = engine.fetch(f"SELECT {', '.join(cols)} FROM {table}")
        out[table] = sorted(rows, key=repr)
    return out
