"""The audit log of personal-data requests: who asked for what, when, and what it touched.

The subject is recorded as the SHA-256 digest of the normalised email
address, never the address itself: the log must prove that a request to
forget someone was honoured without keeping what it erased. Anyone who
knows the address can still find its entries (hash it the same way).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from leadline.store.base import Engine


def normalise(email: str) -> str:
    return email.strip().lower()


def subject_hash(email: str) -> str:
    return hashlib.sha256(normalise(email).encode("utf-8")).hexdigest()


def record(
    engine: Engine,
    action: str,
    email: str,
    actor: str,
    lead_ids: list[str],
    details: dict[str, Any],
) -> int:
    """Append one entry; returns its id. Call inside the request's transaction."""
    audit_id = int(engine.scalar("SELECT nextval('seq_audit')"))
    engine.execute(
        "INSERT INTO audit_log (audit_id, recorded_at, actor, action, subject_sha256, "
        "lead_ids, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            audit_id,
            datetime.now(UTC).replace(tzinfo=None),
            actor,
            action,
            subject_hash(email),
            json.dumps(sorted(lead_ids)),
            json.dumps(details, sort_keys=True, default=str),
        ],
    )
    return audit_id


def entries(engine: Engine, email: str) -> list[dict[str, Any]]:
    """Every request recorded about this address, oldest first."""
    return engine.fetch_dicts(
        "SELECT audit_id, recorded_at, actor, action, lead_ids, details FROM audit_log "
        "WHERE subject_sha256 = ? ORDER BY audit_id",
        [subject_hash(email)],
    )
