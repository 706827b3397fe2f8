"""The approver's inbox: list, claim, release, complete (as a Temporal Update)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import or_
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from bpmn.registry import APPROVER_ROLES, ROLE_RANK
from store.models import Task, User
from workflows.types import CompleteTaskInput, CompleteTaskResult


class Decision(StrEnum):
    approve = "approve"
    decline = "decline"
    refer = "refer"


class CompleteBody(BaseModel):
    decision: Decision
    reason: Annotated[str, Field(max_length=2000)] = ""
    reason_codes: list[Annotated[str, Field(max_length=32)]] = []

    @model_validator(mode="after")
    def _decline_needs_reason(self) -> CompleteBody:
        if self.decision is not Decision.approve and not self.reason.strip():
            raise ValueError(f"reason: a {self.decision.value} needs a reason")
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


def public(t: Task) -> TaskPublic:
    return TaskPublic(
        id=t.id, application_id=t.application_id, element_id=t.element_id, name=t.name,
        role=t.role, assignee=t.assignee, claimed_by=t.claimed_by, status=t.status,
        amount=t.amount, loan_type=t.loan_type, assignment_reason=t.assignment_reason,
        due_at=t.due_at.isoformat() if t.due_at else None, created_at=t.created_at.isoformat(),
        decision=t.decision, decided_by=t.decided_by,
    )


def _roles_covered(user: User) -> list[str]:
    """Roles whose tasks this person may take (a higher role covers the lower ones)."""
    rank = max((ROLE_RANK.get(r, 0) for r in user.role_list), default=0)
    return [r for r, n in ROLE_RANK.items() if n <= rank]


def inbox(s: Session, user: User, include_closed: bool = False) -> list[TaskPublic]:
    if not APPROVER_ROLES & set(user.role_list):
        raise Forbidden("only approvers have an inbox")
    assignee, claimed_by, role = col(Task.assignee), col(Task.claimed_by), col(Task.role)
    mine = or_(assignee == user.username, claimed_by == user.username,
               assignee.is_(None) & role.in_(_roles_covered(user)))
    stmt = select(Task).where(mine)
    if not include_closed:
        stmt = stmt.where(col(Task.status).in_(["open", "claimed"]))
    rows = s.exec(stmt.order_by(col(Task.due_at), col(Task.created_at)))
    return [public(t) for t in rows]


def _get_task(s: Session, user: User, task_id: str) -> Task:
    task = s.get(Task, task_id)
    if task is None or not APPROVER_ROLES & set(user.role_list):
        raise NotFound("no such task")
    return task


def get(s: Session, user: User, task_id: str) -> TaskPublic:
    return public(_get_task(s, user, task_id))


def claim(s: Session, user: User, task_id: str) -> TaskPublic:
    task = _get_task(s, user, task_id)
    if task.status not in ("open", "claimed"):
        raise Conflict(f"task is {task.status}")
    if user.username in task.excluded_users.split(","):
        raise Forbidden("four eyes: you may not decide on this application")
    if task.role not in _roles_covered(user):
        raise Forbidden(f"role '{task.role}' is needed for this task")
    if task.claimed_by and task.claimed_by != user.username:
        raise Conflict(f"already claimed by {task.claimed_by}")
    task.claimed_by, task.assignee, task.status = user.username, user.username, "claimed"
    s.add(task)
    s.commit()
    return public(task)


def release(s: Session, user: User, task_id: str) -> TaskPublic:
    task = _get_task(s, user, task_id)
    if task.claimed_by != user.username:
        raise Conflict("you have not claimed this task")
    task.claimed_by, task.status = None, "open"
    s.add(task)
    s.commit()
    return public(task)


_UPDATE_ERRORS: dict[str, type[Exception]] = {
    "StaleTask": Conflict, "FourEyes": Forbidden, "Unauthorised": Forbidden,
    "InvalidDecision": Invalid,
}


async def complete(
    s: Session, client: Client, user: User, task_id: str, body: CompleteBody
) -> CompleteTaskResult:
    task = _get_task(s, user, task_id)
    if task.status in ("done", "cancelled"):
        raise Conflict(f"task is already {task.status}")
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
    task.status, task.decision, task.reason = "done", body.decision.value, body.reason
    task.decided_by, task.closed_at = user.username, dt.datetime.now(dt.UTC)
    s.add(task)
    s.commit()
    return result


def all_tasks(s: Session, application_id: str) -> list[TaskPublic]:
    return [public(t) for t in s.exec(select(Task).where(Task.application_id == application_id))]
