"""Webhook delivery against a real HTTP receiver that goes down and comes back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadline.notify import OutboxMessage, Retry, deliver_due, enqueue, requeue_dead
from leadline.notify.outbox import outbox_counts
from leadline.store.duckdb import DuckDBEngine

from .receivers import WebhookReceiver

T0 = datetime(2024, 6, 3, 14, 0)
RETRY = Retry(max_attempts=4, first_s=30, factor=2, max_s=3600)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver().start()
    yield r
    r.stop()


def hook(url: str, n: int, retry: Retry = RETRY) -> OutboxMessage:
    return OutboxMessage(
        "test",
        "webhook",
        {"url": url},
        {"text": f"message {n}", "n": n},
        lead_id=f"L{n}",
        retry=retry,
    )


def state(engine: DuckDBEngine) -> list[dict[str, Any]]:
    return engine.fetch_dicts(
        "SELECT notification_id, status, attempts, next_attempt_at, last_error FROM outbox "
        "ORDER BY notification_id"
    )


def test_a_queued_message_is_posted_once(engine: DuckDBEngine, receiver: WebhookReceiver) -> None:
    ids = enqueue(engine, [hook(receiver.url, 1), hook(receiver.url, 2)], T0)
    report = deliver_due(engine, T0)
    assert report.to_dict() == {"delivered": 2, "retried": 0, "dead": 0, "deferred": 0}
    assert [m["n"] for m in receiver.received] == [1, 2]
    assert deliver_due(engine, T0 + timedelta(hours=1)).attempted == 0
    attempts = engine.fetch(
        "SELECT notification_id, attempt, ok, status_code FROM delivery_attempts ORDER BY 1"
    )
    assert attempts == [(ids[0], 1, True, 200), (ids[1], 1, True, 200)]


def test_a_receiver_that_is_down_loses_nothing(
    engine: DuckDBEngine, receiver: WebhookReceiver
) -> None:
    receiver.stop()
    enqueue(engine, [hook(receiver.url, n) for n in range(1, 6)], T0)
    report = deliver_due(engine, T0, timeout=2)
    # One attempt finds the receiver down; the rest wait for the next round untouched.
    assert report.to_dict() == {"delivered": 0, "retried": 1, "dead": 0, "deferred": 4}
    first = state(engine)[0]
    assert first["attempts"] == 1 and first["next_attempt_at"] == T0 + timedelta(seconds=30)
    assert "ConnectError" in first["last_error"]
    receiver.start()
    later = T0 + timedelta(seconds=10)
    assert deliver_due(engine, later).delivered == 4  # the ones never tried are due
    assert deliver_due(engine, T0 + timedelta(seconds=31)).delivered == 1
    assert sorted(m["n"] for m in receiver.received) == [1, 2, 3, 4, 5]
    assert outbox_counts(engine) == {"pending": 0, "delivered": 5, "dead": 0}


def test_retries_back_off_exponentially_then_dead_letter(
    engine: DuckDBEngine, receiver: WebhookReceiver
) -> None:
    receiver.status = 503
    (nid,) = enqueue(engine, [hook(receiver.url, 1)], T0)
    now, waits = T0, []
    for _ in range(3):
        report = deliver_due(engine, now)
        assert report.retried == 1
        due = state(engine)[0]["next_attempt_at"]
        waits.append((due - now).total_seconds())
        assert deliver_due(engine, due - timedelta(seconds=1)).attempted == 0  # not yet
        now = due
    assert waits == [30, 60, 120]
    assert deliver_due(engine, now).dead == 1  # the 4th attempt was the last
    dead = engine.fetch_dicts("SELECT notification_id, attempts, last_error FROM dead_letters")
    assert dead == [{"notification_id": nid, "attempts": 4, "last_error": "HTTP 503: no"}]
    assert deliver_due(engine, now + timedelta(days=1)).attempted == 0
    # Fixed receiver, requeued dead letter: delivered.
    receiver.status = 200
    assert requeue_dead(engine, now) == 1
    assert deliver_due(engine, now).delivered == 1
    assert receiver.received == [{"text": "message 1", "n": 1}]


def test_the_longest_wait_is_capped(engine: DuckDBEngine, receiver: WebhookReceiver) -> None:
    receiver.status = 500
    enqueue(
        engine,
        [hook(receiver.url, 1, Retry(max_attempts=10, first_s=60, factor=10, max_s=600))],
        T0,
    )
    now = T0
    for expected in (60, 600, 600):
        deliver_due(engine, now)
        due = state(engine)[0]["next_attempt_at"]
        assert (due - now).total_seconds() == expected
        now = due


def test_a_refused_request_is_dead_at_once(engine: DuckDBEngine, receiver: WebhookReceiver) -> None:
    receiver.status = 404  # a revoked Slack hook
    enqueue(engine, [hook(receiver.url, 1)], T0)
    assert deliver_due(engine, T0).dead == 1
    assert state(engine)[0]["status"] == "dead"


def test_too_many_requests_is_retried(engine: DuckDBEngine, receiver: WebhookReceiver) -> None:
    receiver.status = 429
    enqueue(engine, [hook(receiver.url, 1)], T0)
    assert deliver_due(engine, T0).retried == 1


def test_the_url_comes_from_the_environment_at_delivery(
    engine: DuckDBEngine, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEADLINE_TEST_HOOK", raising=False)
    enqueue(engine, [hook("${LEADLINE_TEST_HOOK}", 1)], T0)
    stored = engine.scalar("SELECT CAST(target AS VARCHAR) FROM outbox")
    assert "LEADLINE_TEST_HOOK" in stored and "127.0.0.1" not in stored  # never the secret
    assert deliver_due(engine, T0).retried == 1
    assert state(engine)[0]["last_error"] == "environment variable LEADLINE_TEST_HOOK is not set"
    monkeypatch.setenv("LEADLINE_TEST_HOOK", receiver.url)
    assert deliver_due(engine, T0 + timedelta(minutes=1)).delivered == 1


def test_only_the_given_ids_are_delivered(engine: DuckDBEngine, receiver: WebhookReceiver) -> None:
    ids = enqueue(engine, [hook(receiver.url, 1), hook(receiver.url, 2)], T0)
    assert deliver_due(engine, T0, ids=[ids[1]]).delivered == 1
    assert [m["n"] for m in receiver.received] == [2]


def test_a_leased_message_is_not_sent_twice(
    engine: DuckDBEngine, receiver: WebhookReceiver
) -> None:
    from leadline.notify.outbox import claim_due

    enqueue(engine, [hook(receiver.url, 1)], T0)
    claimed = claim_due(engine, T0, timedelta(minutes=1))
    assert len(claimed) == 1
    assert deliver_due(engine, T0).attempted == 0  # another deliverer holds it
    assert deliver_due(engine, T0 + timedelta(minutes=2)).delivered == 1  # lease expired
