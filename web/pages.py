"""The pages: server-rendered templates over the same services the JSON API calls.

Sign-in sets the HttpOnly `loanflow_token` cookie that api.deps.current_user reads, so a
page and the API see the same person. Applicant pages (apply, follow), compliance
(history) and process owner (definitions, diagrams) live here; the approver's inbox and
task pages in web/inbox.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import RedirectResponse

from api.applications import service as applications
from api.applications.service import FINAL
from api.auth.service import STAFF, authenticate, issue_token
from api.deps import SessionDep, SettingsDep, current_user, temporal_client
from api.errors import DomainError, Invalid, Unauthenticated
from api.models import service as models
from api.processes import service as processes
from store import definitions, drafts
from store.models import User
from web import forms
from web.admin import router as admin_router
from web.answers import questions_view
from web.answers import router as answers_router
from web.compare import router as compare_router
from web.diagram import diagram_context, element_names
from web.editor import router as editor_router
from web.inbox import router as inbox_router
from web.render import (
    APPLICANTS,
    COOKIE,
    OWNERS,
    READERS,
    STATIC_DIR,
    PageRoute,
    PageUser,
    client_or_none,
    has,
    home_for,
    is_htmx,
    needs,
    render,
    safe_next,
)

__all__ = ["STATIC_DIR", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Applicant = Annotated[User, Depends(needs(*APPLICANTS))]
Reader = Annotated[User, Depends(needs(*READERS))]
Staff = Annotated[User, Depends(needs(*sorted(STAFF)))]
Owner = Annotated[User, Depends(needs(*OWNERS))]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
ENDED = (*FINAL, "cancelled")


# -- signing in and out ------------------------------------------------------------------


@router.get("/")
def home(user: PageUser) -> Response:
    return RedirectResponse(home_for(user), status_code=303)


@router.get("/login")
def login_form(request: Request, s: SessionDep, settings: SettingsDep,
               next: str | None = None) -> Response:
    try:  # already signed in: straight on
        user = current_user(request, s, settings, None)
        return RedirectResponse(safe_next(next) or home_for(user), status_code=303)
    except Unauthenticated:
        return render(request, "login.html", title="Sign in", next=safe_next(next) or "",
                      username="", error="")


@router.post("/login")
async def login(request: Request, s: SessionDep, settings: SettingsDep) -> Response:
    form = await request.form()
    username = str(form.get("username", "")).strip()
    target = safe_next(str(form.get("next", "")))
    user = authenticate(s, username, str(form.get("password", "")))
    if user is None:
        return render(request, "login.html", status_code=401, title="Sign in",
                      next=target or "", username=username,
                      error="Wrong user name or password.")
    resp = RedirectResponse(target or home_for(user), status_code=303)
    resp.set_cookie(COOKIE, issue_token(user, settings), max_age=settings.jwt_ttl_minutes * 60,
                    httponly=True, samesite="lax", secure=request.url.scheme == "https",
                    path="/")
    return resp


@router.api_route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


# -- applying ----------------------------------------------------------------------------


@router.get("/apply")
def apply_form(request: Request, _: Applicant) -> Response:
    return render(request, "apply.html", title="Apply for a loan", sections=forms.SECTIONS,
                  values=forms.defaults(), errors={}, problem="")


@router.post("/apply")
async def apply(request: Request, user: Applicant, s: SessionDep,
                settings: SettingsDep) -> Response:
    values = forms.read_form(await request.form())
    body, errors = forms.validate(values)
    problem = ""
    if body is not None:
        try:
            client = await temporal_client(request)
            created = await applications.submit(s, client, user, body, settings.task_queue)
            return RedirectResponse(f"/applications/{created.id}", status_code=303)
        except Invalid as err:
            errors = forms.field_errors(err.detail or [{"msg": err.message}])
        except DomainError as err:  # e.g. the workflow engine is away: try again later
            problem = err.message
    if errors:
        problem = "Please correct the fields marked below."
    return render(request, "apply.html", status_code=422, title="Apply for a loan",
                  sections=forms.SECTIONS, values=values, errors=errors, problem=problem)


# -- following applications ------------------------------------------------------------


@router.get("/applications")
def application_list(request: Request, user: Reader, s: SessionDep) -> Response:
    rows = applications.list_visible(s, user, limit=200, offset=0)
    return render(request, "applications.html", title="Applications", rows=rows,
                  staff=has(user, STAFF))


async def application_view(request: Request, s: SessionDep, user: User,
                           application_id: str) -> dict[str, Any]:
    app = applications.get_visible(s, user, application_id)
    public = await applications.status_of(await client_or_none(request), app)
    names = element_names(s, app.process_id, app.process_version)
    return {"app": public, "ended": public.status in ENDED,
            **diagram_context(public, names), **questions_view(s, user, app)}


@router.get("/applications/{application_id}")
async def application_page(request: Request, application_id: str, user: PageUser,
                           s: SessionDep) -> Response:
    view = await application_view(request, s, user, application_id)
    return render(request, "application.html", title=f"Application {application_id[:8]}",
                  staff=has(user, STAFF), **view)


@router.get("/applications/{application_id}/status")
async def application_status(request: Request, application_id: str, user: PageUser,
                             s: SessionDep) -> Response:
    """The status panel alone: htmx polls it while the process runs."""
    view = await application_view(request, s, user, application_id)
    if not is_htmx(request):
        return RedirectResponse(f"/applications/{application_id}", status_code=303)
    return render(request, "_status.html", **view)


@router.get("/applications/{application_id}/history")
def application_history(request: Request, application_id: str, user: Staff,
                        s: SessionDep) -> Response:
    app = applications.get_visible(s, user, application_id)
    records = applications.history(s, app)
    return render(request, "history.html", title=f"History of {application_id[:8]}",
                  app=app, records=records,
                  names=element_names(s, app.process_id, app.process_version))


# -- process definitions ---------------------------------------------------------------


@router.get("/processes")
def process_list(request: Request, user: Owner, s: SessionDep) -> Response:
    grouped: dict[str, list[processes.DefinitionPublic]] = {}
    for row in definitions.list_definitions(s):
        grouped.setdefault(row.process_id, []).append(processes.public(row))
    for versions in grouped.values():
        versions.sort(key=lambda d: d.version, reverse=True)
    return render(request, "processes.html", title="Processes", grouped=grouped,
                  drafts=drafts.list_for(s, user.username))


@router.get("/processes/{process_id}/versions/{version}")
def process_diagram(request: Request, process_id: str, version: Version, _: Owner,
                    s: SessionDep) -> Response:
    definition = processes.public(processes.get(s, process_id, version))
    return render(request, "diagram.html", title=f"{definition.name} v{version}",
                  definition=definition,
                  diagram_url=f"/api/process-definitions/{process_id}/versions/{version}"
                              "/diagram.bpmn")


@router.get("/models")
def model_list(request: Request, _: Owner, settings: SettingsDep) -> Response:
    from risk.registry import ModelRegistry

    return render(request, "models.html", title="Models",
                  models=models.list_models(ModelRegistry(settings.models_path)))


router.include_router(inbox_router)
router.include_router(editor_router)
router.include_router(answers_router)
router.include_router(admin_router)
router.include_router(compare_router)
