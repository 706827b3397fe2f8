"""What every page shares: templates, the signed-in person and their nav, and the route
class that turns domain errors into pages (a login redirect, a 403 or 404 page) instead of
the JSON answers the API gives."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from temporalio.client import Client

from api.auth.service import STAFF
from api.deps import CurrentUser, require, temporal_client
from api.errors import DomainError, Unauthenticated, Unavailable
from bpmn.registry import APPROVER_ROLES
from store.models import User
from web.forms import label

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
COOKIE = "loanflow_token"
log = logging.getLogger("loanflow.web")

templates = Jinja2Templates(directory=HERE / "templates")


def _short(value: object, n: int = 12) -> str:
    text = str(value or "")
    return text[:n] + "…" if len(text) > n else text


def _time(value: object, fmt: str) -> str:
    if not value:
        return ""
    try:
        at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime(fmt)


def _when(value: object) -> str:
    """An ISO time as a person reads it (UTC, to the minute)."""
    return _time(value, "%Y-%m-%d %H:%M UTC")


def _stamp(value: object) -> str:
    return _time(value, "%Y-%m-%d %H:%M:%S UTC")


def _clock(value: object) -> str:
    return _time(value, "%H:%M:%S")


def _money(value: object) -> str:
    try:
        return f"{float(str(value)):,.2f}"
    except ValueError:
        return str(value)


templates.env.filters.update(short=_short, when=_when, stamp=_stamp, clock=_clock, money=_money,
                             label=label)


# -- who is asking ----------------------------------------------------------------------


def page_user(request: Request, user: CurrentUser) -> User:
    request.state.user = user  # for the nav of an error page raised later
    return user


PageUser = Annotated[User, Depends(page_user)]


def needs(*roles: str) -> Callable[[User], User]:
    """A page for some roles only: the API's own check, remembered for the nav."""
    check = require(*roles)

    def dependency(user: PageUser) -> User:
        return check(user)

    return dependency


APPLICANTS = ("applicant", "admin")
OWNERS = ("process_owner", "admin", "compliance")
READERS = ("applicant", *sorted(STAFF))  # who has applications to look at
ADMINS = ("admin",)


def has(user: User, roles: tuple[str, ...] | frozenset[str]) -> bool:
    return bool(set(user.role_list) & set(roles))


def nav(user: User | None) -> list[tuple[str, str]]:
    if user is None:
        return []
    items: list[tuple[str, str]] = []
    if has(user, APPLICANTS):
        items.append(("/apply", "Apply"))
    if has(user, READERS):
        items.append(("/applications", "Applications" if has(user, STAFF) else "My applications"))
    if has(user, APPROVER_ROLES):
        items.append(("/tasks", "Inbox"))
    elif has(user, ADMINS):  # no inbox of their own: the tasks nobody could take
        items.append(("/tasks", "Alerts"))
    if has(user, OWNERS):
        items.append(("/processes", "Processes"))
        items.append(("/models", "Models"))
    if has(user, ADMINS):
        items.append(("/admin/approvers", "Approvers"))
    return items


def home_for(user: User) -> str:
    if has(user, APPROVER_ROLES):
        return "/tasks"
    if has(user, READERS):
        return "/applications"
    if has(user, OWNERS):
        return "/processes"
    return "/login"


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    user: User | None = getattr(request.state, "user", None)
    context.setdefault("title", "")
    return templates.TemplateResponse(
        request, name, {"user": user, "nav": nav(user), "path": request.url.path, **context},
        status_code=status_code,
    )


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


async def client_or_none(request: Request) -> Client | None:
    """Temporal if reachable: pages that only read still answer from the projections."""
    try:
        return await temporal_client(request)
    except Unavailable:
        return None


# -- errors as pages ---------------------------------------------------------------------

_TITLES = {400: "Bad request", 401: "Please sign in", 403: "Not allowed", 404: "Not found",
           409: "Conflict", 422: "Not accepted", 503: "Unavailable"}


def error_page(request: Request, status: int, message: str) -> Response:
    if is_htmx(request):  # show it in the page's message area, whatever the target was
        resp = templates.TemplateResponse(request, "_flash.html", {"message": message,
                                                                   "kind": "error"})
        resp.headers.update({"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
        return resp
    return render(request, "error.html", status_code=status, status=status,
                  title=_TITLES.get(status, "Error"), message=message)


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    url = f"/login?next={quote(target, safe='')}"
    if is_htmx(request):
        resp: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        resp = RedirectResponse(url, status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


def same_origin(request: Request) -> bool:
    """Cookies authenticate pages, so a form post must come from our own pages
    (SameSite=Lax covers modern browsers; this covers the rest)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


class PageRoute(APIRoute):
    """A page route: domain errors become pages, not JSON; no request ends in a 500."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            if request.method == "POST" and not same_origin(request):
                return error_page(request, 403, "this form was sent from another site")
            try:
                return await handler(request)
            except Unauthenticated:
                return to_login(request)
            except DomainError as err:
                return error_page(request, err.status, err.message)
            except RequestValidationError as err:
                in_path = any(e.get("loc", ("",))[0] == "path" for e in err.errors())
                return error_page(request, 404 if in_path else 400,
                                  "no such page" if in_path else "the request is malformed")

        return page


def safe_next(target: str | None) -> str | None:
    """Only our own paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
