"""Process definitions for the API: list, read, deploy; drafts from the modeler."""

from __future__ import annotations

import json

from pydantic import BaseModel
from sqlmodel import Session

from api.errors import Invalid, NotFound
from api.processes.schemas import DraftIn, DraftPublic, ProblemPublic, ValidateIn, ValidationResult
from bpmn.validate import Problem, validate
from store import definitions, drafts
from store.models import ProcessDefinition, ProcessDraft


class DefinitionPublic(BaseModel):
    process_id: str
    version: int
    sha256: str
    name: str
    loan_type: str | None
    created_by: str
    created_at: str


class DefinitionDetail(DefinitionPublic):
    bpmn_xml: str
    dmn_xml: list[str]


class DeployResult(BaseModel):
    definition: DefinitionPublic
    created: bool


def public(row: ProcessDefinition) -> DefinitionPublic:
    return DefinitionPublic(process_id=row.process_id, version=row.version, sha256=row.sha256,
                            name=row.name, loan_type=row.loan_type, created_by=row.created_by,
                            created_at=row.created_at.isoformat())


def detail(row: ProcessDefinition) -> DefinitionDetail:
    return DefinitionDetail(**public(row).model_dump(), bpmn_xml=row.bpmn_xml,
                            dmn_xml=json.loads(row.dmn_xml))


def deploy(s: Session, bpmn: bytes, dmn: list[bytes], loan_type: str | None,
           user: str) -> DeployResult:
    try:
        done = definitions.deploy(s, bpmn, dmn, loan_type=loan_type, created_by=user)
    except definitions.InvalidDefinition as err:
        raise _refused("the diagram cannot be deployed", err.problems) from None
    return DeployResult(definition=public(done.row), created=done.created)


def _refused(message: str, problems: list[Problem]) -> Invalid:
    return Invalid(message, [{"element_id": p.element_id, "reason": p.reason} for p in problems])


def get(s: Session, process_id: str, version: int) -> ProcessDefinition:
    try:
        return definitions.get_version(s, process_id, version)
    except definitions.DefinitionNotFound as err:
        raise NotFound(str(err)) from None


def check(body: ValidateIn) -> ValidationResult:
    """What deploying would say, without deploying."""
    problems = validate(body.bpmn_xml, body.dmn_xml)
    return ValidationResult(valid=not problems, problems=[
        ProblemPublic(element_id=p.element_id, reason=p.reason) for p in problems])


def draft_public(s: Session, row: ProcessDraft) -> DraftPublic:
    return DraftPublic(process_id=row.process_id, name=row.name, bpmn_xml=row.bpmn_xml,
                       dmn_xml=json.loads(row.dmn_xml), based_on_version=row.based_on_version,
                       latest_version=definitions.latest_version(s, row.process_id),
                       updated_by=row.updated_by, updated_at=row.updated_at.isoformat())


def get_draft(s: Session, process_id: str, user: str) -> DraftPublic:
    row = drafts.get(s, process_id, user)
    if row is None:
        raise NotFound(f"you have no draft of process '{process_id}'")
    return draft_public(s, row)


def save_draft(s: Session, process_id: str, user: str, body: DraftIn) -> DraftPublic:
    try:
        row = drafts.save(s, process_id, user, body.bpmn_xml, body.dmn_xml,
                          body.based_on_version)
    except definitions.InvalidDefinition as err:
        raise _refused("the draft cannot be kept", err.problems) from None
    return draft_public(s, row)


def discard_draft(s: Session, process_id: str, user: str) -> None:
    if not drafts.discard(s, process_id, user):
        raise NotFound(f"you have no draft of process '{process_id}'")


def deploy_draft(s: Session, process_id: str, user: str) -> DeployResult:
    try:
        done = drafts.deploy_draft(s, process_id, user)
    except drafts.DraftNotFound as err:
        raise NotFound(str(err)) from None
    except definitions.InvalidDefinition as err:
        raise _refused("the draft cannot be deployed; it is kept", err.problems) from None
    return DeployResult(definition=public(done.row), created=done.created)
