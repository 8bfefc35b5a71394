"""``/metrics``: Prometheus text format, no key (scrapers rarely carry one).

It holds counts and latencies only, no lead data; keep the port on a
private network or behind the proxy's access rules (docs/deployment.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from leadline.api.deps import get_runtime
from leadline.api.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics: requests, latency, events, MQLs, notifications",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Metrics."}},
)
def metrics(runtime: Runtime = Depends(get_runtime)) -> Response:
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
