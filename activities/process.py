"""Activities of the process itself: definitions, the inbox, decision records, payout and
notices. Each writes through the database and is idempotent by its natural key, so a
retried or replayed activity never writes twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.assignment import Choice, Requirement, candidate, choose
from bpmn.registry import lane_role
from store.approvers import OpenLoad, approvers, four_eyes, open_loads
from store.models import (
    Alert,
    Application,
    DecisionRecord,
    Disbursement,
    Notification,
    ProcessDefinition,
    Task,
    TaskEvent,
)
from workflows.types import (
    AssignTaskInput,
    AssignTaskResult,
    CloseTaskInput,
    DecisionRecordInput,
    DecisionRecordResult,
    DecisionRecordsInput,
    DecisionRecordsResult,
    FinishApplicationInput,
    LoadDefinitionInput,
    LoadDefinitionResult,
    ServiceTaskInput,
    ServiceTaskResult,
)

SessionFactory = Callable[[], Session]
SYSTEM = "loanflow"  # the actor of what the process does by itself


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _parse_due(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    if value.startswith("P"):
        return _now() + _iso_duration(value)
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _iso_duration(value: str) -> dt.timedelta:
    import re

    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", value)
    if not m:
        return dt.timedelta(0)
    d, h, mi, s = (int(x or 0) for x in m.groups())
    return dt.timedelta(days=d, hours=h, minutes=mi, seconds=s)


_DEFINITIONS_KEPT = 256  # versions in use at once are far fewer


class ProcessActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions
        self._definitions: dict[str, LoadDefinitionResult] = {}

    # -- definitions ---------------------------------------------------------------------

    @activity.defn(name="load_definition")
    async def load_definition(self, inp: LoadDefinitionInput) -> LoadDefinitionResult:
        """A deployed definition's documents by their sha256. Rows are content-addressed
        and never change, so each is read once per worker and then served from memory,
        on the event loop, without a hop to the activity thread pool."""
        hit = self._definitions.get(inp.sha256)
        if hit is None:
            hit = await asyncio.to_thread(self._read_definition, inp.sha256)
            if len(self._definitions) >= _DEFINITIONS_KEPT:  # the oldest goes first
                del self._definitions[next(iter(self._definitions))]
            self._definitions[inp.sha256] = hit
        return hit

    def _read_definition(self, sha256: str) -> LoadDefinitionResult:
        with self._sessions() as s:
            row = s.exec(
                select(ProcessDefinition).where(ProcessDefinition.sha256 == sha256)
            ).first()
            if row is None:
                raise ApplicationError(f"no deployed definition with sha256 {sha256}",
                                       type="UnknownDefinition", non_retryable=True)
            return LoadDefinitionResult.pack(row.sha256, row.executable_xml,
                                             json.loads(row.dmn_xml))

    # -- inbox ---------------------------------------------------------------------------

    @activity.defn(name="assign_task")
    def assign_task(self, inp: AssignTaskInput) -> AssignTaskResult:
        role = lane_role(inp.lane)
        with self._sessions() as s:
            existing = s.get(Task, inp.task_id)
            if existing is not None:  # a retry after the row was written
                return AssignTaskResult(inp.task_id, existing.assignee, existing.role or "",
                                        existing.assignment_reason)
            choice = self._choose(s, role, inp)
            assignee = choice.assignee
            s.add(Task(
                id=inp.task_id, application_id=inp.application_id, workflow_id=inp.workflow_id,
                element_id=inp.element_id, occurrence=inp.occurrence, name=inp.name, role=role,
                assignee=assignee, amount=inp.amount, loan_type=inp.loan_type,
                excluded_users=",".join(inp.excluded_users), assignment_reason=choice.summary,
                required_skills=",".join(inp.required_skills), language=inp.language,
                industry=choice.requirement.industry, min_authority=inp.min_authority,
                effort=inp.effort, priority=inp.priority, due_at=_parse_due(inp.due_at),
            ))
            _record_choice(s, inp, role, choice)
            _record_escalation(s, inp, choice.assignee)
            app = s.get(Application, inp.application_id)
            if app is not None:
                app.status, app.updated_at = "in_review", _now()
                s.add(app)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                row = s.get(Task, inp.task_id)
                assert row is not None
                return AssignTaskResult(inp.task_id, row.assignee, row.role or "",
                                        row.assignment_reason)
        activity.logger.info("task %s assigned to %s", inp.task_id, assignee or "queue")
        return AssignTaskResult(inp.task_id, assignee, role or "", choice.summary)

    def _choose(self, s: Session, role: str | None, inp: AssignTaskInput) -> Choice:
        """The rule of activities/assignment.py over the approvers and their loads now."""
        eyes = four_eyes(s, inp.application_id, inp.excluded_users)
        industry = inp.industry
        app = s.get(Application, inp.application_id)
        if app is not None and not industry:  # a business loan names its industry
            business = json.loads(app.payload or "{}").get("business") or {}
            industry = str(business.get("industry") or "")
        req = Requirement(
            role=role, amount=inp.amount, loan_type=inp.loan_type,
            skills=[t for t in inp.required_skills if t], language=inp.language, industry=industry,
            min_authority=inp.min_authority, effort=inp.effort, applicant=eyes.applicant,
            submitter=eyes.submitter, earlier_deciders=eyes.earlier_deciders,
            previous_assignee=inp.previous_assignee,
        )
        loads = open_loads(s)
        people = [candidate(u, loads.get(u.username, OpenLoad()).effort,
                            loads.get(u.username, OpenLoad()).tasks) for u in approvers(s)]
        return choose(req, people, _now())

    @activity.defn(name="close_task")
    def close_task(self, inp: CloseTaskInput) -> None:
        with self._sessions() as s:
            row = s.get(Task, inp.task_id)
            if row is None or row.status in ("done", "cancelled"):
                return
            row.status = "cancelled" if inp.decision == "cancelled" else "done"
            row.decision, row.reason, row.decided_by = inp.decision, inp.reason, inp.actor
            row.closed_at = _now()
            s.add(row)
            s.commit()

    # -- decisions -----------------------------------------------------------------------

    @activity.defn(name="record_decision")
    def record_decision(self, inp: DecisionRecordInput) -> DecisionRecordResult:
        with self._sessions() as s:
            return _write_record(s, inp)

    @activity.defn(name="record_decisions")
    def record_decisions(self, inp: DecisionRecordsInput) -> DecisionRecordsResult:
        """Several records in one call (the workflow batches them); each idempotent."""
        with self._sessions() as s:
            return DecisionRecordsResult(sum(_write_record(s, r).created for r in inp.records))

    @activity.defn(name="finish_application")
    def finish_application(self, inp: FinishApplicationInput) -> None:
        with self._sessions() as s:
            app = s.get(Application, inp.application_id)
            if app is None:
                return
            app.status, app.outcome = inp.status, inp.outcome
            app.reasons, app.updated_at = json.dumps(inp.reasons), _now()
            s.add(app)
            for t in s.exec(select(Task).where(Task.application_id == inp.application_id,
                                               col(Task.status).in_(["open", "claimed"]))):
                t.status, t.closed_at = "cancelled", _now()
                s.add(t)
            s.commit()

    # -- payout and notices --------------------------------------------------------------

    @activity.defn(name="disburse_loan")
    def disburse_loan(self, inp: ServiceTaskInput) -> ServiceTaskResult:
        app = _application(inp)
        amount = float(app.get("amount") or 0)
        if not inp.data.get("approvals") and inp.data.get("route") != "auto_approve":
            raise ApplicationError("disbursement without an approval", type="NotApproved",
                                   non_retryable=True)
        reference = "DSB-" + hashlib.sha256(inp.application_id.encode()).hexdigest()[:12].upper()
        with self._sessions() as s:
            found = s.exec(select(Disbursement).where(
                Disbursement.application_id == inp.application_id)).first()
            if found is None:
                s.add(Disbursement(application_id=inp.application_id, amount=amount,
                                   reference=reference))
                try:
                    s.commit()
                except IntegrityError:  # a concurrent retry won: same payout, not two
                    s.rollback()
        return ServiceTaskResult({"disbursement": {"reference": reference, "amount": amount}})

    @activity.defn(name="notify_applicant")
    def notify_applicant(self, inp: ServiceTaskInput) -> ServiceTaskResult:
        decision = inp.params.get("message") or str(inp.data.get("decision") or "decided")
        with self._sessions() as s:
            app = s.get(Application, inp.application_id)
            recipient = app.applicant_user if app else ""
            kind = f"outcome:{decision}"
            exists = s.exec(select(Notification).where(
                Notification.application_id == inp.application_id,
                Notification.kind == kind)).first()
            if exists is None:
                s.add(Notification(application_id=inp.application_id, recipient=recipient,
                                   kind=kind, message=f"Your application: {decision}"))
                try:
                    s.commit()
                except IntegrityError:
                    s.rollback()
        return ServiceTaskResult({"notified": True})


def _write_record(s: Session, inp: DecisionRecordInput) -> DecisionRecordResult:
    found = s.exec(select(DecisionRecord).where(
        DecisionRecord.workflow_id == inp.workflow_id,
        DecisionRecord.element_id == inp.element_id,
        DecisionRecord.occurrence == inp.occurrence,
        DecisionRecord.kind == inp.kind,
    )).first()
    if found is not None:
        return DecisionRecordResult(str(found.id), False)
    rec = DecisionRecord(
        application_id=inp.application_id, workflow_id=inp.workflow_id,
        element_id=inp.element_id, occurrence=inp.occurrence, kind=inp.kind,
        actor=inp.actor, outcome=inp.outcome, reasons=json.dumps(inp.reasons),
        inputs_hash=inp.inputs_hash, process_id=inp.definition.process_id,
        process_version=inp.definition.version, sha256=inp.definition.sha256,
        model_version=inp.model_version, rules_version=inp.rules_version,
        decided_at=inp.decided_at,
    )
    s.add(rec)
    try:
        s.commit()
    except IntegrityError:  # a concurrent retry wrote it first
        s.rollback()
        return DecisionRecordResult("", False)
    return DecisionRecordResult(str(rec.id), True)


def _record_choice(s: Session, inp: AssignTaskInput, role: str | None, choice: Choice) -> None:
    """The full reason as a task event; nobody eligible also raises an alert."""
    detail = json.dumps(choice.as_json())
    if choice.assignee is not None:
        s.add(TaskEvent(task_id=inp.task_id, application_id=inp.application_id, kind="assigned",
                        actor=SYSTEM, to_user=choice.assignee, reason=choice.summary,
                        detail=detail))
        return
    s.add(TaskEvent(task_id=inp.task_id, application_id=inp.application_id, kind="queued",
                    actor=SYSTEM, reason=choice.summary, detail=detail))
    s.add(Alert(kind="unassigned_task", subject=inp.task_id, role=role,
                message=f"{inp.name or inp.element_id}: {choice.summary}"))


def _record_escalation(s: Session, inp: AssignTaskInput, to: str | None) -> None:
    """An overdue task handed up: the chain is on both tasks' logs."""
    if not inp.escalated_from:
        return
    old = s.get(Task, inp.escalated_from)
    holder = (old.claimed_by or old.assignee) if old is not None else None
    detail = json.dumps({"from_task": inp.escalated_from, "to_task": inp.task_id})
    why = f"overdue: handed up to {inp.name or inp.element_id}"
    for task_id in (inp.escalated_from, inp.task_id):
        s.add(TaskEvent(task_id=task_id, application_id=inp.application_id, kind="escalated",
                        actor=SYSTEM, from_user=holder, to_user=to or f"queue:{inp.lane}",
                        reason=why, detail=detail))


def _application(inp: ServiceTaskInput) -> dict[str, Any]:
    app = inp.data.get("application")
    if not isinstance(app, dict):
        raise ApplicationError("process data has no application", type="BadInput",
                               non_retryable=True)
    return app
