"""Real-time benchmark: event POST → MQL routed → webhook delivered, under steady load.

A real ``leadline serve`` process runs on the benchmark world (bench/data.py,
the benchmark contract plus routing to two reps and a webhook). A load
generator on loopback sends events open-loop at a fixed rate — page views
for random leads and a share of hand-raisers (demo requests from good-fit
leads that are not MQLs yet, each of which must be qualified, routed and
notified) — and a local webhook receiver timestamps every notification.

Reported: latency from the moment a hand-raiser's POST starts to the moment
its notification reaches the receiver (p50/p95/p99), the API's own
response times, the error rate (non-2xx or failed requests), and whether
every hand-raiser was notified. Targets (DESIGN.md): p50 < 50 ms,
p99 < 250 ms, 0 errors, at 100 events/s for 60 s (``small``: 50/s for 4 s).

``BENCH_REALTIME_STORE=postgres`` runs the same load against a server on a
throw-away PostgreSQL cluster (tests/pg.py) instead of the embedded store; the
world is generated in DuckDB and copied over. Not part of a plain ``make bench``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from common import Check, Result, Scale, Timing, timed
from data import fill
from http1 import Connection, HTTPError, serve_queue
from leadline.api import keys
from leadline.api.runfile import RUNFILE
from leadline.app import Leadline
from leadline.store import DATABASE_URL_ENV, migrate
from leadline.store.duckdb import DuckDBEngine
from leadline.store.postgres import PostgresEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import pg  # the throw-away cluster the tests use

NAME = "realtime"
CONTRACT = Path(__file__).resolve().parent / "contract.yaml"
LEADLINE = str(Path(sys.executable).with_name("leadline"))
# rate (events/s), seconds, share of hand-raisers
LOAD = {"small": (50, 4, 0.1), "full": (100, 60, 0.1)}
TARGETS = {"p50_ms": 50.0, "p99_ms": 250.0, "errors": 0.0}
ROUTING = """
routing:
  rules:
    - name: round robin
      round_robin: {reps: [rep1, rep2]}
  default_capacity: 1000000
  notify:
    webhook: {url: "WEBHOOK"}
sla:
  speed_to_lead: {A1: 5m, B1: 15m, default: 1h}
  escalation: {notify: [webhook]}
"""
LEAD_IN_HOOK = re.compile(r"lead (L\d+)")
# hand-raisers sent one at a time before the load, for the unloaded floor
PROBES = {"small": 6, "full": 20}
# page views sent before anything is measured (connections, plan caches)
WARMUP = {"small": 8, "full": 20}
IN_FLIGHT = 256  # requests the load generator has open at once
STORE_ENV = "BENCH_REALTIME_STORE"  # duckdb (default) or postgres
PG_SETTINGS = {"work_mem": "64MB", "shared_buffers": "256MB"}


@dataclass
class Receiver:
    """A webhook receiver: when each lead's notification arrived (time.time())."""

    arrived: dict[str, float] = field(default_factory=dict)
    posts: int = 0
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> str:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.time()
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                with owner.lock:
                    owner.posts += 1
                    for lead in LEAD_IN_HOOK.findall(raw.decode("utf-8", "replace")):
                        owner.arrived.setdefault(lead, at)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


REPS = (
    "INSERT INTO reps (rep_id, name, email, timezone, capacity, active) VALUES "
    "('rep1', 'Rep One', 'rep1@vendor.example', 'UTC', 1000000, true), "
    "('rep2', 'Rep Two', 'rep2@vendor.example', 'UTC', 1000000, true)"
)


def prepare(scale: Scale, root: Path, webhook: str) -> tuple[str, list[str], list[str]]:
    """The workspace: benchmark world, contract with routing, a batch run, a key.

    Returns the marketing token, the leads that will become MQLs when they ask
    for a demo (grade B or better, not excluded, not MQLs yet), and all leads.
    """
    _fresh(root)
    # One 10M-row INSERT keeps its whole unique index in memory until commit;
    # real imports commit in batches. The server then runs with the default cap.
    engine = DuckDBEngine.at(root / "leadline.duckdb", memory_limit="8GB")
    migrate(engine)
    fill(engine, scale)
    engine.execute(REPS)
    engine.close()
    return _score_and_key(root, webhook)


def prepare_postgres(
    scale: Scale, root: Path, webhook: str, url: str
) -> tuple[str, list[str], list[str]]:
    """The same workspace on a PostgreSQL store (``LEADLINE_DATABASE_URL`` is ``url``):
    the world is generated in a scratch DuckDB file and copied over with COPY."""
    _fresh(root)
    scratch = root.parent / f"realtime-pg-source-{scale.name}.duckdb"
    scratch.unlink(missing_ok=True)
    source = DuckDBEngine.at(scratch, memory_limit="8GB")
    migrate(source)
    fill(source, scale)
    target = PostgresEngine.at(url)
    try:
        for (table,) in source.fetch("SELECT table_name FROM duckdb_tables() ORDER BY 1"):
            if table != "schema_migrations" and source.scalar(f"SELECT count(*) FROM {table}"):
                target.copy_arrow(table, source.fetch_arrow(f"SELECT * FROM {table}"))
        target.execute(REPS)
        target.execute("ANALYZE")
    finally:
        target.close()
        source.close()
        scratch.unlink(missing_ok=True)
    return _score_and_key(root, webhook)


def _fresh(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name in ("leadline.duckdb", "leadline.duckdb.wal", RUNFILE):
        (root / name).unlink(missing_ok=True)


def _score_and_key(root: Path, webhook: str) -> tuple[str, list[str], list[str]]:
    # Yesterday's batch run scores the world without routing: it would queue a
    # handoff (and SLA clocks, then escalations) for every lead that is already
    # an MQL, and the server would spend the benchmark delivering that backlog.
    (root / "leadline.yaml").write_text(CONTRACT.read_text(), encoding="utf-8")
    with Leadline.open(root) as ll:
        summary = ll.score()  # today's state, as a workspace in use has it
        token = keys.create_key(ll.engine, "marketing", "bench")[1]
        eligible = [
            str(r[0])
            for r in ll.engine.fetch(
                "SELECT s.lead_id FROM score_snapshots AS s WHERE s.run_id = ? "
                "AND s.grade IN ('A', 'B') AND s.excluded_reason IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM stage_history AS h WHERE h.lead_id = s.lead_id) "
                "ORDER BY s.lead_id",
                [summary.run_id],
            )
        ]
        everyone = [
            str(r[0]) for r in ll.engine.fetch("SELECT lead_id FROM leads ORDER BY lead_id")
        ]
    (root / "leadline.yaml").write_text(
        CONTRACT.read_text() + ROUTING.replace("WEBHOOK", webhook), encoding="utf-8"
    )
    return token, eligible, everyone


class Server:
    """``leadline serve`` as its own process, as in production."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log = (root.parent / "realtime-serve.log").open("w")
        self.proc = subprocess.Popen(
            [LEADLINE, "serve", "--port", "0", "-w", str(root), "--log-level", "warning"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1"},
        )
        self.url = self._wait()

    def _wait(self) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.root.parent / "realtime-serve.log").read_text()
                raise SystemExit(f"leadline serve exited: {log}")
            try:
                info = json.loads((self.root / RUNFILE).read_text())
                if info["pid"] == self.proc.pid:
                    url = str(info["url"])
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        return url
            except (OSError, ValueError, KeyError, httpx.HTTPError):
                pass
            time.sleep(0.05)
        raise SystemExit("leadline serve did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)
        self.log.close()


@dataclass
class Sent:
    lead_id: str
    hand_raiser: bool
    started: float  # when it was due (time.time())
    sent_at: float = 0.0  # when the client actually sent it
    seconds: float | None = None
    status: int | None = None
    error: str | None = None


def drive(
    url: str,
    token: str,
    rate: int,
    seconds: int,
    share: float,
    eligible: list[str],
    leads: list[str],
) -> list[Sent]:
    """Open-loop load: event i is due at start + i / rate, whatever the server does.

    One asyncio loop sends everything (threads would cost the generator more
    CPU than the server gets on a small machine). Latency counts from the
    moment an event was *due*, not from when it left, so a backlog on either
    side is never hidden (no coordinated omission).
    """
    rng = random.Random(7)
    raisers = iter(eligible)
    plan: list[tuple[str, str, str]] = []
    for _ in range(rate * seconds):
        lead = next(raisers, None) if rng.random() < share else None
        if lead is None:
            plan.append((rng.choice(leads), "page_view", rng.choice(("/", "/blog/x"))))
        else:
            plan.append((lead, "demo_request", "/demo"))

    sent = [Sent(lead, kind == "demo_request", 0.0) for lead, kind, _ in plan]

    async def send(conn: Connection, n: int) -> None:
        lead, kind, path = plan[n]
        record = sent[n]
        record.sent_at = time.time()
        body = {
            "source": "bench-rt",
            "source_event_id": f"rt-{n}",
            "lead_id": lead,
            "activity_type": kind,
            "occurred_at": datetime.now(UTC).isoformat(),
            "url": path,
        }
        try:
            answer = await asyncio.wait_for(conn.post_json("/api/v1/activities", body), 60)
            record.status = answer.status
            if answer.status >= 300:
                record.error = answer.body[:1000].decode(errors="replace")
        except (HTTPError, OSError, TimeoutError) as err:
            record.error = repr(err)
        record.seconds = time.time() - record.started

    async def main() -> list[Sent]:
        # IN_FLIGHT kept-alive connections take events off one queue (bench/http1.py:
        # httpx's pool made the client the bottleneck). An event that waits for a
        # free connection still counts its latency from when it was due.
        queue: asyncio.Queue[int | None] = asyncio.Queue()
        senders = asyncio.create_task(
            serve_queue(url, {"Authorization": f"Bearer {token}"}, IN_FLIGHT, queue, send)
        )
        start = time.time() + 0.2
        for n in range(len(plan)):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.time()))
            sent[n].started = due
            queue.put_nowait(n)
        for _ in range(IN_FLIGHT):
            queue.put_nowait(None)
        await senders
        return sent

    return asyncio.run(main())


def probe(url: str, token: str, leads: list[str], receiver: Receiver) -> list[float]:
    """One hand-raiser at a time, each waiting for its notification: the path's own cost."""
    out: list[float] = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for n, lead in enumerate(leads):
            started = time.time()
            client.post(
                "/api/v1/activities",
                json={
                    "source": "bench-probe",
                    "source_event_id": str(n),
                    "lead_id": lead,
                    "activity_type": "demo_request",
                    "occurred_at": datetime.now(UTC).isoformat(),
                },
            )
            deadline = time.monotonic() + 30
            while lead not in receiver.arrived and time.monotonic() < deadline:
                time.sleep(0.005)  # the receiver timestamps arrival itself
            if lead in receiver.arrived:
                out.append((receiver.arrived[lead] - started) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run(scale: Scale, workdir: Path) -> Result:
    """On the embedded store; with ``BENCH_REALTIME_STORE=postgres`` on a throw-away
    PostgreSQL cluster instead (results ``realtime-postgres-<scale>``)."""
    if os.environ.get(STORE_ENV, "duckdb") != "postgres":
        return _run(NAME, scale, workdir / f"realtime-{scale.name}", prepare)
    missing = pg.missing_reason()
    if missing:
        result = Result(f"{NAME}-postgres", scale)
        result.notes.append(f"not measured: {missing}")
        return result
    with pg.running_cluster(PG_SETTINGS) as cluster, cluster.database() as url:
        before = os.environ.get(DATABASE_URL_ENV)
        os.environ[DATABASE_URL_ENV] = url  # for this process and the server it starts
        try:
            return _run(
                f"{NAME}-postgres",
                scale,
                workdir / f"realtime-postgres-{scale.name}",
                lambda s, root, hook: prepare_postgres(s, root, hook, url),
            )
        finally:
            if before is None:
                os.environ.pop(DATABASE_URL_ENV, None)
            else:
                os.environ[DATABASE_URL_ENV] = before


def _run(
    name: str,
    scale: Scale,
    root: Path,
    prepare_world: Callable[[Scale, Path, str], tuple[str, list[str], list[str]]],
) -> Result:
    result = Result(name, scale)
    rate, seconds, share = LOAD.get(scale.name, LOAD["full"])
    probes_n = PROBES.get(scale.name, PROBES["full"])
    receiver = Receiver()
    webhook = receiver.start()
    prep_s, (token, eligible, leads) = timed(lambda: prepare_world(scale, root, webhook))
    result.timings.append(Timing("prepare world + batch score", prep_s, "not measured below"))
    server = Server(root)
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as c:
            for n in range(WARMUP.get(scale.name, 20)):  # warm up: connections, plan caches
                c.post(
                    "/api/v1/activities",
                    json={
                        "source": "bench-warmup",
                        "source_event_id": str(n),
                        "lead_id": leads[n],
                        "activity_type": "page_view",
                        "occurred_at": datetime.now(UTC).isoformat(),
                    },
                )
        probes = probe(server.url, token, eligible[-probes_n:], receiver)
        eligible = eligible[:-probes_n]
        load_s, sent = timed(
            lambda: drive(server.url, token, rate, seconds, share, eligible, leads)
        )
        raisers = [s for s in sent if s.hand_raiser and s.status == 201]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with receiver.lock:
                if all(s.lead_id in receiver.arrived for s in raisers):
                    break
            time.sleep(0.1)
        metrics = httpx.get(server.url + "/metrics").text
    finally:
        server.stop()
        receiver.stop()

    errors = [s for s in sent if s.error is not None]
    span = max(s.sent_at for s in sent) - min(s.sent_at for s in sent)
    latencies = [
        (receiver.arrived[s.lead_id] - s.started) * 1000
        for s in raisers
        if s.lead_id in receiver.arrived
    ]
    api_ms = [s.seconds * 1000 for s in sent if s.seconds is not None and s.error is None]
    result.timings.append(Timing(f"load: {len(sent)} events at {rate}/s", load_s))
    result.facts.update(
        {
            "events sent": len(sent),
            "sent rate (events/s)": round((len(sent) - 1) / max(1e-9, span), 1),
            "hand-raisers sent": sum(s.hand_raiser for s in sent),
            "hand-raisers notified": len(latencies),
            "errors": len(errors),
            "error rate": round(len(errors) / max(1, len(sent)), 4),
            "API response ms p50/p95/p99": [round(pct(api_ms, q), 1) for q in (50, 95, 99)],
            "event→webhook ms p50/p95/p99/max": [
                round(pct(latencies, q), 1) for q in (50, 95, 99, 100)
            ]
            if latencies
            else None,
            "event→webhook ms mean": round(statistics.fmean(latencies), 1) if latencies else None,
            "one at a time, no load: event→webhook ms p50/max": [
                round(pct(probes, 50), 1),
                round(max(probes), 1),
            ]
            if probes
            else None,
            "server metrics": {
                k: v
                for k, v in (
                    line.split(" ", 1)
                    for line in metrics.splitlines()
                    if line.startswith(
                        (
                            "leadline_mqls_routed_total",
                            "leadline_notifications_total",
                            "leadline_qualifier_group_requests_sum",
                            "leadline_qualifier_group_requests_count",
                            "leadline_qualifier_group_seconds_sum",
                            "leadline_qualifier_wait_seconds_sum",
                            "leadline_qualifier_wait_seconds_count",
                        )
                    )
                )
            },
        }
    )
    result.facts["load average 1/5/15 min (other processes share the cores)"] = [
        round(x, 2) for x in os.getloadavg()
    ]
    if errors:
        result.notes.append(f"first error: {errors[0].status} {errors[0].error}")
    if len(latencies) < len(raisers):
        result.notes.append(f"{len(raisers) - len(latencies)} hand-raiser(s) never notified")
    result.checks = [
        Check(
            "event→webhook p50",
            pct(latencies, 50) if latencies else None,
            "<",
            TARGETS["p50_ms"],
            " ms",
        ),
        Check(
            "event→webhook p99",
            pct(latencies, 99) if latencies else None,
            "<",
            TARGETS["p99_ms"],
            " ms",
        ),
        Check("API errors", float(len(errors)), "<=", TARGETS["errors"], ""),
        Check(
            "hand-raisers not notified",
            float(len(raisers) - len(latencies)),
            "<=",
            0.0,
            "",
        ),
    ]
    return result
