"""E-mail delivery against a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadline.notify import OutboxMessage, Retry, SmtpSettings, deliver_due, enqueue
from leadline.store.duckdb import DuckDBEngine

from .receivers import SmtpReceiver

T0 = datetime(2024, 6, 3, 14, 0)


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    server = SmtpReceiver(refuse={"gone@example.test"}).start()
    yield server
    server.stop()


def mail(
    to: list[str],
    smtp: dict[str, Any] | None = None,
    n: int = 1,
    cc: tuple[str, ...] = ("cc@example.test",),
) -> OutboxMessage:
    return OutboxMessage(
        "test",
        "email",
        {
            "to": to,
            "cc": list(cc),
            "from": "leadline@example.test",
            "smtp": smtp or {"host": "127.0.0.1", "port": 1},
        },
        {
            "subject": f"[A1 MQL] Jane Doe #{n}",
            "text": "Why now\n  - demo request\n",
            "html": "<html><body><h3>Why now</h3></body></html>",
        },
        retry=Retry(max_attempts=3, first_s=60, factor=2, max_s=600),
    )


def test_mail_is_sent_as_text_and_html(engine: DuckDBEngine, smtp: SmtpReceiver) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=smtp.port)
    enqueue(engine, [mail(["amy@example.test"], n=1), mail(["bo@example.test"], n=2)], T0)
    report = deliver_due(engine, T0, smtp=settings)
    assert report.delivered == 2
    first = smtp.messages[0]
    assert first["Subject"] == "[A1 MQL] Jane Doe #1"
    assert first["From"] == "leadline@example.test"
    assert first["To"] == "amy@example.test" and first["Cc"] == "cc@example.test"
    assert first.get_content_type() == "multipart/alternative"
    text = first.get_body(preferencelist=("plain",))
    html = first.get_body(preferencelist=("html",))
    assert text is not None and "demo request" in text.get_content()
    assert html is not None and "<h3>Why now</h3>" in html.get_content()
    assert smtp.envelopes[0] == ("leadline@example.test", ["amy@example.test", "cc@example.test"])


def test_the_server_from_the_contract_is_used_with_environment_references(
    engine: DuckDBEngine, smtp: SmtpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADLINE_TEST_SMTP_PORT", str(smtp.port))
    queued = {"host": "${LEADLINE_TEST_SMTP_HOST:-127.0.0.1}", "port": "${LEADLINE_TEST_SMTP_PORT}"}
    enqueue(engine, [mail(["amy@example.test"], smtp=queued)], T0)
    assert deliver_due(engine, T0).delivered == 1
    assert len(smtp.messages) == 1


def test_a_server_that_is_down_is_retried_and_nothing_is_lost(engine: DuckDBEngine) -> None:
    server = SmtpReceiver()
    settings = SmtpSettings(host="127.0.0.1", port=server.port)
    enqueue(engine, [mail(["a@example.test"], n=1), mail(["b@example.test"], n=2)], T0)
    report = deliver_due(engine, T0, smtp=settings, timeout=2)
    assert (report.retried, report.deferred) == (1, 1)
    server.start()
    try:
        assert deliver_due(engine, T0 + timedelta(seconds=61), smtp=settings).delivered == 2
        assert sorted(m["Subject"] for m in server.messages) == [
            "[A1 MQL] Jane Doe #1",
            "[A1 MQL] Jane Doe #2",
        ]
    finally:
        server.stop()


def test_a_refused_mailbox_is_dead_lettered(engine: DuckDBEngine, smtp: SmtpReceiver) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=smtp.port)
    enqueue(engine, [mail(["gone@example.test"], cc=()), mail(["ok@example.test"], n=2)], T0)
    report = deliver_due(engine, T0, smtp=settings)
    assert (report.dead, report.delivered) == (1, 1)
    error = engine.scalar("SELECT last_error FROM dead_letters")
    assert "SMTPRecipientsRefused" in error and "550" in error


def test_a_partly_refused_message_is_delivered_with_a_note(
    engine: DuckDBEngine, smtp: SmtpReceiver
) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=smtp.port)
    enqueue(engine, [mail(["gone@example.test"])], T0)  # the cc address is accepted
    assert deliver_due(engine, T0, smtp=settings).delivered == 1
    assert smtp.envelopes == [("leadline@example.test", ["cc@example.test"])]
    note = engine.scalar("SELECT last_error FROM outbox")
    assert note == "refused by the server: gone@example.test"
