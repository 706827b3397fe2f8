"""Process definitions for the API: list, read, deploy."""

from __future__ import annotations

import json

from pydantic import BaseModel
from sqlmodel import Session

from api.errors import Invalid, NotFound
from store import definitions
from store.models import ProcessDefinition


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
        problems = [{"element_id": p.element_id, "reason": p.reason} for p in err.problems]
        raise Invalid("the diagram cannot be deployed", problems) from None
    return DeployResult(definition=public(done.row), created=done.created)


def get(s: Session, process_id: str, version: int) -> ProcessDefinition:
    try:
        return definitions.get_version(s, process_id, version)
    except definitions.DefinitionNotFound as err:
        raise NotFound(str(err)) from None
