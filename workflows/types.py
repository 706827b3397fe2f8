"""Dataclasses that cross the Temporal boundary: one in, one out, for every workflow,
activity, update and query. Nothing heavy is imported here: the workflow sandbox, the API
and the activities all load this module.

The annotations are evaluated when the module loads (no `from __future__ import
annotations`): Temporal's converter asks for a dataclass's type hints on every payload it
reads, and string annotations would be evaluated again each time (measured on the loan
flow: 3.6 ms of worker CPU per application for those hints, halved without it). So a
class is defined before the classes whose fields name it."""

import base64
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

TASK_QUEUE = "loanflow"

# A JSON-shaped value as it travels in task data.
JSON = Any


@dataclass(frozen=True)
class DefinitionRef:
    """A deployed diagram, pinned: a running instance never moves by itself."""

    process_id: str
    version: int
    sha256: str


@dataclass
class LoanProcessInput:
    application_id: str
    definition: DefinitionRef
    # The application as validated by the API (see api/applications/schemas.py), plus
    # who submitted it; it becomes the process data the diagram's expressions read.
    data: dict[str, JSON]
    applicant_user: str
    submitted_by: str


def process_data(application: dict[str, JSON]) -> dict[str, JSON]:
    """What a loan process starts with; the diagrams' expressions read these names."""
    return {"application": application, "service_errors": [], "verification": {}, "score": {},
            "bureau": {}}


@dataclass
class StepRecord:
    element_id: str
    name: str
    kind: str  # serviceTask, userTask, businessRuleTask, gateway, event
    outcome: str
    at: str  # ISO time, from workflow.now()


@dataclass
class LoanProcessResult:
    application_id: str
    status: str  # approved, declined, failed, completed, cancelled
    outcome: str
    reasons: list[str]
    steps: list[StepRecord]


@dataclass
class OpenTask:
    task_id: str  # "<workflow id>/<element id>/<occurrence>": stable across replay
    element_id: str
    name: str
    lane: str | None
    occurrence: int


@dataclass
class ProcessStatus:
    application_id: str
    status: str  # running, waiting_for_approval, approved, declined, failed, completed
    current_steps: list[str]
    open_tasks: list[OpenTask]
    steps: list[StepRecord]
    definition: DefinitionRef


# --- service tasks -------------------------------------------------------------------


@dataclass
class ServiceTaskInput:
    """What every BPMN-driven activity receives: the opaque ids and the process data the
    diagram has gathered so far (application, earlier results)."""

    application_id: str
    workflow_id: str
    element_id: str
    data: dict[str, JSON]
    # loanflow:* attributes of the service task in the diagram (e.g. message="approved").
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class ServiceTaskResult:
    """What the activity adds to the process data (merged at the top level)."""

    output: dict[str, JSON]


# --- definitions ---------------------------------------------------------------------


@dataclass
class LoadDefinitionInput:
    sha256: str


@dataclass
class LoadDefinitionResult:
    """A deployed definition's documents, as the run that loaded it keeps them in its
    history (a local activity's marker). `packed` holds them zlib-compressed (base64 of
    the JSON `[bpmn, [dmn, ...]]`), a fifth of their size in every history; histories
    recorded before it carry the plain `bpmn_xml` and `dmn_xml`, which still read."""

    sha256: str
    bpmn_xml: str = ""
    dmn_xml: list[str] = field(default_factory=list)
    packed: str = ""

    @classmethod
    def pack(cls, sha256: str, bpmn_xml: str, dmn_xml: list[str]) -> "LoadDefinitionResult":
        text = json.dumps([bpmn_xml, dmn_xml], separators=(",", ":")).encode()
        return cls(sha256, packed=base64.b64encode(zlib.compress(text, 9)).decode("ascii"))

    def documents(self) -> tuple[str, list[str]]:
        """(BPMN text, DMN texts), whichever way they were kept."""
        if not self.packed:
            return self.bpmn_xml, list(self.dmn_xml)
        try:
            bpmn_xml, dmn_xml = json.loads(zlib.decompress(
                base64.b64decode(self.packed, validate=True)))
        except (ValueError, TypeError, zlib.error) as err:
            raise ValueError(f"definition {self.sha256[:12]}: unreadable packed documents"
                             f" ({err})") from None
        if not isinstance(bpmn_xml, str) or not isinstance(dmn_xml, list) \
                or not all(isinstance(d, str) for d in dmn_xml):
            raise ValueError(f"definition {self.sha256[:12]}: packed documents are not"
                             " [bpmn, [dmn, ...]]")
        return bpmn_xml, dmn_xml


# --- human tasks ---------------------------------------------------------------------


@dataclass
class AssignTaskInput:
    task_id: str
    application_id: str
    workflow_id: str
    element_id: str
    occurrence: int
    name: str
    lane: str | None
    amount: float
    loan_type: str
    excluded_users: list[str]
    due_at: str | None
    # From the user task's loanflow:* attributes and the application.
    required_skills: list[str] = field(default_factory=list)
    language: str = ""
    industry: str = ""
    min_authority: float = 0
    effort: float = 1
    priority: int = 0
    # The approver who had this step before (a referral answered, a loop back): kept if
    # still eligible, so the same person sees the case again.
    previous_assignee: str | None = None
    # The task an overdue timer ended, when this one takes over from it (escalation).
    escalated_from: str | None = None


@dataclass
class AssignTaskResult:
    task_id: str
    assignee: str | None
    queue: str
    reason: str


@dataclass
class CompleteTaskInput:
    task_id: str
    actor: str
    actor_roles: list[str]
    decision: str  # approve, decline, refer
    reason: str
    reason_codes: list[str] = field(default_factory=list)


@dataclass
class CompleteTaskResult:
    task_id: str
    accepted: bool
    status: str


@dataclass
class MigrateInput:
    """Update `migrate`: move this instance to another version of its process."""

    definition: DefinitionRef
    actor: str


@dataclass
class MigrateResult:
    application_id: str
    from_version: int
    to_version: int


@dataclass
class AnswerReferralInput:
    """Update `answer_referral`: the applicant has answered an approver's question."""

    task_id: str
    actor: str


@dataclass
class ReferTaskInput:
    task_id: str
    application_id: str
    actor: str  # the approver who asks
    question: str
    referred_at: str  # workflow time, ISO 8601


@dataclass
class ResumeTaskInput:
    task_id: str
    application_id: str
    actor: str  # who answered
    waited_seconds: float  # added to the approver's due time
    answered_at: str


@dataclass
class CloseTaskInput:
    task_id: str
    application_id: str
    actor: str | None
    decision: str
    reason: str


# --- decisions -----------------------------------------------------------------------


@dataclass
class DecisionRecordInput:
    application_id: str
    workflow_id: str
    element_id: str
    occurrence: int
    kind: str  # automated, human, rule
    actor: str  # user name, activity name or rule table
    outcome: str
    reasons: list[str]
    inputs_hash: str
    definition: DefinitionRef
    model_version: str | None = None
    rules_version: str | None = None
    decided_at: str = ""


@dataclass
class DecisionRecordResult:
    record_id: str
    created: bool


@dataclass
class DecisionRecordsInput:
    """Several decision records written in one activity call (each idempotent by its
    workflow id, element, occurrence and kind)."""

    records: list[DecisionRecordInput]


@dataclass
class DecisionRecordsResult:
    created: int


@dataclass
class FinishApplicationInput:
    application_id: str
    status: str
    outcome: str
    reasons: list[str]


# -- retraining from outcomes --------------------------------------------------------------


@dataclass
class RetrainModelsInput:
    models: list[str] = field(default_factory=list)  # empty: every model with a champion
    min_outcome_rows: int = 200  # fewer joined rows: nothing is trained
    fast: bool = False  # few trees: for tests, never for decisions
    actor: str = "retrain-schedule"


@dataclass
class ModelRetrainReport:
    model: str
    action: str  # skipped, promoted, kept_champion, failed
    reason: str
    outcome_rows: int = 0
    training_rows: int = 0
    holdout_rows: int = 0
    champion_version: int | None = None
    challenger_version: int | None = None
    challenger_auc: float | None = None
    champion_auc: float | None = None
    gain: float | None = None
    promoted: bool = False


@dataclass
class RetrainModelsResult:
    models: list[ModelRetrainReport]
