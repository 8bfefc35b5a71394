"""The contract's ``routing.notify`` section, turned into outbox messages.

Targets are copied into each message as written (``${VAR}`` unresolved), so
changing a secret in the environment needs no change to queued messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadline.contract.schema import Contract, Notify, parse_duration
from leadline.notify.outbox import OutboxMessage, Retry

WALL_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def wall_seconds(text: str) -> float:
    value, unit = parse_duration(text)
    return value * WALL_SECONDS[unit]


@dataclass(frozen=True)
class Channels:
    webhook: dict[str, Any] | None
    email: dict[str, Any] | None
    retry: Retry

    @classmethod
    def from_notify(cls, notify: Notify | None) -> Channels:
        if notify is None:
            return cls(None, None, Retry())
        retry = Retry(
            max_attempts=notify.max_attempts,
            first_s=wall_seconds(notify.backoff.first),
            factor=notify.backoff.factor,
            max_s=wall_seconds(notify.backoff.max),
        )
        hook = {"url": notify.webhook.url} if notify.webhook else None
        mail = None
        if notify.email is not None:
            mail = {
                "to": list(notify.email.to),
                "cc": list(notify.email.cc),
                "from": notify.email.sender,
                "smtp": notify.email.smtp.model_dump(mode="json"),
            }
        return cls(hook, mail, retry)

    @classmethod
    def from_contract(cls, contract: Contract) -> Channels:
        return cls.from_notify(contract.routing.notify if contract.routing else None)

    def webhook_message(
        self, kind: str, payload: dict[str, Any], **refs: Any
    ) -> OutboxMessage | None:
        if self.webhook is None:
            return None
        return OutboxMessage(kind, "webhook", dict(self.webhook), payload, retry=self.retry, **refs)

    def email_message(
        self,
        kind: str,
        mail: tuple[str, str, str],
        to: list[str],
        **refs: Any,
    ) -> OutboxMessage | None:
        """An e-mail to ``to`` (already expanded); None when e-mail is off or nobody to tell."""
        if self.email is None:
            return None
        recipients = [t for t in dict.fromkeys(to) if t]
        if not recipients:
            return None
        subject, text, html = mail
        target = {**self.email, "to": recipients}
        payload = {"subject": subject, "text": text, "html": html}
        return OutboxMessage(kind, "email", target, payload, retry=self.retry, **refs)

    def handoff_recipients(self, rep_email: str | None) -> list[str]:
        """The configured ``to`` list with ``rep`` replaced by the rep's address."""
        if self.email is None:
            return []
        out: list[str] = []
        for item in self.email["to"]:
            if item == "rep":
                if rep_email:
                    out.append(rep_email)
            else:
                out.append(str(item))
        return out
