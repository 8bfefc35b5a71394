"""E-mail delivery with smtplib: one connection per mail server per round.

A message is ``multipart/alternative`` (plain text and simple HTML).  A
server that cannot be reached, or answers 4xx, is retried later; a 5xx answer
(unknown mailbox, relay refused) is permanent and dead-letters the message.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from leadline.notify.envref import MissingSetting, resolve
from leadline.notify.outbox import Claimed, Outcome


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand mail over; secrets already resolved."""

    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    ssl: bool = False

    @classmethod
    def from_target(cls, smtp: dict[str, Any]) -> SmtpSettings:
        """The contract's SMTP block as queued, with ``${VAR}`` references resolved."""

        def opt(key: str) -> str | None:
            value = smtp.get(key)
            return None if value is None else resolve(str(value))

        return cls(
            host=opt("host") or "localhost",
            port=int(opt("port") or 25),
            username=opt("username"),
            password=opt("password"),
            starttls=bool(smtp.get("starttls", False)),
            ssl=bool(smtp.get("ssl", False)),
        )


def build_message(message: Claimed) -> EmailMessage:
    target, payload = message.target, message.payload
    mail = EmailMessage()
    mail["Subject"] = str(payload["subject"])
    mail["From"] = str(target["from"])
    mail["To"] = ", ".join(str(t) for t in target["to"])
    if target.get("cc"):
        mail["Cc"] = ", ".join(str(t) for t in target["cc"])
    mail["X-Leadline-Notification"] = str(message.notification_id)
    mail.set_content(str(payload["text"]))
    if payload.get("html"):
        mail.add_alternative(str(payload["html"]), subtype="html")
    return mail


def _connect(settings: SmtpSettings, timeout: float) -> smtplib.SMTP:
    if settings.ssl:
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    if settings.starttls:
        server.starttls(context=ssl.create_default_context())
    if settings.username:
        server.login(settings.username, settings.password or "")
    return server


def _failure(message: Claimed, err: Exception, took: float) -> Outcome:
    code: int | None = None
    permanent = False
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        permanent = True
        codes = [c for c, _ in err.recipients.values()]
        code = codes[0] if codes else None
    elif isinstance(err, smtplib.SMTPResponseException):
        code = err.smtp_code
        permanent = 500 <= code < 600
    return Outcome(
        message.notification_id,
        ok=False,
        permanent=permanent,
        status_code=code,
        error=f"{type(err).__name__}: {err}"[:500],
        duration_ms=took,
    )


def send_all(
    messages: list[Claimed],
    settings_for: Callable[[Claimed], SmtpSettings],
    timeout: float,
) -> list[Outcome]:
    """Send every message; a server that fails takes the rest of its messages to the next round."""
    outcomes: list[Outcome] = []
    groups: dict[SmtpSettings, list[Claimed]] = {}
    for message in messages:
        try:
            settings = settings_for(message)
        except (MissingSetting, ValueError) as err:
            outcomes.append(Outcome(message.notification_id, ok=False, error=str(err)))
            continue
        groups.setdefault(settings, []).append(message)
    for settings, group in groups.items():
        started = time.perf_counter()
        try:
            server = _connect(settings, timeout)
        except (TimeoutError, OSError, smtplib.SMTPException) as err:
            took = round((time.perf_counter() - started) * 1000, 3)
            outcomes.append(_failure(group[0], err, took))
            outcomes += [Outcome(m.notification_id, ok=False, deferred=True) for m in group[1:]]
            continue
        try:
            for i, message in enumerate(group):
                started = time.perf_counter()
                try:
                    refused = server.send_message(build_message(message))
                except smtplib.SMTPServerDisconnected as err:
                    took = round((time.perf_counter() - started) * 1000, 3)
                    outcomes.append(_failure(message, err, took))
                    outcomes += [
                        Outcome(m.notification_id, ok=False, deferred=True) for m in group[i + 1 :]
                    ]
                    break
                except (OSError, smtplib.SMTPException) as err:
                    took = round((time.perf_counter() - started) * 1000, 3)
                    outcomes.append(_failure(message, err, took))
                else:
                    took = round((time.perf_counter() - started) * 1000, 3)
                    note = (
                        f"refused by the server: {', '.join(sorted(refused))}" if refused else None
                    )
                    outcomes.append(
                        Outcome(message.notification_id, ok=True, error=note, duration_ms=took)
                    )
        finally:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()
    return outcomes
