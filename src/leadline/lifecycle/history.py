"""Reading the append-only stage history as of a point in time.

The current stage of a lead is never stored as the only record: it is the
last transition at or before T (``lead`` when there is none).
"""

from __future__ import annotations

from datetime import datetime

from leadline.store.base import Engine

# One row per lead that has any transition at or before $as_of: its latest.
STAGE_AS_OF_SQL = """
SELECT lead_id, to_stage AS stage, changed_at
FROM (
    SELECT lead_id, to_stage, changed_at,
           row_number() OVER (
               PARTITION BY lead_id ORDER BY changed_at DESC, transition_id DESC
           ) AS rn
    FROM stage_history
    WHERE changed_at <= $as_of
) AS h
WHERE rn = 1
"""

ACCOUNT_STAGE_AS_OF_SQL = """
SELECT account_id, to_stage AS stage, changed_at
FROM (
    SELECT account_id, to_stage, changed_at,
           row_number() OVER (
               PARTITION BY account_id ORDER BY changed_at DESC, transition_id DESC
           ) AS rn
    FROM account_stage_history
    WHERE changed_at <= $as_of
) AS h
WHERE rn = 1
"""


def stage_of(engine: Engine, lead_id: str, as_of: datetime) -> tuple[str, datetime | None]:
    rows = engine.fetch(
        "SELECT to_stage, changed_at FROM stage_history WHERE lead_id = $lead AND "
        "changed_at <= $as_of ORDER BY changed_at DESC, transition_id DESC LIMIT 1",
        {"lead": lead_id, "as_of": as_of},
    )
    if not rows:
        return "lead", None
    return str(rows[0][0]), rows[0][1]


def last_change(engine: Engine, lead_id: str) -> datetime | None:
    value = engine.scalar("SELECT max(changed_at) FROM stage_history WHERE lead_id = ?", [lead_id])
    return value  # type: ignore[no-any-return]


def history_of(engine: Engine, lead_id: str) -> list[dict[str, object]]:
    return engine.fetch_dicts(
        "SELECT transition_id, from_stage, to_stage, changed_at, actor, reason, note, source, "
        "contract_version, disposition_id FROM stage_history WHERE lead_id = ? "
        "ORDER BY changed_at, transition_id",
        [lead_id],
    )
