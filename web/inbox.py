"""The approver's pages: the inbox (my tasks, the team queue, alerts) and one task (claim,
release, decide, with htmx). Hand-overs are in web/handover.py; what a task page shows in
web/taskview.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import SessionDep, temporal_client
from api.errors import DomainError, Forbidden
from api.tasks import actions as task_actions
from api.tasks import service as tasks
from api.tasks.actions import AlertPublic
from api.tasks.service import CompleteBody, Sort, TaskPublic, View
from bpmn.registry import APPROVER_ROLES
from store.models import User
from web import forms
from web.handover import router as handover_router
from web.render import PageRoute, has, needs, render
from web.taskview import after, task_view, time_left

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Approver = Annotated[User, Depends(needs(*sorted(APPROVER_ROLES)))]
# The admin has no inbox of their own, but sees the alerts and may hand tasks over.
TaskReader = Annotated[User, Depends(needs(*sorted(APPROVER_ROLES), "admin"))]
VIEWS = {"mine": "My tasks", "queue": "Team queue", "all": "All"}
SORTS = {"due": "Due first", "-due": "Due last", "priority": "Priority",
         "amount": "Smallest", "-amount": "Largest"}
STATUS = {"open": "Open", "claimed": "Claimed", "referred": "Waiting for applicant"}


def _sorted(rows: list[TaskPublic], sort: str) -> list[TaskPublic]:
    """The service sorts by due time or priority; the page adds the reverse and amount."""
    if sort == "-due":
        with_due = [t for t in rows if t.due_at]
        return with_due[::-1] + [t for t in rows if not t.due_at]  # no deadline: last
    if sort.lstrip("-") == "amount":
        return sorted(rows, key=lambda t: t.amount, reverse=sort.startswith("-"))
    return rows


def alerts_for(s: Session, user: User) -> list[AlertPublic]:
    """Tasks nobody was eligible for, for supervisors and admins; nothing for others."""
    try:
        return task_actions.alerts(s, user)
    except Forbidden:
        return []


def _row(t: TaskPublic, user: User) -> dict[str, Any]:
    left, overdue = time_left(t.time_left_seconds)
    return {"task": t, "left": left, "overdue": overdue,
            "stopped": t.status == "referred", "status": STATUS.get(t.status, t.status),
            "mine": user.username in (t.assignee, t.claimed_by)}


@router.get("/tasks")
def inbox(request: Request, user: TaskReader, s: SessionDep, sort: str = "due",
          view: str = "all") -> Response:
    sort = sort if sort in SORTS else "due"
    view = view if view in VIEWS else "all"
    approver = has(user, APPROVER_ROLES)
    found = tasks.inbox(s, user, view=View(view),
                        sort=Sort.priority if sort == "priority" else Sort.due) \
        if approver else []
    rows = [_row(t, user) for t in _sorted(found, sort)]
    return render(request, "tasks.html", title="Inbox" if approver else "Alerts", rows=rows,
                  sort=sort, sorts=SORTS, view=view, views=VIEWS, approver=approver,
                  alerts=alerts_for(s, user))


# -- one task --------------------------------------------------------------------------


@router.get("/tasks/{task_id:path}")
async def task_page(request: Request, task_id: str, user: TaskReader,
                    s: SessionDep) -> Response:
    view = await task_view(request, s, user, task_id)
    return render(request, "task.html", title=view["task"].name, **view)


@router.post("/tasks/{task_id:path}/claim")
async def claim(request: Request, task_id: str, user: Approver, s: SessionDep) -> Response:
    try:
        task_actions.claim(s, user, task_id)
    except DomainError as err:
        return await after(request, s, user, task_id, error=err.message)
    return await after(request, s, user, task_id)


@router.post("/tasks/{task_id:path}/release")
async def release(request: Request, task_id: str, user: Approver, s: SessionDep) -> Response:
    try:
        task_actions.release(s, user, task_id)
    except DomainError as err:
        return await after(request, s, user, task_id, error=err.message)
    return await after(request, s, user, task_id)


_DECISION_ERROR = "choose approve, decline or ask the applicant"


@router.post("/tasks/{task_id:path}/complete")
async def complete(request: Request, task_id: str, user: Approver, s: SessionDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "decision": str(form.get("decision", "")), "reason": str(form.get("reason", "")),
        "reason_codes": [str(c) for c in form.getlist("reason_codes")],
    }
    try:
        body = CompleteBody.model_validate(values)
    except ValidationError as err:
        errors = forms.field_errors(err.errors(include_url=False))
        if "decision" in errors:
            errors["decision"] = _DECISION_ERROR
        if values["decision"] == "refer" and "reason" in errors:
            errors["reason"] = "Write the question the applicant should answer."
        errors = {k.partition(".")[0]: v for k, v in errors.items()}  # reason_codes.0
        return await after(request, s, user, task_id, errors=errors, values=values)
    try:
        client = await temporal_client(request)
        await tasks.complete(s, client, user, task_id, body)
    except DomainError as err:
        return await after(request, s, user, task_id, error=err.message, values=values)
    return await after(request, s, user, task_id)


router.include_router(handover_router)
