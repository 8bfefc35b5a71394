"""Prometheus metrics for one app: HTTP traffic, events, MQLs, notifications, SLAs.

Each app gets its own registry (not the process-global one), so two apps in
one process — tests start many — never collide on metric names. The HTTP
instrumentation is a plain ASGI middleware labelled by route *template*
(``/api/v1/leads/{ref}``), never by raw path, so label cardinality stays
bounded whatever clients send.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The app's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "leadline_http_requests",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "leadline_http_request_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.events = Counter(
            "leadline_events_ingested",
            "Activities received, by outcome (accepted, duplicate, rejected).",
            ["result"],
            registry=r,
        )
        self.leads = Counter(
            "leadline_leads_ingested",
            "Leads received, by outcome (created, updated, unchanged, merged, rejected).",
            ["result"],
            registry=r,
        )
        self.mqls = Counter(
            "leadline_mqls_qualified", "Leads moved to MQL by the real-time path.", registry=r
        )
        self.mqls_routed = Counter(
            "leadline_mqls_routed", "MQLs assigned to an owner by the real-time path.", registry=r
        )
        self.notifications = Counter(
            "leadline_notifications",
            "Notification delivery attempts: delivered, failed (retried later), dead (gave up).",
            ["result"],
            registry=r,
        )
        self.group_requests = Histogram(
            "leadline_qualifier_group_requests",
            "Requests committed together by the real-time qualifier (one transaction).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )
        self.group_seconds = Histogram(
            "leadline_qualifier_group_seconds",
            "Time to store, re-score, move and route one group, to its commit.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.group_wait = Histogram(
            "leadline_qualifier_wait_seconds",
            "Time a request waited for its group to start: the qualifier's backlog.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.breaches = Counter(
            "leadline_sla_breaches", "SLA breaches detected by the scheduler.", registry=r
        )

    def observe_delivery(self, report: Any) -> None:
        """Count a ``notify.DeliveryReport``: delivered, failed (will retry), dead-lettered."""
        if report is None:
            return
        for result, attr in (("delivered", "delivered"), ("failed", "retried"), ("dead", "dead")):
            n = int(getattr(report, attr, 0) or 0)
            if n:
                self.notifications.labels(result).inc(n)

    def observe_group(self, requests: int, seconds: float, waits: list[float]) -> None:
        self.group_requests.observe(requests)
        self.group_seconds.observe(seconds)
        for wait in waits:
            self.group_wait.observe(wait)

    def observe_breaches(self, breaches: list[Any]) -> None:
        self.breaches.inc(len(breaches))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Count and time every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)
