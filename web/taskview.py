"""One task's page, shared by the decision routes (web/inbox.py) and the hand-over routes
(web/handover.py): the whole page's context, and the side column (decision panel, the
question to the applicant, hand-over forms, task log) that htmx swaps after each action."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from api.applications import referrals
from api.applications import service as applications
from api.approvers import service as approver_service
from api.errors import Forbidden
from api.tasks import actions as task_actions
from api.tasks import service as tasks
from api.tasks.service import OPEN, Decision, TaskPublic
from bpmn.registry import ROLE_RANK
from store.approvers import approvers
from store.models import User
from web import forms, tasklog
from web.diagram import diagram_context, element_names
from web.render import client_or_none, is_htmx, render
from workflows.reasons import DECLINE_REASONS

DECISION_LABELS = {Decision.approve.value: "Approve", Decision.decline.value: "Decline",
                   Decision.refer.value: "Ask the applicant"}


def time_left(seconds: float | None) -> tuple[str, bool]:
    """("2 h 5 min left", False) or ("overdue by 3 min", True); ("no deadline", False)."""
    if seconds is None:
        return "no deadline", False
    span = abs(int(seconds))
    days, rest = divmod(span, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = max(rest // 60, 0 if (days or hours) else 1)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "",
             f"{minutes} min" if minutes and not days else ""]
    text = " ".join(p for p in parts if p)
    return (f"{text} left", False) if seconds >= 0 else (f"overdue by {text}", True)


def _rank(roles: list[str] | str | None) -> int:
    names = [roles] if isinstance(roles, str) else roles or []
    return max((ROLE_RANK.get(r, 0) for r in names), default=0)


def _people(s: Session, user: User, task: TaskPublic) -> tuple[list[tuple[str, str]], set[str]]:
    """Whom the task can be handed to (load shown where this person may see it), and whom
    this person supervises."""
    try:
        visible = {p.username: p for p in approver_service.list_approvers(s, user)}
    except Forbidden:
        visible = {}
    holder = task.claimed_by or task.assignee
    options = []
    for u in approvers(s):
        if u.username == holder:
            continue
        text = f"{u.full_name or u.username} ({u.username})"
        p = visible.get(u.username)
        if p is not None:
            text += (f" · load {p.open_effort:g} of {p.capacity:g},"
                     f" authority {p.authority_limit:,.0f}")
        options.append((u.username, text))
    reports = {u for u, p in visible.items() if p.supervisor == user.username}
    return options, reports


def _hand_over(s: Session, user: User, task: TaskPublic, hand: dict[str, Any]) -> dict[str, Any]:
    if task.status not in OPEN:
        return {"can_reassign": False, "can_delegate": False, "people": [], "hand": hand}
    people, reports = _people(s, user, task)
    holder = task.claimed_by or task.assignee
    can_reassign = ("admin" in user.role_list or _rank(user.role_list) > _rank(task.role)
                    or (holder is not None and holder in reports))
    can_delegate = user.username in (task.assignee, task.claimed_by)
    return {"can_reassign": can_reassign, "can_delegate": can_delegate, "people": people,
            "hand": hand}


def side(s: Session, user: User, task: TaskPublic, *, error: str = "",
         errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
         hand: dict[str, Any] | None = None) -> dict[str, Any]:
    """The side column: what this person may do with the task now, and what happened."""
    app = applications.get_visible(s, user, task.application_id)
    asked = [q for q in referrals.questions(s, app) if q.task_id == task.id]
    left, overdue = time_left(task.time_left_seconds)
    return {
        "task": task, "me": user.username, "decisions": DECISION_LABELS,
        "codes": DECLINE_REASONS, "error": error, "errors": errors or {},
        "values": {"reason_codes": [], **(values or {})},
        "questions": asked, "log": tasklog.entries(task_actions.events(s, user, task.id)),
        "left": left, "overdue": overdue,
        **_hand_over(s, user, task, hand or {"form": "", "errors": {}, "values": {}}),
    }


async def task_view(request: Request, s: Session, user: User, task_id: str,
                    **extra: Any) -> dict[str, Any]:
    task = tasks.get(s, user, task_id)
    app = applications.get_visible(s, user, task.application_id)
    public = await applications.status_of(await client_or_none(request), app)
    records = applications.history(s, app)
    return {
        "app": public, "data": forms.summary(json.loads(app.payload)),
        "checks": [r for r in records if r.kind in ("automated", "rule")],
        "records": records,
        **diagram_context(public, element_names(s, app.process_id, app.process_version)),
        **side(s, user, task, **extra),
    }


async def after(request: Request, s: Session, user: User, task_id: str,
                **extra: Any) -> Response:
    """htmx gets the side column again; a plain form post the whole page (or, when all
    went well, a redirect to it)."""
    failed = bool(extra.get("error") or extra.get("errors")
                  or (extra.get("hand") or {}).get("errors"))
    if is_htmx(request):
        return render(request, "_task_side.html", **side(s, user, tasks.get(s, user, task_id),
                                                         **extra))
    if not failed:
        return RedirectResponse(f"/tasks/{task_id}", status_code=303)
    view = await task_view(request, s, user, task_id, **extra)
    return render(request, "task.html", status_code=422, title=view["task"].name, **view)
