"""Leads pushed by a client: through the file import's own pipeline, item by item results.

A lead needs everything the import does to a row — email and domain
normalisation, free-mail detection, seniority and department from the
title, country codes, dedupe by email with merges, the previous version
kept in ``entity_versions``, bad rows quarantined with a reason — so the
records are written as JSON lines and run through ``ingest.run_import``
rather than a second, subtly different code path. What the caller gets
back is one outcome per item: created, updated, unchanged, merged (into
which lead) or rejected (which field, why).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from leadline import ingest
from leadline.store.base import Engine

LeadStatus = Literal["created", "updated", "unchanged", "merged", "rejected"]


@dataclass(frozen=True)
class LeadOutcome:
    index: int
    lead_id: str
    status: LeadStatus
    survivor: str | None = None
    field: str | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "lead_id": self.lead_id,
            "status": self.status,
            "survivor": self.survivor,
            "field": self.field,
            "message": self.message,
        }


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def upsert_leads(engine: Engine, records: list[dict[str, Any]], label: str) -> list[LeadOutcome]:
    """Import ``records`` (canonical lead fields; other keys become attributes).

    ``label`` names the upload in ``import_runs.file`` (e.g. ``api-leads``).
    """
    if not records:
        return []
    with tempfile.TemporaryDirectory(prefix="leadline-api-") as tmp:
        path = Path(tmp) / f"{label}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, default=_json_default) + "\n")
        summary = ingest.run_import(engine, "leads", path)
    run_id = summary.run_id
    ids = [str(r["lead_id"]) for r in records]
    problems = {
        int(row): (str(fld) if fld is not None else None, str(msg))
        for row, fld, msg in engine.fetch(
            "SELECT row_number, field, message FROM quarantine WHERE run_id = ?", [run_id]
        )
    }
    state = {
        str(lead_id): (run, merged, bool(versioned))
        for lead_id, run, merged, versioned in engine.fetch(
            """SELECT l.lead_id, l.import_run_id, l.merged_into,
                      EXISTS (SELECT 1 FROM entity_versions AS v WHERE v.entity = 'leads'
                              AND v.entity_id = l.lead_id AND v.import_run_id = ?)
               FROM leads AS l WHERE l.lead_id = ANY(?)""",
            [run_id, ids],
        )
    }
    out: list[LeadOutcome] = []
    for i, lead_id in enumerate(ids):
        if i + 1 in problems:
            fld, msg = problems[i + 1]
            out.append(LeadOutcome(i, lead_id, "rejected", field=fld, message=msg))
            continue
        run, merged, versioned = state.get(lead_id, (None, None, False))
        survivor = str(merged) if merged else lead_id
        if run != run_id:
            status: LeadStatus = "unchanged"
        elif merged:
            status = "merged"
        elif versioned:
            status = "updated"
        else:
            status = "created"
        out.append(LeadOutcome(i, lead_id, status, survivor=survivor))
    return out
