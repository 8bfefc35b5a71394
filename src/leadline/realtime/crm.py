"""Opportunities sent as they happen: create, update, close — and the stage moves they imply.

An opportunity is a CRM fact, stored like an imported one (the previous
version of a changed row goes to ``entity_versions`` first). After each
write the CRM-fact moves (``lifecycle.auto.apply_crm_facts``) run as of now:
the lead enters ``opportunity`` once one is open and ``won``/``lost`` once
it closes, exactly as a batch run would conclude.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadline.errors import LeadlineError, NotFound
from leadline.lifecycle import auto
from leadline.store.base import Engine

CLOSED = ("won", "lost")
COLUMNS = (
    "opportunity_id",
    "account_id",
    "lead_id",
    "name",
    "stage",
    "amount",
    "product",
    "owner",
    "created_at",
    "closed_at",
)


class OpportunityConflict(LeadlineError):
    """The opportunity exists with other values (HTTP 409): update it instead."""

    http_status = 409


@dataclass(frozen=True)
class Written:
    opportunity: dict[str, Any]
    created: bool
    changed: bool
    moved: int


def get(engine: Engine, opportunity_id: str) -> dict[str, Any]:
    rows = engine.fetch_dicts(
        f"SELECT {', '.join(COLUMNS)} FROM opportunities WHERE opportunity_id = ?",
        [opportunity_id],
    )
    if not rows:
        raise NotFound(f"no opportunity {opportunity_id!r}")
    return rows[0]


def _facts(engine: Engine, version: str, now: datetime) -> int:
    opened, closed = auto.apply_crm_facts(engine, version, now)
    return opened + closed


def create(engine: Engine, version: str, fields: dict[str, Any], now: datetime) -> Written:
    """Insert a new opportunity; the same one again is a no-op, a different one a conflict."""
    row = {c: fields.get(c) for c in COLUMNS}
    row["created_at"] = row["created_at"] or now
    if row["stage"] in CLOSED and row["closed_at"] is None:
        row["closed_at"] = now
    with engine.transaction():
        if row["lead_id"] is not None:
            engine.lock(f"lead:{row['lead_id']}")
            if row["account_id"] is None:
                row["account_id"] = engine.scalar(
                    "SELECT account_id FROM leads WHERE lead_id = ?", [row["lead_id"]]
                )
        existing = engine.fetch_dicts(
            f"SELECT {', '.join(COLUMNS)} FROM opportunities WHERE opportunity_id = ?",
            [row["opportunity_id"]],
        )
        if existing:
            given = {k: v for k, v in fields.items() if v is not None}
            if any(existing[0].get(k) != v for k, v in given.items()):
                raise OpportunityConflict(
                    f"opportunity {row['opportunity_id']!r} already exists with other values; "
                    "change it with PATCH /api/v1/opportunities/{id}"
                )
            return Written(existing[0], created=False, changed=False, moved=0)
        engine.execute(
            f"INSERT INTO opportunities ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in COLUMNS)})",
            [row[c] for c in COLUMNS],
        )
        moved = _facts(engine, version, now)
        created = get(engine, str(row["opportunity_id"]))
        return Written(created, created=True, changed=True, moved=moved)


def update(
    engine: Engine, version: str, opportunity_id: str, changes: dict[str, Any], now: datetime
) -> Written:
    """Change some fields; closing (won/lost) dates the close now unless told otherwise."""
    with engine.transaction():
        current = get(engine, opportunity_id)
        if current["lead_id"] is not None:
            engine.lock(f"lead:{current['lead_id']}")
        new = {**current, **changes}
        if new["stage"] in CLOSED and new["closed_at"] is None:
            new["closed_at"] = now
        if new["stage"] not in CLOSED and "closed_at" not in changes:
            new["closed_at"] = None  # reopened
        if all(new[c] == current[c] for c in COLUMNS):
            return Written(current, created=False, changed=False, moved=0)
        engine.execute(
            "INSERT INTO entity_versions (entity, entity_id, data, replaced_at) "
            "SELECT 'opportunities', opportunity_id, to_json(o), ? "
            "FROM opportunities AS o WHERE opportunity_id = ?",
            [now, opportunity_id],
        )
        sets = [c for c in COLUMNS if c != "opportunity_id" and new[c] != current[c]]
        engine.execute(
            f"UPDATE opportunities SET {', '.join(f'{c} = ?' for c in sets)} "
            "WHERE opportunity_id = ?",
            [*(new[c] for c in sets), opportunity_id],
        )
        moved = _facts(engine, version, now)
        return Written(get(engine, opportunity_id), created=False, changed=True, moved=moved)
