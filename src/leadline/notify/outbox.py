"""The outbox: every notification is a row first, a network call later.

Writers enqueue in the *same transaction* as the change that causes the
message (an assignment, an SLA breach), so a crash between "accepted" and
"notified" loses nothing: the row is there after a restart and the next
delivery round sends it.  Rows are leased (``lease_until``) while a deliverer
works on them, so several deliverers (API workers on PostgreSQL) never send
one message twice at the same time.

Rows carry their target with ``${VAR}`` references unresolved, never the
secret itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from leadline.store.base import Engine

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


@dataclass(frozen=True)
class Retry:
    """How often and how patiently one message is retried."""

    max_attempts: int = 8
    first_s: float = 30.0
    factor: float = 2.0
    max_s: float = 3600.0

    def wait_after(self, attempts: int) -> timedelta:
        """Wait before the next attempt once ``attempts`` (≥ 1) have failed."""
        seconds = min(self.max_s, self.first_s * self.factor ** max(0, attempts - 1))
        return timedelta(seconds=seconds)


@dataclass(frozen=True)
class OutboxMessage:
    """One message to queue: a channel, where it goes and what it says."""

    kind: str  # mql_routed, sla_escalation…
    channel: str  # webhook | email
    target: dict[str, Any]
    payload: dict[str, Any]
    lead_id: str | None = None
    assignment_id: int | None = None
    breach_id: int | None = None
    retry: Retry = field(default_factory=Retry)


_COLUMNS = (
    "kind",
    "channel",
    "lead_id",
    "assignment_id",
    "breach_id",
    "target",
    "payload",
    "max_attempts",
    "backoff_first_s",
    "backoff_factor",
    "backoff_max_s",
)
_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("channel", pa.string()),
        ("lead_id", pa.string()),
        ("assignment_id", pa.int64()),
        ("breach_id", pa.int64()),
        ("target", pa.string()),
        ("payload", pa.string()),
        ("max_attempts", pa.int32()),
        ("backoff_first_s", pa.float64()),
        ("backoff_factor", pa.float64()),
        ("backoff_max_s", pa.float64()),
    ]
)


def enqueue(engine: Engine, messages: list[OutboxMessage], now: datetime) -> list[int]:
    """Queue messages (one statement for the batch); returns their notification ids.

    Call it inside the writer's transaction so the messages commit with the
    change they announce.
    """
    if not messages:
        return []
    rows = engine.fetch("SELECT nextval('seq_notification') FROM range(?)", [len(messages)])
    ids = sorted(int(r[0]) for r in rows)  # increasing, in the order messages were given
    cols: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
    for m in messages:
        values = (
            m.kind,
            m.channel,
            m.lead_id,
            m.assignment_id,
            m.breach_id,
            json.dumps(m.target, sort_keys=True),
            json.dumps(m.payload, default=str),
            m.retry.max_attempts,
            m.retry.first_s,
            m.retry.factor,
            m.retry.max_s,
        )
        for name, value in zip(_COLUMNS, values, strict=True):
            cols[name].append(value)
    table = pa.table({"notification_id": pa.array(ids, pa.int64()), **cols}).cast(
        pa.schema([("notification_id", pa.int64()), *_SCHEMA])
    )
    engine.register_arrow("_ll_outbox_new", table)
    try:
        engine.execute(
            "INSERT INTO outbox (notification_id, kind, channel, lead_id, assignment_id, "
            "breach_id, target, payload, status, attempts, max_attempts, backoff_first_s, "
            "backoff_factor, backoff_max_s, created_at, next_attempt_at) "
            "SELECT notification_id, kind, channel, lead_id, assignment_id, breach_id, "
            "CAST(target AS JSON), CAST(payload AS JSON), 'pending', 0, max_attempts, "
            "backoff_first_s, backoff_factor, backoff_max_s, $now, $now "
            "FROM _ll_outbox_new",
            {"now": now},
        )
    finally:
        engine.unregister("_ll_outbox_new")
    return ids


@dataclass(frozen=True)
class Claimed:
    """A due message leased to this deliverer."""

    notification_id: int
    channel: str
    target: dict[str, Any]
    payload: dict[str, Any]
    attempts: int
    retry: Retry


def claim_due(
    engine: Engine,
    now: datetime,
    lease: timedelta,
    *,
    ids: list[int] | None = None,
    limit: int = 500,
) -> list[Claimed]:
    """Lease up to ``limit`` pending messages whose next attempt is due, oldest first."""
    only = "AND notification_id = ANY($ids)" if ids is not None else ""
    params: dict[str, Any] = {"now": now, "until": now + lease, "limit": limit}
    if ids is not None:
        if not ids:
            return []
        params["ids"] = list(ids)
    with engine.transaction():
        # Several servers on one PostgreSQL database: claim one at a time, so a
        # message is leased (and sent) by exactly one of them.
        engine.lock("leadline:outbox")
        rows = engine.fetch_dicts(
            f"""SELECT notification_id, channel, CAST(target AS VARCHAR) AS target,
                   CAST(payload AS VARCHAR) AS payload, attempts, max_attempts,
                   backoff_first_s, backoff_factor, backoff_max_s
            FROM outbox
            WHERE status = 'pending' AND next_attempt_at <= $now
              AND (lease_until IS NULL OR lease_until <= $now) {only}
            ORDER BY notification_id
            LIMIT $limit""",
            params,
        )
        if rows:
            engine.execute(
                "UPDATE outbox SET lease_until = $until WHERE notification_id = ANY($ids)",
                {"until": now + lease, "ids": [r["notification_id"] for r in rows]},
            )
    return [
        Claimed(
            int(r["notification_id"]),
            str(r["channel"]),
            json.loads(r["target"]),
            json.loads(r["payload"]),
            int(r["attempts"]),
            Retry(
                int(r["max_attempts"]),
                float(r["backoff_first_s"]),
                float(r["backoff_factor"]),
                float(r["backoff_max_s"]),
            ),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did; ``deferred`` means it was not attempted this round."""

    notification_id: int
    ok: bool
    permanent: bool = False
    deferred: bool = False
    status_code: int | None = None
    error: str | None = None
    duration_ms: float = 0.0


_RESULT_SCHEMA = pa.schema(
    [
        ("notification_id", pa.int64()),
        ("attempt", pa.int32()),
        ("ok", pa.bool_()),
        ("status_code", pa.int32()),
        ("error", pa.string()),
        ("duration_ms", pa.float64()),
        ("status", pa.string()),
        ("next_attempt_at", pa.timestamp("us")),
    ]
)


def record_outcomes(
    engine: Engine, claimed: list[Claimed], outcomes: list[Outcome], now: datetime
) -> dict[str, int]:
    """Write a round's results set-based: attempts log, new status, dead letters."""
    by_id = {c.notification_id: c for c in claimed}
    counts = {"delivered": 0, "retried": 0, "dead": 0, "deferred": 0}
    rows: dict[str, list[Any]] = {name: [] for name in _RESULT_SCHEMA.names}
    released: list[int] = []
    for out in outcomes:
        msg = by_id[out.notification_id]
        if out.deferred:
            counts["deferred"] += 1
            released.append(out.notification_id)
            continue
        attempt = msg.attempts + 1
        if out.ok:
            status, next_at = DELIVERED, now
            counts["delivered"] += 1
        elif out.permanent or attempt >= msg.retry.max_attempts:
            status, next_at = DEAD, now
            counts["dead"] += 1
        else:
            status, next_at = PENDING, now + msg.retry.wait_after(attempt)
            counts["retried"] += 1
        values = (
            out.notification_id,
            attempt,
            out.ok,
            out.status_code,
            out.error,
            out.duration_ms,
            status,
            next_at,
        )
        for name, value in zip(_RESULT_SCHEMA.names, values, strict=True):
            rows[name].append(value)
    with engine.transaction():
        if released:
            engine.execute(
                "UPDATE outbox SET lease_until = NULL WHERE notification_id = ANY($ids)",
                {"ids": released},
            )
        if rows["notification_id"]:
            engine.register_arrow("_ll_outcomes", pa.table(rows, schema=_RESULT_SCHEMA))
            try:
                _apply_outcomes(engine, now)
            finally:
                engine.unregister("_ll_outcomes")
    return counts


def _apply_outcomes(engine: Engine, now: datetime) -> None:
    params = {"now": now}
    engine.execute(
        "INSERT INTO delivery_attempts (notification_id, attempt, attempted_at, ok, "
        "status_code, error, duration_ms) SELECT notification_id, attempt, $now, ok, "
        "status_code, error, duration_ms FROM _ll_outcomes",
        params,
    )
    engine.execute(
        """UPDATE outbox SET status = r.status, attempts = r.attempt,
               next_attempt_at = r.next_attempt_at, lease_until = NULL,
               delivered_at = CASE WHEN r.ok THEN $now ELSE outbox.delivered_at END,
               last_error = coalesce(r.error, outbox.last_error)
           FROM _ll_outcomes AS r WHERE outbox.notification_id = r.notification_id""",
        params,
    )
    engine.execute(
        "INSERT INTO dead_letters (notification_id, died_at, attempts, last_error) "
        "SELECT notification_id, $now, attempt, error FROM _ll_outcomes WHERE status = 'dead'",
        params,
    )


def requeue_dead(engine: Engine, now: datetime, ids: list[int] | None = None) -> int:
    """Give dead-lettered messages a fresh set of attempts (all, or the given ids)."""
    only = "AND notification_id = ANY($ids)" if ids is not None else ""
    params: dict[str, Any] = {"now": now}
    if ids is not None:
        params["ids"] = list(ids)
    with engine.transaction():
        count = int(
            engine.scalar(f"SELECT count(*) FROM outbox WHERE status = 'dead' {only}", params) or 0
        )
        engine.execute(
            "UPDATE dead_letters SET requeued_at = $now WHERE requeued_at IS NULL AND "
            f"notification_id IN (SELECT notification_id FROM outbox WHERE status = 'dead' {only})",
            params,
        )
        engine.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $now, "
            f"lease_until = NULL WHERE status = 'dead' {only}",
            params,
        )
    return count


def outbox_rows(
    engine: Engine, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Queued, delivered and dead messages, newest first (for the CLI and the API)."""
    where = "WHERE status = $status" if status else ""
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    return engine.fetch_dicts(
        f"""SELECT notification_id, kind, channel, lead_id, status, attempts, max_attempts,
               created_at, next_attempt_at, delivered_at, last_error
        FROM outbox {where} ORDER BY notification_id DESC LIMIT $limit""",
        params,
    )


def outbox_counts(engine: Engine) -> dict[str, int]:
    rows = engine.fetch("SELECT status, count(*) FROM outbox GROUP BY status")
    counts = {PENDING: 0, DELIVERED: 0, DEAD: 0}
    counts.update({str(s): int(n) for s, n in rows})
    return counts
