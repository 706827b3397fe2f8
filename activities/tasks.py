"""Activities of a human task's life after its assignment: a referral to the applicant
and its answer, and the reminder before the due time. Each is idempotent: a retried
activity finds its event already written and writes nothing twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from store.models import Application, Notification, Task, TaskEvent
from workflows.types import ReferTaskInput, ResumeTaskInput, ServiceTaskInput, ServiceTaskResult

SessionFactory = Callable[[], Session]
SYSTEM = "loanflow"


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # SQLite hands back naive datetimes
    return value


def _later(value: dt.datetime | None, by: dt.timedelta) -> dt.datetime | None:
    aware = _aware(value)
    return aware + by if aware is not None else None


def _event_exists(s: Session, task_id: str, kind: str, marker: str) -> bool:
    """Events of one kind carry a marker in their detail: a retry finds its own."""
    for ev in s.exec(select(TaskEvent).where(TaskEvent.task_id == task_id,
                                             TaskEvent.kind == kind)):
        if json.loads(ev.detail or "{}").get("marker") == marker:
            return True
    return False


def _notify(s: Session, application_id: str, recipient: str, kind: str, message: str) -> None:
    found = s.exec(select(Notification).where(Notification.application_id == application_id,
                                              Notification.kind == kind)).first()
    if found is None:
        s.add(Notification(application_id=application_id, recipient=recipient, kind=kind,
                           message=message))


class TaskActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name="refer_task")
    def refer_task(self, inp: ReferTaskInput) -> None:
        """The approver asks the applicant: the task waits, the approver's clock stops."""
        marker = _key(inp.task_id, inp.referred_at)
        with self._sessions() as s:
            task = s.get(Task, inp.task_id)
            if task is None:
                raise ApplicationError(f"no task {inp.task_id}", type="UnknownTask",
                                       non_retryable=True)
            if _event_exists(s, inp.task_id, "referred", marker):
                return
            task.status = "referred"
            task.referred_at = dt.datetime.fromisoformat(inp.referred_at)
            task.claimed_by = task.claimed_by or inp.actor
            task.assignee = inp.actor
            s.add(task)
            s.add(TaskEvent(task_id=inp.task_id, application_id=inp.application_id,
                            kind="referred", actor=inp.actor, from_user=inp.actor,
                            reason=inp.question, detail=json.dumps({"marker": marker})))
            app = s.get(Application, inp.application_id)
            if app is not None:
                app.status = "waiting_for_applicant"
                s.add(app)
                _notify(s, inp.application_id, app.applicant_user, f"referral-{marker}",
                        "The lender needs more from you to decide: " + inp.question)
            self._commit(s)

    @activity.defn(name="resume_task")
    def resume_task(self, inp: ResumeTaskInput) -> None:
        """The applicant answered: the task goes back to the approver who asked, its due
        time moved by the time spent waiting."""
        marker = _key(inp.task_id, inp.answered_at)
        with self._sessions() as s:
            task = s.get(Task, inp.task_id)
            if task is None or _event_exists(s, inp.task_id, "resumed", marker):
                return
            wait = dt.timedelta(seconds=inp.waited_seconds)
            task.status = "claimed" if task.claimed_by else "open"
            task.referred_at = None
            task.waiting_seconds += inp.waited_seconds
            task.due_at = _later(task.due_at, wait)
            task.remind_at = _later(task.remind_at, wait)
            s.add(task)
            s.add(TaskEvent(task_id=inp.task_id, application_id=inp.application_id,
                            kind="resumed", actor=inp.actor, to_user=task.assignee,
                            reason=f"the applicant answered after {wait}; due time moved by "
                                   "as much",
                            detail=json.dumps({"marker": marker,
                                               "waited_seconds": inp.waited_seconds})))
            app = s.get(Application, inp.application_id)
            if app is not None:
                app.status = "in_review"
                s.add(app)
            if task.assignee:
                _notify(s, inp.application_id, task.assignee, f"answered-{marker}",
                        f"The applicant answered your question on task {task.name}")
            self._commit(s)

    @activity.defn(name="remind_approver")
    def remind_approver(self, inp: ServiceTaskInput) -> ServiceTaskResult:
        """Reached by a non-interrupting timer before a review's due time: remind whoever
        holds the task (or the role's queue), once per task."""
        element = inp.params.get("task", "")
        with self._sessions() as s:
            task = s.exec(select(Task).where(
                Task.application_id == inp.application_id, Task.element_id == element,
                Task.status.in_(["open", "claimed"]),  # type: ignore[attr-defined]
            ).order_by(Task.occurrence.desc())).first()  # type: ignore[attr-defined]
            if task is None:
                return ServiceTaskResult({"reminded": None})
            if task.reminded_at is None:
                who = task.claimed_by or task.assignee
                task.reminded_at = dt.datetime.now(dt.UTC)
                s.add(task)
                s.add(TaskEvent(task_id=task.id, application_id=inp.application_id,
                                kind="reminded", actor=SYSTEM, to_user=who,
                                reason=f"due at {task.due_at.isoformat() if task.due_at else '?'}"))
                _notify(s, inp.application_id, who or f"queue:{task.role}",
                        f"reminder-{_key(task.id)}",
                        f"Task '{task.name}' is due soon")
                self._commit(s)
            return ServiceTaskResult({"reminded": task.claimed_by or task.assignee})

    @staticmethod
    def _commit(s: Session) -> None:
        try:
            s.commit()
        except IntegrityError:  # a concurrent retry wrote the same thing first
            s.rollback()
