"""The approver's pages: the inbox and one task (claim, release, decide, with htmx)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from api.applications import service as applications
from api.deps import SessionDep, temporal_client
from api.errors import DomainError
from api.tasks import service as tasks
from api.tasks.service import CompleteBody, Decision, TaskPublic
from bpmn.registry import APPROVER_ROLES
from store.models import User
from web import forms
from web.diagram import diagram_context, element_names
from web.render import PageRoute, client_or_none, is_htmx, needs, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Approver = Annotated[User, Depends(needs(*sorted(APPROVER_ROLES)))]
SORTS = {"due": "Due first", "-due": "Due last", "amount": "Smallest", "-amount": "Largest"}


def _aware(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    at = dt.datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def time_left(due_at: str | None, now: dt.datetime) -> tuple[str, bool]:
    """("2 h 5 min left", False) or ("overdue by 3 min", True); ("no deadline", False)."""
    due = _aware(due_at)
    if due is None:
        return "no deadline", False
    seconds = int((due - now).total_seconds())
    span = abs(seconds)
    days, rest = divmod(span, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = max(rest // 60, 0 if (days or hours) else 1)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "",
             f"{minutes} min" if minutes and not days else ""]
    text = " ".join(p for p in parts if p)
    return (f"{text} left", False) if seconds >= 0 else (f"overdue by {text}", True)


def _sorted(rows: list[TaskPublic], sort: str) -> list[TaskPublic]:
    key, reverse = sort.lstrip("-"), sort.startswith("-")
    if key == "amount":
        return sorted(rows, key=lambda t: t.amount, reverse=reverse)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    with_due = sorted([t for t in rows if t.due_at], reverse=reverse,
                      key=lambda t: _aware(t.due_at) or far)
    return with_due + [t for t in rows if not t.due_at]  # no deadline: always last


@router.get("/tasks")
def inbox(request: Request, user: Approver, s: SessionDep, sort: str = "due") -> Response:
    sort = sort if sort in SORTS else "due"
    now = dt.datetime.now(dt.UTC)
    rows = []
    for t in _sorted(tasks.inbox(s, user), sort):
        left, overdue = time_left(t.due_at, now)
        mine = user.username in (t.assignee, t.claimed_by)
        rows.append({"task": t, "left": left, "overdue": overdue, "mine": mine})
    return render(request, "tasks.html", title="Inbox", rows=rows, sort=sort, sorts=SORTS)


# -- one task --------------------------------------------------------------------------


def _panel(task: TaskPublic, user: User, **extra: Any) -> dict[str, Any]:
    return {"task": task, "me": user.username, "decisions": [d.value for d in Decision],
            "error": "", "errors": {}, "values": {}, **extra}


async def _task_view(request: Request, s: Session, user: User, task_id: str) -> dict[str, Any]:
    task = tasks.get(s, user, task_id)
    app = applications.get_visible(s, user, task.application_id)
    public = await applications.status_of(await client_or_none(request), app)
    records = applications.history(s, app)
    left, overdue = time_left(task.due_at, dt.datetime.now(dt.UTC))
    return {
        "app": public, "data": forms.summary(json.loads(app.payload)),
        "checks": [r for r in records if r.kind in ("automated", "rule")],
        "records": records, "left": left, "overdue": overdue,
        **diagram_context(public, element_names(s, app.process_id, app.process_version)),
        **_panel(task, user),
    }


@router.get("/tasks/{task_id:path}")
async def task_page(request: Request, task_id: str, user: Approver, s: SessionDep) -> Response:
    view = await _task_view(request, s, user, task_id)
    return render(request, "task.html", title=view["task"].name, **view)


async def _after(request: Request, s: Session, user: User, task_id: str,
                 **panel: Any) -> Response:
    """htmx gets the action panel; a plain form post the whole page again."""
    if is_htmx(request):
        return render(request, "_task_actions.html",
                      **_panel(tasks.get(s, user, task_id), user, **panel))
    if not panel.get("error") and not panel.get("errors"):
        return RedirectResponse(f"/tasks/{task_id}", status_code=303)
    view = await _task_view(request, s, user, task_id)
    return render(request, "task.html", status_code=422, title=view["task"].name,
                  **{**view, **panel})


@router.post("/tasks/{task_id:path}/claim")
async def claim(request: Request, task_id: str, user: Approver, s: SessionDep) -> Response:
    try:
        tasks.claim(s, user, task_id)
    except DomainError as err:
        return await _after(request, s, user, task_id, error=err.message)
    return await _after(request, s, user, task_id)


@router.post("/tasks/{task_id:path}/release")
async def release(request: Request, task_id: str, user: Approver, s: SessionDep) -> Response:
    try:
        tasks.release(s, user, task_id)
    except DomainError as err:
        return await _after(request, s, user, task_id, error=err.message)
    return await _after(request, s, user, task_id)


@router.post("/tasks/{task_id:path}/complete")
async def complete(request: Request, task_id: str, user: Approver, s: SessionDep) -> Response:
    form = await request.form()
    values = {"decision": str(form.get("decision", "")), "reason": str(form.get("reason", ""))}
    try:
        body = CompleteBody.model_validate(values)
    except ValidationError as err:
        errors = forms.field_errors(err.errors(include_url=False))
        if "decision" in errors:
            errors["decision"] = "choose approve, decline or refer"
        return await _after(request, s, user, task_id, errors=errors, values=values)
    try:
        client = await temporal_client(request)
        await tasks.complete(s, client, user, task_id, body)
    except DomainError as err:
        return await _after(request, s, user, task_id, error=err.message, values=values)
    return await _after(request, s, user, task_id)
