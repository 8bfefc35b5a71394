"""Webhook delivery: POST the JSON body (Slack-compatible ``text``/``blocks``) with httpx.

A 2xx answer is delivered.  Connection problems, timeouts, 408, 429 and 5xx
are worth retrying; any other 4xx means the request itself is wrong (a
revoked Slack hook answers 403/404), so retrying cannot help and the message
is dead-lettered at once.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from leadline.notify.envref import MissingSetting, resolve
from leadline.notify.outbox import Claimed, Outcome

RETRYABLE_STATUS = frozenset({408, 425, 429})


def post(client: httpx.Client, message: Claimed) -> Outcome:
    """One attempt at one webhook message."""
    started = time.perf_counter()

    def took() -> float:
        return round((time.perf_counter() - started) * 1000, 3)

    try:
        url = resolve(str(message.target["url"]))
    except MissingSetting as err:
        return Outcome(message.notification_id, ok=False, error=str(err), duration_ms=took())
    try:
        response = client.post(url, json=message.payload)
    except httpx.HTTPError as err:
        return Outcome(
            message.notification_id,
            ok=False,
            error=f"{type(err).__name__}: {err}"[:500],
            duration_ms=took(),
        )
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(message.notification_id, ok=True, status_code=code, duration_ms=took())
    permanent = 400 <= code < 500 and code not in RETRYABLE_STATUS
    return Outcome(
        message.notification_id,
        ok=False,
        permanent=permanent,
        status_code=code,
        error=f"HTTP {code}: {response.text[:200]}",
        duration_ms=took(),
    )


def target_key(message: Claimed) -> Any:
    """Messages to one receiver share a key: once it fails, the rest wait for the next round."""
    return ("webhook", str(message.target.get("url")))
