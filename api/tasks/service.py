"""The approver's inbox: list, claim, release, complete (as a Temporal Update)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import Row, or_
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from bpmn.registry import APPROVER_ROLES, ROLE_RANK
from store.models import Task, User
from workflows.reasons import unknown_codes
from workflows.types import CompleteTaskInput, CompleteTaskResult


class Decision(StrEnum):
    approve = "approve"
    decline = "decline"
    refer = "refer"


class CompleteBody(BaseModel):
    """approve | decline | refer. A decline names at least one code of the catalogue
    (GET /api/tasks/reason-codes); a refer's reason is the question to the applicant."""

    decision: Decision
    reason: Annotated[str, Field(max_length=2000)] = ""
    reason_codes: list[Annotated[str, Field(max_length=32)]] = Field(default=[], max_length=10)

    @field_validator("reason_codes")
    @classmethod
    def _known_codes(cls, codes: list[str]) -> list[str]:
        unknown = unknown_codes(codes)
        if unknown:
            raise ValueError(f"unknown reason codes: {', '.join(unknown)}")
        return codes

    @model_validator(mode="after")
    def _decline_needs_reason(self) -> CompleteBody:
        if self.decision is not Decision.approve and not self.reason.strip():
            raise ValueError(f"reason: a {self.decision.value} needs a reason")
        if self.decision is Decision.decline and not self.reason_codes:
            raise ValueError("reason_codes: a decline needs at least one reason code")
        return self


class TaskPublic(BaseModel):
    id: str
    application_id: str
    element_id: str
    name: str
    role: str | None
    assignee: str | None
    claimed_by: str | None
    status: str
    amount: float
    loan_type: str
    assignment_reason: str
    due_at: str | None
    created_at: str
    decision: str | None
    decided_by: str | None
    priority: int = 0
    effort: float = 1
    required_skills: list[str] = []
    referred_at: str | None = None
    waiting_seconds: float = 0
    reminded_at: str | None = None
    # Seconds to the due time (negative: overdue), None without a deadline; the clock
    # stops while the task waits on the applicant.
    time_left_seconds: float | None = None


def _iso(value: dt.datetime | None) -> str | None:
    return _aware(value).isoformat() if value is not None else None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite is naive


def _time_left(t: Task | Row[Any], now: dt.datetime) -> float | None:
    if t.due_at is None or t.status in ("done", "cancelled"):
        return None
    at = _aware(t.referred_at) if t.referred_at is not None else now  # clock stopped
    return (_aware(t.due_at) - at).total_seconds()


# What a task's public view reads: an inbox selects just these columns as plain rows
# (no ORM objects), which is most of what a long inbox costs.
_PUBLIC_COLUMNS = tuple(col(getattr(Task, name)) for name in (
    "id", "application_id", "element_id", "name", "role", "assignee", "claimed_by", "status",
    "amount", "loan_type", "assignment_reason", "due_at", "created_at", "decision",
    "decided_by", "priority", "effort", "required_skills", "referred_at", "waiting_seconds",
    "reminded_at"))


def public(t: Task | Row[Any], now: dt.datetime | None = None) -> TaskPublic:
    return TaskPublic(
        id=t.id, application_id=t.application_id, element_id=t.element_id, name=t.name,
        role=t.role, assignee=t.assignee, claimed_by=t.claimed_by, status=t.status,
        amount=t.amount, loan_type=t.loan_type, assignment_reason=t.assignment_reason,
        due_at=_iso(t.due_at), created_at=_aware(t.created_at).isoformat(),
        decision=t.decision, decided_by=t.decided_by, priority=t.priority, effort=t.effort,
        required_skills=[x for x in t.required_skills.split(",") if x],
        referred_at=_iso(t.referred_at), waiting_seconds=t.waiting_seconds,
        reminded_at=_iso(t.reminded_at),
        time_left_seconds=_time_left(t, now or dt.datetime.now(dt.UTC)),
    )


def _roles_covered(user: User) -> list[str]:
    """Roles whose tasks this person may take (a higher role covers the lower ones)."""
    rank = max((ROLE_RANK.get(r, 0) for r in user.role_list), default=0)
    return [r for r, n in ROLE_RANK.items() if n <= rank]


class View(StrEnum):
    all = "all"  # mine and my roles' shared queues
    mine = "mine"  # assigned to or claimed by me
    queue = "queue"  # nobody's yet: my roles' shared queues


class Sort(StrEnum):
    due = "due"  # earliest due first, no deadline last
    priority = "priority"  # highest priority first, then due


OPEN = ("open", "claimed", "referred")


def inbox(s: Session, user: User, include_closed: bool = False, view: View = View.all,
          sort: Sort = Sort.due, limit: int = 500) -> list[TaskPublic]:
    if not APPROVER_ROLES & set(user.role_list):
        raise Forbidden("only approvers have an inbox")
    assignee, claimed_by, role = col(Task.assignee), col(Task.claimed_by), col(Task.role)
    mine = or_(assignee == user.username, claimed_by == user.username)
    queue = assignee.is_(None) & role.in_(_roles_covered(user))
    where = {View.all: or_(mine, queue), View.mine: mine, View.queue: queue}[view]
    stmt = select(*_PUBLIC_COLUMNS).where(where)
    if not include_closed:
        stmt = stmt.where(col(Task.status).in_(OPEN))
    # No deadline sorts last on SQLite and PostgreSQL alike.
    due = (col(Task.due_at).is_(None), col(Task.due_at))
    order = (*due, col(Task.created_at)) if sort is Sort.due \
        else (col(Task.priority).desc(), *due, col(Task.created_at))
    now = dt.datetime.now(dt.UTC)
    return [public(t, now) for t in s.exec(stmt.order_by(*order).limit(limit))]


def _get_task(s: Session, user: User, task_id: str) -> Task:
    task = s.get(Task, task_id)
    if task is None or not (APPROVER_ROLES | {"admin"}) & set(user.role_list):
        raise NotFound("no such task")
    return task


def get(s: Session, user: User, task_id: str) -> TaskPublic:
    return public(_get_task(s, user, task_id))


_UPDATE_ERRORS: dict[str, type[Exception]] = {
    "StaleTask": Conflict, "FourEyes": Forbidden, "Unauthorised": Forbidden,
    "InvalidDecision": Invalid, "Referred": Conflict,
}


async def complete(
    s: Session, client: Client, user: User, task_id: str, body: CompleteBody
) -> CompleteTaskResult:
    task = _get_task(s, user, task_id)
    if task.status in ("done", "cancelled"):
        raise Conflict(f"task is already {task.status}")
    if task.status == "referred":
        raise Conflict("the task waits for the applicant's answer")
    if task.claimed_by != user.username:
        raise Conflict("claim the task before completing it")
    decision = CompleteTaskInput(task_id, user.username, user.role_list, body.decision.value,
                                 body.reason, list(body.reason_codes))
    try:
        result: CompleteTaskResult = await client.get_workflow_handle(task.workflow_id) \
            .execute_update("complete_task", decision, result_type=CompleteTaskResult)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        kind = cause.type if isinstance(cause, ApplicationError) else None
        message = cause.message if isinstance(cause, ApplicationError) else str(err)
        raise _UPDATE_ERRORS.get(kind or "", Conflict)(message) from None
    except RPCError as err:
        raise Unavailable(f"workflow engine unavailable: {err.message}") from None
    if body.decision is not Decision.refer:  # a referral is written by its activity
        task.status, task.decision, task.reason = "done", body.decision.value, body.reason
        task.decided_by, task.closed_at = user.username, dt.datetime.now(dt.UTC)
        s.add(task)
        s.commit()
    return result


def all_tasks(s: Session, application_id: str) -> list[TaskPublic]:
    return [public(t) for t in s.exec(select(Task).where(Task.application_id == application_id))]
