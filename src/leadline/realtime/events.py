"""Store incoming activities: idempotent, set-based, one outcome per event.

The API validates each event's types with pydantic before it gets here (an
event is typed JSON, not a spreadsheet cell), so there is nothing to guess
or quarantine: what is left to decide needs the store, and one statement
decides it for the whole batch —

* the lead: ``lead_id`` must name a stored lead; else ``email`` names the
  surviving lead with that address (merged duplicates point at it), the same
  rule the file import uses;
* a repeat: ``(source, source_event_id)`` already stored, or earlier in the
  same batch, is a *duplicate* — reported, never stored twice;
* everything else is *accepted* and appended to ``activities``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any, Literal

import pyarrow as pa

from leadline.store.base import Engine

Status = Literal["accepted", "duplicate", "rejected"]

_SCHEMA = pa.schema(
    [
        ("idx", pa.int64()),
        ("source", pa.string()),
        ("source_event_id", pa.string()),
        ("lead_ref", pa.string()),
        ("email", pa.string()),
        ("activity_type", pa.string()),
        ("occurred_at", pa.timestamp("us")),
        ("url", pa.string()),
        ("content_id", pa.string()),
        ("campaign_id", pa.string()),
        ("value", pa.float64()),
        ("attributes", pa.string()),
    ]
)
_names = count(1)
_names_lock = threading.Lock()


@dataclass(frozen=True)
class Event:
    """One activity as a front door received it (times are naive UTC)."""

    source: str
    source_event_id: str
    activity_type: str
    occurred_at: datetime
    lead_id: str | None = None
    email: str | None = None
    url: str | None = None
    content_id: str | None = None
    campaign_id: str | None = None
    value: float | None = None
    attributes: dict[str, Any] | None = None


@dataclass(frozen=True)
class EventOutcome:
    """What became of one event; ``lead_id`` is the surviving lead it counts for."""

    index: int
    status: Status
    source: str
    source_event_id: str
    lead_id: str | None = None
    field: str | None = None
    message: str | None = None
    occurred_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status,
            "source": self.source,
            "source_event_id": self.source_event_id,
            "lead_id": self.lead_id,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class StoredEvents:
    outcomes: list[EventOutcome] = field(default_factory=list)

    @property
    def accepted(self) -> list[EventOutcome]:
        return [o for o in self.outcomes if o.status == "accepted"]

    def leads(self) -> list[str]:
        """Surviving leads that gained an activity (sorted, each once)."""
        return sorted({o.lead_id for o in self.accepted if o.lead_id})


def _table(events: list[Event]) -> pa.Table:
    rows = [
        {
            "idx": i,
            "source": e.source,
            "source_event_id": e.source_event_id,
            "lead_ref": e.lead_id,
            "email": e.email.strip().lower() if e.email else None,
            "activity_type": e.activity_type,
            "occurred_at": e.occurred_at,
            "url": e.url,
            "content_id": e.content_id,
            "campaign_id": e.campaign_id,
            "value": e.value,
            "attributes": json.dumps(e.attributes, sort_keys=True) if e.attributes else None,
        }
        for i, e in enumerate(events)
    ]
    return pa.Table.from_pylist(rows, schema=_SCHEMA)


# The lead id an event is stored under: the one it names, else the survivor by email.
_STORED_AS = "CASE WHEN e.lead_ref IS NOT NULL THEN k.lead_id ELSE r.lead_id END"


def _resolving(name: str) -> str:
    """FROM the batch, joined to the lead each event names (by id, else by email)."""
    return f"""FROM {name} AS e
        LEFT JOIN leads AS k ON k.lead_id = e.lead_ref
        LEFT JOIN (
            SELECT l.email, min(coalesce(l.merged_into, l.lead_id)) AS lead_id
            FROM leads AS l
            WHERE l.email IN (SELECT email FROM {name} WHERE email IS NOT NULL)
            GROUP BY l.email
        ) AS r ON r.email = e.email"""


def store_events(engine: Engine, events: list[Event], now: datetime) -> StoredEvents:
    """Append the new events of a batch; call inside the caller's transaction."""
    if not events:
        return StoredEvents()
    with _names_lock:
        name = f"_ll_api_events_{next(_names)}"
    engine.register_arrow(name, _table(events))
    try:
        resolved = engine.fetch(
            f"""SELECT e.idx,
                   {_STORED_AS} AS stored_as,
                   CASE WHEN e.lead_ref IS NOT NULL THEN coalesce(k.merged_into, k.lead_id)
                        ELSE r.lead_id END AS survivor,
                   row_number() OVER (PARTITION BY e.source, e.source_event_id ORDER BY e.idx)
                       AS nth
            {_resolving(name)}
            ORDER BY e.idx"""
        )
        inserted = {
            (str(s), str(i))
            for s, i in engine.fetch(
                f"""INSERT INTO activities (source, source_event_id, lead_id, activity_type,
                    occurred_at, url, content_id, campaign_id, value, attributes, ingested_at)
                SELECT e.source, e.source_event_id, {_STORED_AS}, e.activity_type,
                       e.occurred_at, e.url, e.content_id, e.campaign_id, e.value,
                       CAST(e.attributes AS JSON), ?
                {_resolving(name)}
                WHERE {_STORED_AS} IS NOT NULL
                  AND e.idx IN (SELECT min(idx) FROM {name} GROUP BY source, source_event_id)
                ON CONFLICT (source, source_event_id) DO NOTHING
                RETURNING source, source_event_id""",
                [now],
            )
        }
    finally:
        engine.unregister(name)
    out = StoredEvents()
    for idx, stored_as, survivor, nth in resolved:
        e = events[int(idx)]
        key = (e.source, e.source_event_id)
        common: dict[str, Any] = {
            "index": int(idx),
            "source": e.source,
            "source_event_id": e.source_event_id,
            "occurred_at": e.occurred_at,
        }
        if stored_as is None:
            which = "lead_id" if e.lead_id is not None else "email"
            shown = e.lead_id if e.lead_id is not None else e.email
            message = (
                f"no lead {shown!r} in the store"
                if shown
                else "no lead_id or email says whose event this is"
            )
            out.outcomes.append(
                EventOutcome(status="rejected", field=which, message=message, **common)
            )
        elif int(nth) == 1 and key in inserted:
            out.outcomes.append(EventOutcome(status="accepted", lead_id=str(survivor), **common))
        else:
            # Not inserted: the unique key was already there (the index said so).
            why = "already stored" if int(nth) == 1 else "repeats an earlier event in this batch"
            out.outcomes.append(
                EventOutcome(status="duplicate", lead_id=str(survivor), message=why, **common)
            )
    return out
