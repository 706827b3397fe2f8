"""Submitting and following applications. Knows nothing of HTTP."""

from __future__ import annotations

import json

from pydantic import BaseModel
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError

from api.applications.schemas import ApplicationCreate
from api.auth.service import STAFF
from api.errors import Invalid, NotFound, Unavailable
from store.definitions import DefinitionNotFound, latest_for_loan_type
from store.models import Application, DecisionRecord, Document, User
from workflows.types import (
    DefinitionRef,
    LoanProcessInput,
    ProcessStatus,
    StepRecord,
    process_data,
)

WORKFLOW = "LoanProcessWorkflow"
FINAL = ("approved", "declined", "failed", "completed")


class StepPublic(BaseModel):
    element_id: str
    name: str
    kind: str
    outcome: str
    at: str


class ApplicationPublic(BaseModel):
    id: str
    status: str
    outcome: str | None
    reasons: list[str]
    loan_type: str
    amount: float
    term_months: int
    applicant: str
    process_id: str
    process_version: int
    sha256: str
    created_at: str
    current_steps: list[str] = []
    steps: list[StepPublic] = []
    open_tasks: list[str] = []


class DecisionPublic(BaseModel):
    element_id: str
    occurrence: int
    kind: str
    actor: str
    outcome: str
    reasons: list[str]
    inputs_hash: str
    process_id: str
    process_version: int
    sha256: str
    model_version: str | None
    rules_version: str | None
    decided_at: str


def workflow_id(application_id: str) -> str:
    return f"application-{application_id}"


def _public(app: Application, status: ProcessStatus | None = None) -> ApplicationPublic:
    out = ApplicationPublic(
        id=app.id, status=app.status, outcome=app.outcome, reasons=json.loads(app.reasons),
        loan_type=app.loan_type, amount=app.amount, term_months=app.term_months,
        applicant=app.applicant_user, process_id=app.process_id,
        process_version=app.process_version, sha256=app.sha256,
        created_at=app.created_at.isoformat(),
    )
    if status is not None:
        # Where it stands comes from the workflow; the final outcome from the record the
        # finishing activity wrote, so status and outcome always agree.
        if app.status not in FINAL and status.status not in (*FINAL, "starting"):
            out.status = status.status
        out.current_steps = status.current_steps
        out.steps = [StepPublic(**s.__dict__) if isinstance(s, StepRecord) else StepPublic(**s)
                     for s in status.steps]
        out.open_tasks = [t.task_id for t in status.open_tasks]
    return out


def _check_documents(s: Session, user: User, body: ApplicationCreate) -> None:
    """Each referenced document must be one the caller uploaded, of the kind named."""
    errors: list[dict[str, object]] = []
    for i, ref in enumerate(body.documents):
        row = s.get(Document, ref.document_id)
        if row is None or row.owner != user.username:
            errors.append({"loc": ["body", "documents", i, "document_id"],
                           "msg": "not one of your uploaded documents"})
        elif row.kind != ref.kind.value:
            errors.append({"loc": ["body", "documents", i, "kind"],
                           "msg": f"the document was uploaded as {row.kind}"})
    if errors:
        raise Invalid(f"documents: {errors[0]['msg']}", errors)


async def submit(s: Session, client: Client, user: User, body: ApplicationCreate,
                 task_queue: str) -> ApplicationPublic:
    _check_documents(s, user, body)
    try:
        definition = latest_for_loan_type(s, body.loan_type.value, body.process_version)
    except DefinitionNotFound as err:
        raise Invalid(str(err), [{"loc": ["body", "process_version"], "msg": str(err)}]) from None
    payload = body.model_dump(mode="json", exclude={"process_version"})
    app = Application(
        applicant_user=user.username, submitted_by=user.username, loan_type=body.loan_type.value,
        amount=body.amount, term_months=body.term_months, payload=json.dumps(payload),
        workflow_id="", process_id=definition.process_id,
        process_version=definition.version, sha256=definition.sha256,
    )
    app.workflow_id = workflow_id(app.id)
    s.add(app)
    s.commit()
    s.refresh(app)
    ref = DefinitionRef(definition.process_id, definition.version, definition.sha256)
    try:
        await client.start_workflow(
            WORKFLOW,
            LoanProcessInput(app.id, ref, process_data(payload), user.username, user.username),
            id=app.workflow_id, task_queue=task_queue,
        )
    except RPCError as err:
        s.delete(app)  # nothing half-done is left behind: the caller may simply retry
        s.commit()
        raise Unavailable(f"workflow engine unavailable: {err.message}") from None
    return _public(app)


def get_visible(s: Session, user: User, application_id: str) -> Application:
    app = s.get(Application, application_id)
    if app is None or (app.applicant_user != user.username and not STAFF & set(user.role_list)):
        raise NotFound("no such application")
    return app


async def status_of(client: Client | None, app: Application) -> ApplicationPublic:
    if client is None:
        return _public(app)
    try:
        status = await client.get_workflow_handle(app.workflow_id).query(
            "status", result_type=ProcessStatus)
    except (RPCError, WorkflowFailureError):
        return _public(app)  # the projection still answers while Temporal is away
    return _public(app, status)


def list_visible(s: Session, user: User, limit: int, offset: int) -> list[ApplicationPublic]:
    stmt = select(Application)
    if not STAFF & set(user.role_list):
        stmt = stmt.where(Application.applicant_user == user.username)
    rows = s.exec(stmt.order_by(col(Application.created_at).desc()).offset(offset).limit(limit))
    return [_public(a) for a in rows]


def history(s: Session, app: Application) -> list[DecisionPublic]:
    rows = s.exec(select(DecisionRecord).where(DecisionRecord.application_id == app.id)
                  .order_by(col(DecisionRecord.decided_at), col(DecisionRecord.id)))
    return [DecisionPublic(
        element_id=r.element_id, occurrence=r.occurrence, kind=r.kind, actor=r.actor,
        outcome=r.outcome, reasons=json.loads(r.reasons), inputs_hash=r.inputs_hash,
        process_id=r.process_id, process_version=r.process_version, sha256=r.sha256,
        model_version=r.model_version, rules_version=r.rules_version, decided_at=r.decided_at,
    ) for r in rows]
