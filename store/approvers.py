"""Queries about approvers shared by the assignment activity, the approver admin API and
the assignment benchmark: who the approvers are, how loaded each one is, and who may not
decide on an application (four eyes)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from bpmn.registry import APPROVER_ROLES
from store.models import Application, Task, User

OPEN_STATUSES = ("open", "claimed")


@dataclass(frozen=True)
class OpenLoad:
    effort: float = 0  # sum of the effort of their open and claimed tasks
    tasks: int = 0


def open_loads(s: Session) -> dict[str, OpenLoad]:
    """Every assignee's open work, in one grouped query."""
    rows = s.exec(
        select(Task.assignee, func.coalesce(func.sum(Task.effort), 0), func.count())
        .where(col(Task.status).in_(OPEN_STATUSES), col(Task.assignee).is_not(None))
        .group_by(col(Task.assignee))
    ).all()
    return {str(a): OpenLoad(float(e), int(n)) for a, e, n in rows}


def is_approver(user: User) -> bool:
    return bool(APPROVER_ROLES & set(user.role_list))


def approvers(s: Session) -> list[User]:
    """Active users holding an approver role, by username."""
    users = s.exec(select(User).where(col(User.active)).order_by(col(User.username))).all()
    return [u for u in users if is_approver(u)]


@dataclass(frozen=True)
class FourEyes:
    applicant: str = ""
    submitter: str = ""
    earlier_deciders: frozenset[str] = frozenset()


def four_eyes(s: Session, application_id: str, excluded: list[str] | None = None) -> FourEyes:
    """The applicant, the submitter, and whoever already decided a task of this application
    (the inbox's record, plus what the workflow says in `excluded`)."""
    app = s.get(Application, application_id)
    applicant = app.applicant_user if app else ""
    submitter = app.submitted_by if app else ""
    decided = s.exec(select(Task.decided_by).where(
        Task.application_id == application_id, col(Task.decided_by).is_not(None))).all()
    others = {d for d in [*decided, *(excluded or [])] if d} - {applicant, submitter}
    return FourEyes(applicant, submitter, frozenset(others))
