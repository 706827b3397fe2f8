"""Deployed process definitions: validated, versioned, content-addressed, immutable."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from bpmn.engine import definition_sha256, executable_process_ids
from bpmn.validate import Problem, validate
from bpmn.xml import parse_document, strip_layout, to_bytes
from store.models import ProcessDefinition

DIAGRAMS = Path(__file__).resolve().parent.parent / "bpmn" / "diagrams"
# Which shipped diagram serves which loan type (and the decision tables it uses).
SHIPPED = {
    "personal": ("loan_personal.bpmn", ["approval_route.dmn"]),
    "business": ("loan_business.bpmn", ["approval_route.dmn"]),
    "micro": ("loan_micro.bpmn", ["approval_route.dmn"]),
}


class InvalidDefinition(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(map(str, self.problems)))


class DefinitionNotFound(Exception):
    pass


@dataclass(frozen=True)
class Deployed:
    row: ProcessDefinition
    created: bool


def executable(bpmn_xml: bytes | str) -> str:
    return to_bytes(strip_layout(parse_document(bpmn_xml))).decode("utf-8")


def executable_bundle(
    bpmn_xml: bytes | str, dmn_xml: Sequence[bytes | str]
) -> tuple[str, list[str], str]:
    """What the engine runs (layout stripped, UTF-8) and the sha256 that pins it."""
    exe = executable(bpmn_xml)
    dmn_text = [to_bytes(parse_document(d, "decision table")).decode("utf-8") for d in dmn_xml]
    return exe, dmn_text, definition_sha256(exe, dmn_text)


def deploy(
    s: Session, bpmn_xml: bytes | str, dmn_xml: Sequence[bytes | str] = (),
    loan_type: str | None = None, created_by: str = "", strict: bool = True,
) -> Deployed:
    """Validate and store a new version; the same content again returns its version."""
    problems = validate(bpmn_xml, dmn_xml, strict=strict)
    if problems:
        raise InvalidDefinition(problems)
    root = parse_document(bpmn_xml)
    process_id = executable_process_ids(root)[0]
    exe, dmn_text, sha = executable_bundle(bpmn_xml, dmn_xml)
    same = s.exec(select(ProcessDefinition).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.sha256 == sha)).first()
    if same is not None:
        return Deployed(same, False)
    last = s.exec(select(func.max(ProcessDefinition.version)).where(
        ProcessDefinition.process_id == process_id)).one()
    if loan_type is None and last:
        loan_type = get_version(s, process_id, last).loan_type  # a new version keeps its type
    proc = root.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process")
    row = ProcessDefinition(
        process_id=process_id, version=(last or 0) + 1, sha256=sha, loan_type=loan_type,
        name=(proc.get("name") if proc is not None else None) or process_id,
        # As drawn (layout kept), re-serialised as UTF-8 whatever encoding it came in.
        bpmn_xml=to_bytes(root).decode("utf-8"),
        executable_xml=exe, dmn_xml=json.dumps(dmn_text), created_by=created_by,
    )
    s.add(row)
    s.commit()
    s.refresh(row)
    return Deployed(row, True)


def deploy_shipped(s: Session) -> list[Deployed]:
    out = []
    for loan_type, (bpmn_file, dmn_files) in SHIPPED.items():
        path = DIAGRAMS / bpmn_file
        if not path.exists():
            continue
        out.append(deploy(s, path.read_bytes(), [(DIAGRAMS / d).read_bytes() for d in dmn_files],
                          loan_type=loan_type, created_by="system"))
    return out


def latest_for_loan_type(
    s: Session, loan_type: str, version: int | None = None
) -> ProcessDefinition:
    stmt = select(ProcessDefinition).where(ProcessDefinition.loan_type == loan_type)
    if version is not None:
        stmt = stmt.where(ProcessDefinition.version == version)
    row = s.exec(stmt.order_by(col(ProcessDefinition.version).desc())).first()
    if row is None:
        raise DefinitionNotFound(f"no deployed process for loan type '{loan_type}'"
                                 + (f" version {version}" if version else ""))
    return row


def get_version(s: Session, process_id: str, version: int) -> ProcessDefinition:
    row = s.exec(select(ProcessDefinition).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.version == version)).first()
    if row is None:
        raise DefinitionNotFound(f"process '{process_id}' has no version {version}")
    return row


def latest_version(s: Session, process_id: str) -> int | None:
    last: int | None = s.exec(select(func.max(ProcessDefinition.version)).where(
        ProcessDefinition.process_id == process_id)).one()
    return last


def list_definitions(s: Session) -> list[ProcessDefinition]:
    return list(s.exec(select(ProcessDefinition).order_by(
        col(ProcessDefinition.process_id), col(ProcessDefinition.version))).all())
