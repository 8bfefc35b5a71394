"""Notifications: a durable outbox, delivered by webhook (Slack-compatible) and SMTP.

Writers :func:`enqueue` messages in the transaction that causes them;
:func:`deliver_due` sends what is due, retries with exponential backoff and
dead-letters a message after its last attempt.  Nothing is lost while a
receiver is down: its messages wait in the outbox.
"""

from __future__ import annotations

from leadline.notify.deliver import DeliveryReport, deliver_due
from leadline.notify.email import SmtpSettings
from leadline.notify.outbox import (
    OutboxMessage,
    Retry,
    enqueue,
    outbox_counts,
    outbox_rows,
    requeue_dead,
)

__all__ = [
    "DeliveryReport",
    "OutboxMessage",
    "Retry",
    "SmtpSettings",
    "deliver_due",
    "enqueue",
    "outbox_counts",
    "outbox_rows",
    "requeue_dead",
]
