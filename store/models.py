"""Tables: projections for reading (Temporal is the source of truth for where a process
stands), decision records, deployed definitions and accounts."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    full_name: str = ""
    password_hash: str
    roles: str = ""  # comma separated
    skills: str = ""  # comma separated loan types (personal, micro, business)
    languages: str = ""  # comma separated ISO 639-1 codes (en, zh, ...)
    industries: str = ""  # comma separated industries, for business loans
    authority_limit: float = 0  # the largest amount they may approve
    capacity: float = 10  # effort they can hold open at once
    supervisor: str | None = Field(default=None, max_length=64)
    # Availability: away (out of office) between these times; a delegate takes over.
    away_from: dt.datetime | None = None
    away_until: dt.datetime | None = None
    delegate: str | None = Field(default=None, max_length=64)
    active: bool = True
    created_at: dt.datetime = Field(default_factory=_now)

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]


class ProcessDefinition(SQLModel, table=True):
    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(index=True, max_length=200)
    version: int
    sha256: str = Field(index=True, max_length=64)
    loan_type: str | None = Field(default=None, index=True, max_length=32)
    name: str = ""
    bpmn_xml: str  # as drawn, with layout (for the modeler)
    executable_xml: str  # layout stripped: what the engine runs and the hash covers
    dmn_xml: str = "[]"  # JSON list of DMN documents
    created_by: str = ""
    created_at: dt.datetime = Field(default_factory=_now)


class ProcessDraft(SQLModel, table=True):
    """A process owner's unfinished edit of a process: one per process and person, not
    validated until it is deployed (then it becomes a ProcessDefinition and goes)."""

    __tablename__ = "process_drafts"
    __table_args__ = (UniqueConstraint("process_id", "updated_by"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(index=True, max_length=200)
    name: str = ""
    bpmn_xml: str  # as drawn in the modeler
    dmn_xml: str = "[]"  # JSON list of DMN documents
    based_on_version: int | None = None  # the deployed version the edit started from
    updated_by: str = Field(max_length=64)
    updated_at: dt.datetime = Field(default_factory=_now)


class Application(SQLModel, table=True):
    __tablename__ = "applications"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True)
    applicant_user: str = Field(index=True, max_length=64)
    submitted_by: str = Field(max_length=64)
    loan_type: str = Field(max_length=32)
    amount: float
    term_months: int
    payload: str  # the application JSON
    status: str = Field(default="submitted", index=True, max_length=32)
    outcome: str | None = None
    reasons: str = "[]"
    workflow_id: str = Field(index=True, max_length=120)
    process_id: str
    process_version: int
    sha256: str
    created_at: dt.datetime = Field(default_factory=_now, index=True)
    updated_at: dt.datetime = Field(default_factory=_now)


class Task(SQLModel, table=True):
    """The inbox: one row per user-task occurrence, written by activities."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_assignee", "status", "assignee"),
        Index("ix_tasks_status_role", "status", "role"),
        # The inbox asks for what someone claimed too: without it, an OR over the open
        # tasks scans all of them (measured by `loanflow bench assignment`).
        Index("ix_tasks_status_claimed", "status", "claimed_by"),
    )

    id: str = Field(primary_key=True, max_length=200)  # <workflow id>/<element>/<n>
    application_id: str = Field(index=True, max_length=64)
    workflow_id: str = Field(max_length=120)
    element_id: str = Field(max_length=120)
    occurrence: int = 1
    name: str = ""
    role: str | None = Field(default=None, index=True, max_length=64)
    assignee: str | None = Field(default=None, index=True, max_length=64)
    claimed_by: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", index=True, max_length=16)
    amount: float = 0
    loan_type: str = ""
    excluded_users: str = ""  # comma separated: four eyes
    # What the diagram says the task needs (loanflow:* attributes of the user task).
    required_skills: str = ""  # comma separated
    language: str = ""
    industry: str = ""
    min_authority: float = 0
    effort: float = 1
    priority: int = 0  # higher first
    assignment_reason: str = ""  # one line; the full record is a TaskEvent
    # Referred to the applicant: the approver's clock stops while the applicant answers.
    referred_at: dt.datetime | None = None
    waiting_seconds: float = 0
    remind_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    decision: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    due_at: dt.datetime | None = Field(default=None, index=True)
    created_at: dt.datetime = Field(default_factory=_now)
    closed_at: dt.datetime | None = None


class TaskEvent(SQLModel, table=True):
    """Everything that happened to a task, in order: assigned (with who was eligible and
    why each other one was not chosen), queued, claimed, released, reassigned, delegated,
    referred, answered, reminded, escalated, completed, cancelled."""

    __tablename__ = "task_events"

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(index=True, max_length=200)
    application_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=24)
    actor: str = Field(default="", max_length=64)  # a person, or "loanflow" for the system
    from_user: str | None = Field(default=None, max_length=64)
    to_user: str | None = Field(default=None, max_length=64)
    reason: str = ""
    detail: str = "{}"  # JSON
    at: dt.datetime = Field(default_factory=_now, index=True)


class Alert(SQLModel, table=True):
    """Something a person must look at: a task nobody is eligible for, an overdue queue."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("kind", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    subject: str = Field(max_length=200)  # e.g. the task id
    role: str | None = Field(default=None, max_length=64)
    message: str
    created_at: dt.datetime = Field(default_factory=_now, index=True)
    resolved_at: dt.datetime | None = None


class DecisionRecord(SQLModel, table=True):
    __tablename__ = "decision_records"
    __table_args__ = (UniqueConstraint("workflow_id", "element_id", "occurrence", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(index=True, max_length=64)
    workflow_id: str = Field(max_length=120)
    element_id: str = Field(max_length=120)
    occurrence: int
    kind: str = Field(max_length=16)  # automated, human, process
    actor: str
    outcome: str
    reasons: str = "[]"
    inputs_hash: str
    process_id: str
    process_version: int
    sha256: str
    model_version: str | None = None
    rules_version: str | None = None
    decided_at: str
    created_at: dt.datetime = Field(default_factory=_now)


class Disbursement(SQLModel, table=True):
    __tablename__ = "disbursements"

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(unique=True, max_length=64)  # idempotency key
    amount: float
    reference: str
    created_at: dt.datetime = Field(default_factory=_now)


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("application_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(index=True, max_length=64)
    recipient: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    message: str
    created_at: dt.datetime = Field(default_factory=_now)


class ApplicantRecord(SQLModel, table=True):
    """Who applied, keyed by a keyed digest of the national ID number (never the number):
    finds the same person on several applications with different details."""

    __tablename__ = "applicant_records"

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(index=True, max_length=64)
    application_id: str = Field(unique=True, max_length=64)
    snapshot: str  # JSON of verification.sources.ApplicationSnapshot
    created_at: dt.datetime = Field(default_factory=_now)


class Document(SQLModel, table=True):
    """An uploaded document. The bytes are encrypted at rest (AES-GCM, the row id as
    associated data) under a key kept apart from the database: see store/documents.py."""

    __tablename__ = "documents"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=64)
    owner: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=32)
    content_type: str = Field(max_length=64)
    size: int
    pages: int
    sha256: str = Field(max_length=64)  # of the plain bytes
    key_id: str = Field(default="k1", max_length=16)
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # nonce + sealed
    created_at: dt.datetime = Field(default_factory=_now, index=True)


class ScoreSnapshot(SQLModel, table=True):
    """What the scoring activity scored: the feature row the champion saw and its PD, one
    row per (application, model). Joined with `LoanOutcome` it becomes training data."""

    __tablename__ = "score_snapshots"
    __table_args__ = (UniqueConstraint("application_id", "model"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(index=True, max_length=64)
    model: str = Field(index=True, max_length=64)
    model_version: int
    features: str  # JSON of the feature row (NaN as null)
    pd: float
    created_at: dt.datetime = Field(default_factory=_now, index=True)


class LoanOutcome(SQLModel, table=True):
    """How a loan turned out (servicing reports it): the label for retraining."""

    __tablename__ = "loan_outcomes"

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(unique=True, max_length=64)
    defaulted: bool
    observed_at: dt.datetime = Field(default_factory=_now)
    recorded_by: str = Field(default="", max_length=64)
