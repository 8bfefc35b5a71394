"""The FastAPI application behind ``leadline serve``.

One :class:`~leadline.app.Leadline` is opened when the server starts and kept
on ``app.state.ll``; while the server runs it owns the workspace's store (and
says so in ``leadline.serve.json``, see :mod:`leadline.api.runfile`). The
lifespan also starts the :class:`~leadline.api.runtime.Runtime`: the
real-time qualifier and the scheduler. Every router reaches them through
:mod:`leadline.api.deps`. Every error, bad input included, is a JSON envelope
(:mod:`leadline.api.problems`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI

from leadline import __version__
from leadline.api import problems, runfile
from leadline.api.metrics import Metrics, MetricsMiddleware
from leadline.api.routes import (
    dispositions,
    health,
    ingest,
    leads,
    metrics,
    opportunities,
    people,
    qualification,
)
from leadline.api.routes import reports as report_routes
from leadline.api.runtime import Runtime, ServeSettings
from leadline.app import Leadline
from leadline.web import router as dashboard
from leadline.workspace import Workspace

REQUEST_THREADS = 256


def create_app(
    workspace: str | Path | Workspace | None = None, settings: ServeSettings | None = None
) -> FastAPI:
    """Build the app for a workspace; the store is opened in the lifespan."""
    settings = settings or ServeSettings()
    ws = workspace if isinstance(workspace, Workspace) else Workspace.locate(workspace)
    telemetry = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Request threads mostly wait for the qualifier's group commit; more of
        # them means bigger groups under load, not more work at once.
        anyio.to_thread.current_default_thread_limiter().total_tokens = REQUEST_THREADS
        runfile.refuse_if_served(ws.require())
        ll = Leadline.open(ws)
        try:
            runfile.write(ws, settings.url, exclusive=ll.engine.DIALECT == "duckdb")
            runtime = Runtime(ll, settings, telemetry).start()
        except BaseException:
            ll.close()
            raise
        app.state.ll = ll
        app.state.runtime = runtime
        try:
            yield
        finally:
            runtime.stop()
            ll.close()
            runfile.remove(ws)

    app = FastAPI(
        title="leadline",
        version=__version__,
        description="Score, qualify and route B2B leads by the contract marketing and sales "
        "both signed. Authenticate with `Authorization: Bearer <key>` (see `leadline keys`).",
        lifespan=lifespan,
    )

    problems.install(app)
    app.add_middleware(MetricsMiddleware, metrics=telemetry)

    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(ingest.router)
    app.include_router(leads.router)
    app.include_router(dispositions.router)
    app.include_router(qualification.router)
    app.include_router(opportunities.router)
    app.include_router(people.router)
    app.include_router(report_routes.router)
    app.include_router(dashboard)
    return app
