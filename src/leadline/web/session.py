"""Dashboard sign-in: an API key entered once, kept in an HttpOnly cookie.

Browsers cannot send ``Authorization: Bearer`` on ordinary page loads, so the
login form takes the same API key the API uses and stores it in a cookie that

* is ``HttpOnly`` (page scripts cannot read it),
* is ``SameSite=Strict`` (other sites cannot make the browser send it),
* is scoped to ``Path=/dashboard`` (the JSON API never accepts it: the API
  stays Bearer-only, so a cookie cannot be used for cross-site API calls),
* is ``Secure`` when the dashboard is served over HTTPS, and
* lasts 12 hours.

Every page load verifies the key against the store, so revoking a key
(``leadline keys revoke``) signs its browser sessions out at once. A page
also accepts ``Authorization: Bearer`` (scripts, tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from leadline.api.keys import ApiKey, AuthError, verify
from leadline.app import Leadline

COOKIE = "leadline_key"
COOKIE_PATH = "/dashboard"
MAX_AGE = 12 * 3600
LOGIN = "/dashboard/login"


@dataclass(frozen=True)
class Page:
    """A dashboard page: where it lives and which roles (besides admin) may open it."""

    name: str
    title: str
    path: str
    roles: tuple[str, ...]


PAGES: tuple[Page, ...] = (
    Page("overview", "Overview", "/dashboard/", ("marketing",)),
    Page("channels", "Channels", "/dashboard/channels", ("marketing",)),
    Page("funnel", "Funnel", "/dashboard/funnel", ("marketing",)),
    Page("leads", "Leads", "/dashboard/leads", ("marketing", "sales")),
    Page("sla", "SLA", "/dashboard/sla", ("marketing", "sales")),
    Page("reasons", "Reasons", "/dashboard/reasons", ("marketing",)),
    Page("scoring", "Scoring quality", "/dashboard/scoring", ("marketing",)),
)
BY_NAME = {p.name: p for p in PAGES}
# The lead detail page is reached from the list; it has no menu entry.
LEAD_ROLES = ("marketing", "sales")


def may_open(key: ApiKey, roles: tuple[str, ...]) -> bool:
    return key.role == "admin" or key.role in roles


def pages_for(key: ApiKey) -> list[Page]:
    return [p for p in PAGES if may_open(key, p.roles)]


def token_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE)


def signed_in(request: Request, ll: Leadline) -> ApiKey | None:
    """The key behind this browser (or Bearer header), or None when there is none or it died."""
    token = token_of(request)
    if not token:
        return None
    try:
        return verify(ll.engine, token)
    except AuthError:
        return None


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"{LOGIN}?next={quote(target, safe='')}", status_code=303)
    if request.cookies.get(COOKIE):
        forget(response)
    return response


def safe_next(target: str | None) -> str:
    """Only redirect inside the dashboard (never to another site)."""
    if target and target.startswith("/dashboard") and not target.startswith("//"):
        return target
    return "/dashboard/"


def remember(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=MAX_AGE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
