"""One delivery round: lease what is due, send it, write back what happened.

Network calls happen outside any store transaction (the embedded store has
one connection; holding it while a receiver times out would stall every
writer).  Messages to a receiver that just failed are *deferred* to the next
round instead of each waiting for their own timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from leadline.notify import email, webhook
from leadline.notify.email import SmtpSettings
from leadline.notify.outbox import Claimed, Outcome, claim_due, record_outcomes
from leadline.store.base import Engine


@dataclass(frozen=True)
class DeliveryReport:
    """What one round did: delivered, scheduled for retry, dead-lettered, left for later."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.dead

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "retried": self.retried,
            "dead": self.dead,
            "deferred": self.deferred,
        }


def _webhooks(messages: list[Claimed], client: httpx.Client) -> list[Outcome]:
    outcomes: list[Outcome] = []
    failed: set[Any] = set()
    for message in messages:
        key = webhook.target_key(message)
        if key in failed:
            outcomes.append(Outcome(message.notification_id, ok=False, deferred=True))
            continue
        outcome = webhook.post(client, message)
        if not outcome.ok and not outcome.permanent:
            failed.add(key)
        outcomes.append(outcome)
    return outcomes


def deliver_due(
    engine: Engine,
    now: datetime,
    *,
    smtp: SmtpSettings | None = None,
    timeout: float = 5.0,
    ids: list[int] | None = None,
    limit: int = 500,
    client: httpx.Client | None = None,
) -> DeliveryReport:
    """Deliver every pending message due at ``now`` (or only ``ids``) once.

    ``smtp`` overrides the mail server queued with each e-mail (tests, or an
    operator pointing at a relay); ``client`` lets a long-running server reuse
    one HTTP connection pool.
    """
    lease = timedelta(seconds=max(60.0, timeout * 4))
    claimed = claim_due(engine, now, lease, ids=ids, limit=limit)
    if not claimed:
        return DeliveryReport()
    hooks = [c for c in claimed if c.channel == "webhook"]
    mails = [c for c in claimed if c.channel == "email"]
    others = [c for c in claimed if c.channel not in ("webhook", "email")]
    outcomes: list[Outcome] = [
        Outcome(c.notification_id, ok=False, permanent=True, error=f"unknown channel {c.channel}")
        for c in others
    ]
    if hooks:
        if client is not None:
            outcomes += _webhooks(hooks, client)
        else:
            with httpx.Client(timeout=timeout) as own:
                outcomes += _webhooks(hooks, own)
    if mails:

        def settings_for(message: Claimed) -> SmtpSettings:
            return smtp or SmtpSettings.from_target(dict(message.target.get("smtp") or {}))

        outcomes += email.send_all(mails, settings_for, timeout)
    counts = record_outcomes(engine, claimed, outcomes, now)
    return DeliveryReport(**counts)
