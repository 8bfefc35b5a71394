"""First touches: the moment a rep reached out, which stops the speed-to-lead clock.

Every reported touch is kept (append-only); the earliest one at or after the
clock started is what the SLA measures.  A touch can be reported late with
the time it really happened (``at``), and still counts from then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadline.errors import NotFound
from leadline.store.base import Engine


def _survivor(engine: Engine, lead_id: str) -> str:
    rows = engine.fetch(
        "SELECT coalesce(merged_into, lead_id) FROM leads WHERE lead_id = ?", [lead_id]
    )
    if not rows:
        raise NotFound(f"no lead with id {lead_id!r}")
    return str(rows[0][0])


def record_first_touch(
    engine: Engine,
    lead_id: str,
    at: datetime,
    actor: str,
    *,
    recorded_at: datetime | None = None,
) -> None:
    """Record that ``actor`` touched the lead at ``at``; stops its open speed-to-lead clock."""
    recorded = recorded_at or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with engine.transaction():
        lead = _survivor(engine, lead_id)
        clock = engine.scalar(
            """SELECT max(clock_id) FROM sla_clocks
            WHERE lead_id = $lead AND kind = 'speed_to_lead' AND started_at <= $at
              AND (stopped_at IS NULL OR stopped_by = 'first_touch')""",
            {"lead": lead, "at": at},
        )
        engine.execute(
            "INSERT INTO first_touches (lead_id, touched_at, actor, recorded_at, clock_id) "
            "VALUES (?, ?, ?, ?, ?)",
            [lead, at, actor, recorded, clock],
        )
        if clock is not None:
            # An earlier touch reported later moves the stop back; a later one changes nothing.
            engine.execute(
                """UPDATE sla_clocks SET stopped_at = $at, stopped_by = 'first_touch'
                WHERE clock_id = $clock AND (stopped_at IS NULL OR stopped_at > $at)""",
                {"at": at, "clock": clock},
            )


def touches_of(engine: Engine, lead_id: str) -> list[dict[str, Any]]:
    return engine.fetch_dicts(
        "SELECT lead_id, touched_at, actor, recorded_at, clock_id FROM first_touches "
        "WHERE lead_id = ? ORDER BY touched_at",
        [_survivor(engine, lead_id)],
    )
