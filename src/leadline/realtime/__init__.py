"""Real-time qualification: an event arrives, its lead is re-scored and, if it now
qualifies, moved to MQL and routed before the caller hears back.

* ``events``    stores incoming activities idempotently, set-based, with a
                status per event (accepted / duplicate / rejected with why);
* ``qualify``   re-scores the touched leads with the SAME compiled plan as
                batch scoring, keeps the snapshot, applies the automatic stage
                moves and routes the new MQLs;
* ``worker``    the single writer that groups concurrent requests into one
                transaction (group commit), so throughput grows with load
                instead of queueing one plan execution per event;
* ``scheduler`` the background loop that delivers due notifications and
                checks SLAs while the server runs.

It lives apart from ``api`` because nothing here knows about HTTP: a queue
consumer or a CLI could feed events through the same path.
"""

from __future__ import annotations

from leadline.realtime.events import Event, EventOutcome, store_events
from leadline.realtime.qualify import LivePlan, LiveResult, requalify
from leadline.realtime.worker import Qualifier, QualifierResult

__all__ = [
    "Event",
    "EventOutcome",
    "LivePlan",
    "LiveResult",
    "Qualifier",
    "QualifierResult",
    "requalify",
    "store_events",
]
