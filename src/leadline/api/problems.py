"""One error envelope for every failure the API reports.

Every error body is ``{"error": {"type", "message", "errors"?}}``: leadline
errors carry their own type, message and HTTP status; bad input is a 422
whose ``errors`` list names each field (``body.items[2].occurred_at``) and
what is wrong with it; unknown routes and methods use the same shape. The
models here are declared on the routes so ``/openapi.json`` documents them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadline.errors import LeadlineError

log = logging.getLogger("leadline.api")
INTERNAL_ERROR = JSONResponse(
    status_code=500,
    content={"error": {"type": "InternalError", "message": "internal error (logged)"}},
)


class FieldProblem(BaseModel):
    path: str = Field(description="Where in the request, e.g. body.items[2].occurred_at.")
    message: str = Field(description="What is wrong there.")
    type: str | None = Field(None, description="A machine-readable kind of problem.")


class ErrorBody(BaseModel):
    type: str = Field(description="The error's kind, e.g. AuthError, NotFound, InvalidRequest.")
    message: str = Field(description="What went wrong, for people.")
    errors: list[FieldProblem] | None = Field(None, description="One entry per bad field.")


class ErrorEnvelope(BaseModel):
    error: ErrorBody


def _described(description: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": description}


# Responses every authenticated route can give, for the OpenAPI document.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _described("No API key, or an unknown or revoked one."),
    403: _described("The key's role may not use this endpoint."),
    422: _described("Bad input: each bad field is listed with what is wrong."),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: _described("No such lead or record.")}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: _described("The contract does not allow this stage change now.")
}


def dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class InvalidRequest(LeadlineError):
    """Input that is well-formed but wrong against the store (HTTP 422)."""

    http_status = 422

    def __init__(self, problems: list[tuple[str, str]], message: str | None = None) -> None:
        self.problems = problems
        super().__init__(message or "; ".join(f"{p}: {m}" for p, m in problems))

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "InvalidRequest",
            "message": str(self),
            "errors": [{"path": p, "message": m, "type": "invalid"} for p, m in self.problems],
        }


class ContainCrashes:
    """Answer an unexpected exception with the 500 envelope, and keep the connection.

    Starlette's outermost handler sends its response and then re-raises, and
    the server drops the connection on that re-raise (the client sees a reset,
    not the 500). Unexpected errors stop here instead, logged with a traceback.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as err:
            log.error("unhandled error on %s %s", scope["method"], scope["path"], exc_info=err)
            if started:  # too late for an envelope
                raise
            await INTERNAL_ERROR(scope, receive, send)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the envelope."""
    app.add_middleware(ContainCrashes)

    @app.exception_handler(LeadlineError)
    async def leadline_error(request: Request, err: LeadlineError) -> JSONResponse:
        return JSONResponse(status_code=err.http_status, content={"error": err.to_dict()})

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, err: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "path": dotted(e.get("loc", ())),
                "message": str(e.get("msg", "invalid")),
                "type": str(e.get("type", "invalid")),
            }
            for e in err.errors()
        ]
        return JSONResponse(
            status_code=422,
            content={
                "error": {
                    "type": "InvalidRequest",
                    "message": f"{len(problems)} problem(s) in the request",
                    "errors": problems,
                }
            },
        )

    @app.exception_handler(Exception)
    async def crashed(request: Request, err: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=err)
        return INTERNAL_ERROR

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        kind = {404: "NotFound", 405: "MethodNotAllowed"}.get(err.status_code, "HTTPError")
        return JSONResponse(
            status_code=err.status_code,
            content={"error": {"type": kind, "message": str(err.detail)}},
            headers=getattr(err, "headers", None),
        )
