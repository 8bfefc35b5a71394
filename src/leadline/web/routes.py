"""The dashboard's routes: server-rendered pages under ``/dashboard``.

Mounted into the API app by one ``include_router`` line; the pages, their
CSS and their small script are all inside the package (no CDN, no internet).
"""

from __future__ import annotations

from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from leadline import __version__
from leadline.analytics.query import ReportInputError
from leadline.api.keys import AuthError, verify
from leadline.app import Leadline
from leadline.errors import NotFound
from leadline.web import pages, session
from leadline.web.render import page

router = APIRouter(include_in_schema=False)
STATIC = {"leadline.css": "text/css", "leadline.js": "text/javascript"}


def _ll(request: Request) -> Leadline:
    ll: Leadline = request.app.state.ll
    return ll


def _render(request: Request, key: Any, template: str, status: int = 200, **ctx: Any) -> Response:
    params = dict(request.query_params)
    html = page(
        template,
        request=request,
        key=key,
        nav=session.pages_for(key) if key else [],
        params=params,
        choices=_ll(request).analytics.segment_choices() if key else {},
        version=__version__,
        with_params=lambda **kw: _with(params, **kw),
        carry=_carry(params),
        **ctx,
    )
    return HTMLResponse(html, status_code=status)


def _carry(params: dict[str, str]) -> str:
    """The common filters, kept when moving between pages."""
    kept = {k: params[k] for k in pages.COMMON if params.get(k)}
    return "?" + urlencode(kept) if kept else ""


def _with(params: dict[str, str], **changes: Any) -> str:
    merged = {**params, **{k: v for k, v in changes.items()}}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _serve(
    request: Request, name: str, roles: tuple[str, ...], build: Any, template: str, title: str
) -> Response:
    ll = _ll(request)
    key = session.signed_in(request, ll)
    if key is None:
        return session.to_login(request)
    if not session.may_open(key, roles):
        return _render(
            request,
            key,
            "error.html",
            403,
            title="Not for your role",
            message=f"The {key.role} role cannot open {title}.",
            problems=[],
        )
    try:
        ctx = build()
    except ReportInputError as err:
        return _render(
            request,
            key,
            "error.html",
            422,
            title="Check the filters",
            message="Some filters could not be used.",
            problems=[p.to_dict() for p in err.problems],
        )
    except NotFound as err:
        return _render(
            request, key, "error.html", 404, title="Not found", message=str(err), problems=[]
        )
    return _render(request, key, template, current=name, title=title, **ctx)


@router.get("/", response_class=HTMLResponse)
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard/", status_code=307)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_root() -> RedirectResponse:
    return RedirectResponse("/dashboard/", status_code=307)


def _page_route(name: str) -> None:
    info = session.BY_NAME[name]
    template = f"{name}.html"

    def handler(request: Request) -> Response:
        ll = _ll(request)
        params = dict(request.query_params)
        return _serve(
            request,
            name,
            info.roles,
            lambda: pages.BUILDERS[name](ll, params),
            template,
            info.title,
        )

    handler.__name__ = f"page_{name}"
    router.add_api_route(info.path, handler, methods=["GET"], response_class=HTMLResponse)


for _name in session.BY_NAME:
    _page_route(_name)


@router.get("/dashboard/leads/{lead_id}", response_class=HTMLResponse)
def lead_page(lead_id: str, request: Request) -> Response:
    ll = _ll(request)
    params = dict(request.query_params)
    return _serve(
        request,
        "leads",
        session.LEAD_ROLES,
        lambda: pages.lead(ll, lead_id, params),
        "lead.html",
        "Lead",
    )


@router.get("/dashboard/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _render(
        request,
        None,
        "login.html",
        title="Sign in",
        next=session.safe_next(request.query_params.get("next")),
        error=None,
    )


@router.post("/dashboard/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("key") or [""])[0].strip()
    target = session.safe_next((form.get("next") or [""])[0])
    try:
        key = verify(_ll(request).engine, token)
    except AuthError as err:
        # the form again, with the reason (a plain 200: it is a page, not an API error)
        return _render(request, None, "login.html", title="Sign in", next=target, error=str(err))
    allowed = session.pages_for(key)
    if target == "/dashboard/" and allowed and allowed[0].path != target:
        target = allowed[0].path
    response = RedirectResponse(target, status_code=303)
    session.remember(response, request, token)
    return response


@router.post("/dashboard/logout")
def logout() -> Response:
    response = RedirectResponse(session.LOGIN, status_code=303)
    session.forget(response)
    return response


@router.get("/dashboard/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        raise NotFound(f"no static file {name!r}")
    body = (resources.files("leadline.web") / "static" / name).read_bytes()
    return Response(
        body, media_type=STATIC[name], headers={"Cache-Control": "public, max-age=3600"}
    )
