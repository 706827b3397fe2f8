"""When an approver goes away, their open work goes on: each open or claimed task moves to
their delegate when the delegate may take it, otherwise to whoever the assignment rule
picks, otherwise to the role's shared queue with an alert. Every move is a task event."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import or_
from sqlmodel import Session, col, select

from activities.assignment import Candidate, Requirement, candidate, choose, ineligibility
from api.approvers.schemas import HandoverPublic
from store.approvers import OPEN_STATUSES, OpenLoad, approvers, four_eyes, open_loads
from store.models import Alert, Task, TaskEvent, User


def requirement(s: Session, task: Task) -> Requirement:
    """What this inbox row needs, as the assignment activity saw it."""
    excluded = [u for u in task.excluded_users.split(",") if u]
    eyes = four_eyes(s, task.application_id, excluded)
    return Requirement(
        role=task.role, amount=task.amount, loan_type=task.loan_type,
        skills=[t for t in task.required_skills.split(",") if t], language=task.language,
        industry=task.industry, min_authority=task.min_authority, effort=task.effort,
        applicant=eyes.applicant, submitter=eyes.submitter,
        earlier_deciders=eyes.earlier_deciders,
    )


def hand_over(s: Session, away: User, actor: str, now: dt.datetime) -> list[HandoverPublic]:
    """Move `away`'s open tasks (the caller commits)."""
    tasks = s.exec(select(Task).where(
        col(Task.status).in_(OPEN_STATUSES),
        or_(col(Task.assignee) == away.username, col(Task.claimed_by) == away.username),
    ).order_by(col(Task.created_at))).all()
    if not tasks:
        return []
    loads = open_loads(s)
    people: dict[str, Candidate] = {
        u.username: candidate(u, loads.get(u.username, OpenLoad()).effort,
                              loads.get(u.username, OpenLoad()).tasks)
        for u in approvers(s) if u.username != away.username
    }
    moved = []
    for task in tasks:
        req = requirement(s, task)
        deputy = people.get(away.delegate or "")
        to: str | None
        if deputy is not None and not ineligibility(req, deputy, now):
            to, kind = deputy.username, "delegated"
            why = f"{away.username} is away; {to} is their delegate"
            detail: dict[str, object] = {"away": away.username, "delegate": to}
        else:
            choice = choose(req, people.values(), now)
            to, kind = choice.assignee, "reassigned" if choice.assignee else "queued"
            not_deputy = (f"the delegate {away.delegate} may not take it: "
                          f"{'; '.join(ineligibility(req, deputy, now))}" if deputy is not None
                          else "no delegate")
            why = f"{away.username} is away and {not_deputy}; {choice.summary}"
            detail = {"away": away.username, "delegate": away.delegate, **choice.as_json()}
        s.add(TaskEvent(task_id=task.id, application_id=task.application_id, kind=kind,
                        actor=actor, from_user=away.username, to_user=to, reason=why,
                        detail=json.dumps(detail)))
        task.assignee, task.claimed_by, task.status = to, None, "open"
        task.assignment_reason = why
        s.add(task)
        if to is None:
            _alert(s, task, why)
        else:
            c = people[to]
            people[to] = dataclasses.replace(c, open_effort=c.open_effort + task.effort,
                                             open_tasks=c.open_tasks + 1)
        moved.append(HandoverPublic(task_id=task.id, to_user=to, kind=kind, reason=why))
    return moved


def _alert(s: Session, task: Task, why: str) -> None:
    found = s.exec(select(Alert).where(Alert.kind == "unassigned_task",
                                       Alert.subject == task.id)).first()
    if found is None:
        s.add(Alert(kind="unassigned_task", subject=task.id, role=task.role,
                    message=f"{task.name or task.element_id}: {why}"))
    else:
        found.message, found.resolved_at = f"{task.name or task.element_id}: {why}", None
        s.add(found)
