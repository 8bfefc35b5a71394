"""The FastAPI application behind ``leadline serve``.

One :class:`~leadline.app.Leadline` is opened when the server starts and kept
on ``app.state.ll``; while the server runs it owns the workspace's store, and
every router reaches it through :func:`leadline.api.deps.get_ll`. Errors that
leadline raises on purpose become JSON bodies with the error's HTTP status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from leadline import __version__
from leadline.api.routes import health
from leadline.app import Leadline
from leadline.errors import LeadlineError
from leadline.workspace import Workspace


def create_app(workspace: str | Path | Workspace | None = None) -> FastAPI:
    """Build the app for a workspace; the store is opened in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ll = Leadline.open(workspace)
        app.state.ll = ll
        try:
            yield
        finally:
            ll.close()

    app = FastAPI(
        title="leadline",
        version=__version__,
        description="Score, qualify and route B2B leads by the contract marketing and sales "
        "both signed. Authenticate with `Authorization: Bearer <key>` (see `leadline keys`).",
        lifespan=lifespan,
    )

    @app.exception_handler(LeadlineError)
    async def leadline_error(request: Request, err: LeadlineError) -> JSONResponse:
        return JSONResponse(status_code=err.http_status, content={"error": err.to_dict()})

    app.include_router(health.router)
    return app
