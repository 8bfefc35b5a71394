"""The qualifier: one writer thread that turns concurrent requests into group commits.

Re-scoring runs the whole compiled plan, whose cost hardly depends on how
many leads it is asked about; running it once per event would cap the
server at a few dozen events per second on DuckDB (one writer). So request
threads hand their events to this worker and wait; the worker takes every
request queued meanwhile, and in ONE transaction stores their events, re-
scores all the touched leads, applies the stage moves and routes the new
MQLs. Then it answers every waiting request. Under load groups grow and
throughput follows; when idle a group is one request and latency is one
plan execution.

A group that fails is retried request by request, so one bad request
cannot fail the requests that happened to share its transaction.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadline.contract.schema import Contract
from leadline.errors import EngineError
from leadline.realtime.events import Event, EventOutcome, store_events
from leadline.realtime.qualify import LivePlan, LiveResult, Router, requalify
from leadline.store.base import Engine

MAX_GROUP_EVENTS = 5_000
ALIVE_CHECK_SECONDS = 1.0
log = logging.getLogger("leadline.realtime")


def precise_utcnow() -> datetime:
    """Naive UTC with microseconds: an event a client dated a moment ago must count."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class QualifierResult:
    """One request's share of a group: its events' outcomes and its leads' verdicts."""

    outcomes: list[EventOutcome] = field(default_factory=list)
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    to_mql: list[str] = field(default_factory=list)
    assignments: list[Any] = field(default_factory=list)
    as_of: datetime | None = None
    run_ids: list[int] = field(default_factory=list)


@dataclass
class _Job:
    events: list[Event]
    leads: list[str]
    outcome: Future[QualifierResult] = field(default_factory=Future)
    queued_at: float = field(default_factory=time.perf_counter)


_STOP = object()


class Qualifier:
    """Owns real-time writes for one store; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        plan: LivePlan,
        contract: Contract,
        *,
        route: Router | None = None,
        after_commit: Callable[[list[LiveResult]], None] | None = None,
        on_group: Callable[[int, float, list[float]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.contract = contract
        self.route = route
        self.after_commit = after_commit
        # (requests in the group, seconds to commit, seconds each request waited for it)
        self.on_group = on_group
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="leadline-qualifier", daemon=True)
        self._running = False

    # -- life cycle -------------------------------------------------------
    def start(self) -> Qualifier:
        self._running = True
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the requests already queued, then stop."""
        if not self._running:
            return
        self._running = False
        self._queue.put(_STOP)
        self._thread.join(timeout)

    # -- requests -----------------------------------------------------------
    def _enqueue(self, events: Sequence[Event], leads: Sequence[str]) -> _Job:
        if not self._running:
            raise EngineError("the server is shutting down; send the events again shortly")
        job = _Job(list(events), list(leads))
        self._queue.put(job)
        return job

    def _check_alive(self) -> None:
        if not self._thread.is_alive():
            raise EngineError("the real-time qualifier stopped; the events were not stored")

    def submit(self, events: Sequence[Event] = (), leads: Sequence[str] = ()) -> QualifierResult:
        """Store ``events`` and re-score their leads (and ``leads``); wait for the commit."""
        job = self._enqueue(events, leads)
        while True:
            try:
                return job.outcome.result(ALIVE_CHECK_SECONDS)
            except TimeoutError:
                self._check_alive()

    async def submit_async(
        self, events: Sequence[Event] = (), leads: Sequence[str] = ()
    ) -> QualifierResult:
        """:meth:`submit` for the event loop: a waiting request holds no thread.

        Groups can only grow as large as the number of requests waiting at
        once; a blocking wait would cap that at the server's thread pool (40),
        and under load the rest would queue in front of the pool instead.
        """
        job = self._enqueue(events, leads)
        waiting = asyncio.wrap_future(job.outcome)
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(waiting), ALIVE_CHECK_SECONDS)
            except TimeoutError:
                self._check_alive()

    # -- the worker -----------------------------------------------------------
    def _loop(self) -> None:
        stopping = False
        while not stopping:
            item = self._queue.get()
            if item is _STOP:
                break
            jobs: list[_Job] = [item]
            size = len(item.events)
            while size < MAX_GROUP_EVENTS:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stopping = True
                    break
                jobs.append(more)
                size += len(more.events)
            self._process(jobs)

    def _process(self, jobs: list[_Job]) -> None:
        started = time.perf_counter()
        try:
            results, lives = self._run_group(jobs)
        except BaseException as err:
            if len(jobs) == 1:
                jobs[0].outcome.set_exception(err)
                return
            for job in jobs:  # isolate the request that failed the group
                self._process([job])
            return
        for job, result in zip(jobs, results, strict=True):
            job.outcome.set_result(result)
        if self.on_group is not None:
            waits = [started - job.queued_at for job in jobs]
            self.on_group(len(jobs), time.perf_counter() - started, waits)
        if self.after_commit is not None and lives:
            try:
                self.after_commit(lives)
            except Exception:  # the work is committed; the scheduler retries delivery
                log.exception("after-commit step failed; notifications stay queued")

    def _survivors(self, lead_ids: list[str]) -> list[str]:
        if not lead_ids:
            return []
        rows = self.engine.fetch(
            "SELECT DISTINCT coalesce(merged_into, lead_id) FROM leads WHERE lead_id = ANY(?)",
            [lead_ids],
        )
        return sorted(str(r[0]) for r in rows)

    def _run_group(self, jobs: list[_Job]) -> tuple[list[QualifierResult], list[LiveResult]]:
        engine = self.engine
        lives: list[LiveResult] = []
        with engine.transaction():
            now = precise_utcnow()
            events = [e for job in jobs for e in job.events]
            stored = store_events(engine, events, now)
            accepted = stored.accepted
            event_leads = stored.leads()
            if event_leads:
                as_of = max([now, *(o.occurred_at for o in accepted if o.occurred_at)])
                since = min(o.occurred_at for o in accepted if o.occurred_at)
                lives.append(
                    requalify(
                        engine,
                        self.plan,
                        self.contract,
                        event_leads,
                        as_of,
                        since=since,
                        route=self.route,
                        scored_at=now,
                    )
                )
            other = sorted(
                set(self._survivors([lead for job in jobs for lead in job.leads]))
                - set(event_leads)
            )
            if other:
                lives.append(
                    requalify(
                        engine,
                        self.plan,
                        self.contract,
                        other,
                        now,
                        route=self.route,
                        scored_at=now,
                    )
                )
        return self._split(jobs, stored.outcomes, lives, now), lives

    def _split(
        self,
        jobs: list[_Job],
        outcomes: list[EventOutcome],
        lives: list[LiveResult],
        now: datetime,
    ) -> list[QualifierResult]:
        """Give each request back its own events' outcomes and its own leads."""
        snapshots: dict[str, dict[str, Any]] = {}
        to_mql: set[str] = set()
        assignments: dict[str, Any] = {}
        run_ids = [live.run_id for live in lives if live.run_id is not None]
        for live in lives:
            for snap in live.snapshots:
                snapshots[snap["lead_id"]] = snap
            to_mql.update(live.to_mql)
            for a in live.assignments:
                assignments[str(getattr(a, "lead_id", ""))] = a
        by_index = sorted(outcomes, key=lambda o: o.index)
        results: list[QualifierResult] = []
        offset = 0
        for job in jobs:
            mine = [
                EventOutcome(**{**o.__dict__, "index": o.index - offset})
                for o in by_index[offset : offset + len(job.events)]
            ]
            offset += len(job.events)
            leads = {o.lead_id for o in mine if o.lead_id and o.status == "accepted"}
            leads.update(self._survivors(job.leads) if job.leads else [])
            as_of = max((live.as_of for live in lives), default=now)
            results.append(
                QualifierResult(
                    outcomes=mine,
                    snapshots={k: v for k, v in snapshots.items() if k in leads},
                    to_mql=sorted(to_mql & leads),
                    assignments=[assignments[k] for k in sorted(leads) if k in assignments],
                    as_of=as_of,
                    run_ids=run_ids,
                )
            )
        return results
