"""What people do with a task besides deciding it: claim, release, reassign (a supervisor,
with a reason), delegate (its holder, with a reason). Each is checked against the same
eligibility rule as the automatic assignment and written as a task event."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from activities.assignment import Requirement, candidate, ineligibility
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.tasks.service import OPEN, TaskPublic, _get_task, _roles_covered, public
from bpmn.registry import ROLE_RANK
from store.approvers import OpenLoad, four_eyes, open_loads
from store.models import Alert, Application, Task, TaskEvent, User


class HandOver(BaseModel):
    to: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Annotated[str, Field(min_length=3, max_length=1000)]


class TaskEventPublic(BaseModel):
    kind: str
    actor: str
    from_user: str | None
    to_user: str | None
    reason: str
    detail: dict[str, Any]
    at: str


def _event(s: Session, task: Task, kind: str, actor: str, *, from_user: str | None = None,
           to_user: str | None = None, reason: str = "") -> None:
    s.add(TaskEvent(task_id=task.id, application_id=task.application_id, kind=kind,
                    actor=actor, from_user=from_user, to_user=to_user, reason=reason))


def _open(task: Task) -> None:
    if task.status not in OPEN:
        raise Conflict(f"task is {task.status}")


def claim(s: Session, user: User, task_id: str) -> TaskPublic:
    task = _get_task(s, user, task_id)
    _open(task)
    if user.username in task.excluded_users.split(","):
        raise Forbidden("four eyes: you may not decide on this application")
    if task.role not in _roles_covered(user):
        raise Forbidden(f"role '{task.role}' is needed for this task")
    if task.claimed_by and task.claimed_by != user.username:
        raise Conflict(f"already claimed by {task.claimed_by}")
    if task.claimed_by == user.username:
        return public(task)
    _event(s, task, "claimed", user.username, from_user=task.assignee, to_user=user.username)
    task.claimed_by, task.assignee = user.username, user.username
    task.status = "claimed" if task.status == "open" else task.status
    s.add(task)
    _resolve_alert(s, task)
    s.commit()
    return public(task)


def release(s: Session, user: User, task_id: str) -> TaskPublic:
    """Give a claimed task back to the role's shared queue."""
    task = _get_task(s, user, task_id)
    if task.claimed_by != user.username:
        raise Conflict("you have not claimed this task")
    if task.status == "referred":
        raise Conflict("the task waits for the applicant's answer: it stays with you")
    _event(s, task, "released", user.username, from_user=user.username)
    task.claimed_by, task.assignee, task.status = None, None, "open"
    s.add(task)
    s.commit()
    return public(task)


def _may_supervise(s: Session, user: User, task: Task) -> bool:
    if "admin" in user.role_list:
        return True
    holder = task.claimed_by or task.assignee
    if holder:
        row = s.exec(select(User).where(User.username == holder)).first()
        if row is not None and row.supervisor == user.username:
            return True
    # A higher approver role supervises the work of the lower ones.
    mine = max((ROLE_RANK.get(r, 0) for r in user.role_list), default=0)
    return mine > ROLE_RANK.get(task.role or "", 0)


def _target(s: Session, task: Task, username: str) -> User:
    """The person a task is handed to, if the assignment rule lets them take it."""
    target = s.exec(select(User).where(User.username == username, col(User.active))).first()
    if target is None:
        raise Invalid(f"to: no active user '{username}'")
    eyes = four_eyes(s, task.application_id, [x for x in task.excluded_users.split(",") if x])
    req = Requirement(
        role=task.role, amount=task.amount, loan_type=task.loan_type,
        skills=[x for x in task.required_skills.split(",") if x], language=task.language,
        industry=task.industry, min_authority=task.min_authority, effort=task.effort,
        applicant=eyes.applicant, submitter=eyes.submitter,
        earlier_deciders=eyes.earlier_deciders,
    )
    load = open_loads(s).get(username, OpenLoad())
    why = ineligibility(req, candidate(target, load.effort, load.tasks), dt.datetime.now(dt.UTC))
    if why:
        raise Invalid(f"to: {username} may not take this task: {'; '.join(why)}")
    return target


def _hand_over(s: Session, task: Task, actor: str, body: HandOver, kind: str) -> TaskPublic:
    target = _target(s, task, body.to)
    holder = task.claimed_by or task.assignee
    if target.username == holder:
        raise Conflict(f"the task is already with {holder}")
    _event(s, task, kind, actor, from_user=holder, to_user=target.username, reason=body.reason)
    # The new holder has it; a referral in progress stays a referral.
    task.assignee, task.claimed_by = target.username, None
    if task.status == "claimed":
        task.status = "open"
    s.add(task)
    _resolve_alert(s, task)
    s.commit()
    return public(task)


def reassign(s: Session, user: User, task_id: str, body: HandOver) -> TaskPublic:
    """A supervisor moves a task to someone else (with a reason)."""
    task = _get_task(s, user, task_id)
    _open(task)
    if not _may_supervise(s, user, task):
        raise Forbidden("only a supervisor of this task's holder or role, or an admin, "
                        "may reassign it")
    return _hand_over(s, task, user.username, body, "reassigned")


def delegate(s: Session, user: User, task_id: str, body: HandOver) -> TaskPublic:
    """Whoever holds a task passes it to a colleague who may take it (with a reason)."""
    task = _get_task(s, user, task_id)
    _open(task)
    if user.username not in (task.assignee, task.claimed_by):
        raise Forbidden("only the task's holder may delegate it")
    return _hand_over(s, task, user.username, body, "delegated")


def events(s: Session, user: User, task_id: str) -> list[TaskEventPublic]:
    task = _get_task(s, user, task_id)
    rows = s.exec(select(TaskEvent).where(TaskEvent.task_id == task.id)
                  .order_by(col(TaskEvent.at), col(TaskEvent.id)))
    return [TaskEventPublic(kind=e.kind, actor=e.actor, from_user=e.from_user,
                            to_user=e.to_user, reason=e.reason,
                            detail=json.loads(e.detail or "{}"),
                            at=(e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC))
                            .isoformat())
            for e in rows]


def _resolve_alert(s: Session, task: Task) -> None:
    for alert in s.exec(select(Alert).where(Alert.subject == task.id,
                                            col(Alert.resolved_at).is_(None))):
        alert.resolved_at = dt.datetime.now(dt.UTC)
        s.add(alert)


class AlertPublic(BaseModel):
    id: int
    kind: str
    subject: str
    role: str | None
    message: str
    created_at: str
    resolved_at: str | None


def alerts(s: Session, user: User, include_resolved: bool = False) -> list[AlertPublic]:
    """Tasks nobody could take, for supervisors and admins."""
    rank = max((ROLE_RANK.get(r, 0) for r in user.role_list), default=0)
    if "admin" not in user.role_list and rank < ROLE_RANK["senior_approver"]:
        raise Forbidden("alerts are for supervisors and admins")
    stmt = select(Alert)
    if not include_resolved:
        stmt = stmt.where(col(Alert.resolved_at).is_(None))
    return [AlertPublic(id=a.id or 0, kind=a.kind, subject=a.subject, role=a.role,
                        message=a.message, created_at=a.created_at.isoformat(),
                        resolved_at=a.resolved_at.isoformat() if a.resolved_at else None)
            for a in s.exec(stmt.order_by(col(Alert.created_at).desc()).limit(500))]


def referral_for(s: Session, application_id: str) -> Task:
    """The task of an application that waits on the applicant's answer."""
    task = s.exec(select(Task).where(Task.application_id == application_id,
                                     Task.status == "referred")).first()
    if task is None or s.get(Application, application_id) is None:
        raise NotFound("no question is waiting for an answer on this application")
    return task
