"""The server's clock: deliver due notifications and check SLAs every few seconds.

Notifications are queued in the store's outbox in the same transaction
that routes an MQL, so a server that stops (or crashes) between accepting
an event and notifying loses nothing: the next server's first tick
delivers whatever is due. The qualifier also *kicks* the scheduler right
after it commits a routing, so a hand-raiser's rep hears at once, not at
the next tick — and delivery happens on this thread, never on the
qualifier's: a receiver that hangs until its timeout must not stall the
intake of events. One lock keeps two deliveries from sending a
notification twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from leadline import notify, sla
from leadline.contract.compiler import CompiledContract
from leadline.store.base import Engine

log = logging.getLogger("leadline.scheduler")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Scheduler:
    """A daemon thread: ``tick`` every ``interval`` seconds until stopped."""

    def __init__(
        self,
        engine: Engine,
        contract: CompiledContract,
        *,
        interval: float = 5.0,
        deliver: bool = True,
        smtp: Any = None,
        timeout: float = 5.0,
        on_delivery: Callable[[Any], None] | None = None,
        on_breaches: Callable[[list[Any]], None] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("the scheduler interval must be positive")
        self.engine = engine
        self.contract = contract
        self.interval = interval
        self.deliver = deliver
        self.smtp = smtp
        self.timeout = timeout
        self.on_delivery = on_delivery
        self.on_breaches = on_breaches
        self.ticks = 0
        self._delivering = threading.Lock()
        # One connection pool for the server's life: keep-alive to receivers.
        self._client = httpx.Client(timeout=timeout)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._round_lock = threading.Lock()
        self._next_round = threading.Event()  # set when the next delivery round is done
        self._due_by: datetime | None = None
        self._thread = threading.Thread(target=self._loop, name="leadline-scheduler", daemon=True)

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def kick(self, due_by: datetime | None = None) -> threading.Event:
        """Deliver what is due now (on this thread), not at the next tick.

        Returns an event set when that delivery round is over: the qualifier
        waits on it briefly, so the round is not starved of the store by the
        next group, while a receiver that hangs only delays it that long.
        ``due_by``: deliver what is due by then, even if this clock is behind
        (an event a client dated slightly ahead of this server is routed then).
        """
        with self._round_lock:
            done = self._next_round
            if due_by is not None:
                self._due_by = max(self._due_by or due_by, due_by)
        self._wake.set()
        return done

    def _round(self, now: datetime | None = None) -> None:
        with self._round_lock:
            done, self._next_round = self._next_round, threading.Event()
            due_by, self._due_by = self._due_by, None
        now = now or _now()
        try:
            self.deliver_now(max(now, due_by) if due_by else now)
        except Exception:  # a broken receiver or store must not stop the clock
            log.exception("delivering notifications failed; retrying next tick")
        finally:
            done.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        self._next_round.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        with self._delivering:
            self._client.close()

    def deliver_now(self, now: datetime | None = None) -> Any:
        """Send every due notification (one sender at a time); None when delivery is off."""
        if not self.deliver:
            return None
        with self._delivering:
            report = notify.deliver_due(
                self.engine,
                now or _now(),
                smtp=self.smtp,
                timeout=self.timeout,
                client=self._client,
            )
        if self.on_delivery is not None:
            self.on_delivery(report)
        return report

    def tick(self, now: datetime | None = None) -> None:
        """One round: deliver what is due, then record SLA breaches (and escalate)."""
        now = now or _now()
        self._round(now)
        try:
            breaches = sla.check_sla(self.engine, self.contract, now)
        except Exception:
            log.exception("checking SLAs failed; retrying next tick")
        else:
            if breaches and self.on_breaches is not None:
                self.on_breaches(list(breaches))
            if breaches and self.deliver:  # escalations are notifications too
                try:
                    self.deliver_now(now)
                except Exception:
                    log.exception("delivering escalations failed; retrying next tick")
        self.ticks += 1

    def _loop(self) -> None:
        due = time.monotonic()
        kicked = False
        while not self._stop.is_set():
            if time.monotonic() >= due:
                self.tick()
                due = time.monotonic() + self.interval
            elif kicked:
                self._round()
            kicked = self._wake.wait(max(0.0, due - time.monotonic()))
            if kicked:
                self._wake.clear()
