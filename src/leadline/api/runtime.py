"""What a running server holds besides the store: the qualifier, the scheduler, metrics.

:class:`Runtime` is built in the app's lifespan from the open
:class:`~leadline.app.Leadline` and :class:`ServeSettings`, started when the
server starts and stopped (queued work finished first) when it stops.
Routers reach it through :func:`leadline.api.deps.get_runtime`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from leadline import routing
from leadline.api.metrics import Metrics
from leadline.app import Leadline
from leadline.realtime.qualify import LivePlan, LiveResult
from leadline.realtime.scheduler import Scheduler
from leadline.realtime.worker import Qualifier
from leadline.scoring.slice import slice_for


@dataclass(frozen=True)
class ServeSettings:
    """How ``leadline serve`` runs (see ``leadline serve --help``).

    ``tick_seconds``: how often the scheduler delivers due notifications
    (retries) and checks SLAs. ``notify``: deliver notifications at all;
    off, they stay queued in the outbox for the next server that delivers.
    ``url``: where the server listens, recorded in ``leadline.serve.json``.
    ``delivery_wait``: how long the qualifier lets an immediate delivery round
    have the store before it takes the next group (a hanging receiver delays
    intake at most this long; the round itself goes on).
    """

    tick_seconds: float = 5.0
    notify: bool = True
    url: str | None = None
    smtp: Any = None
    delivery_timeout: float = 5.0
    delivery_wait: float = 1.0


class Runtime:
    """The running parts of one server over one workspace."""

    def __init__(self, ll: Leadline, settings: ServeSettings, metrics: Metrics) -> None:
        self.ll = ll
        self.settings = settings
        self.metrics = metrics
        contract = ll.loaded.contract
        self.plan = LivePlan(ll.compiled)
        copies = slice_for(ll.engine, ll.compiled)
        if copies is not None:
            copies.warm()
        # The file import keeps a few fixed temp-table names on the one
        # connection: lead uploads run one at a time.
        self.import_lock = threading.Lock()
        self.scheduler = Scheduler(
            ll.engine,
            ll.compiled,
            interval=settings.tick_seconds,
            deliver=settings.notify,
            smtp=settings.smtp,
            timeout=settings.delivery_timeout,
            on_delivery=metrics.observe_delivery,
            on_breaches=metrics.observe_breaches,
        )
        self.qualifier = Qualifier(
            ll.engine,
            self.plan,
            contract,
            route=routing.route_mqls,
            after_commit=self._after_commit,
            on_group=metrics.observe_group,
        )

    def _after_commit(self, lives: list[LiveResult]) -> None:
        routed = sum(len(live.assignments) for live in lives)
        self.metrics.mqls_routed.inc(routed)
        if routed:
            due_by = max(live.as_of for live in lives)
            self.scheduler.kick(due_by).wait(self.settings.delivery_wait)

    def start(self) -> Runtime:
        self.qualifier.start()
        self.scheduler.start()
        return self

    def stop(self) -> None:
        self.qualifier.stop()
        self.scheduler.stop()
