"""Drafts: a process owner's edit of a process, kept between sessions of the modeler and
deployed (validated, versioned) through store.definitions.deploy like any upload."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from sqlmodel import Session, col, select

from bpmn.engine import executable_process_ids
from bpmn.validate import Problem
from bpmn.xml import BPMN_NS, XmlRefused, parse_document
from store.definitions import Deployed, InvalidDefinition, deploy
from store.models import ProcessDraft

MAX_DECISION_TABLES = 20


class DraftNotFound(Exception):
    pass


def get(s: Session, process_id: str, user: str) -> ProcessDraft | None:
    return s.exec(select(ProcessDraft).where(
        ProcessDraft.process_id == process_id, ProcessDraft.updated_by == user)).first()


def process_of(bpmn_xml: str | bytes) -> tuple[str, str]:
    """The (id, name) of the diagram's executable process; InvalidDefinition if none."""
    try:
        root = parse_document(bpmn_xml)
    except XmlRefused as err:
        raise InvalidDefinition([Problem("document", str(err))]) from None
    ids = executable_process_ids(root)
    if not ids:
        raise InvalidDefinition([Problem("document", "the diagram has no process")])
    proc = next(p for p in root.findall(f"{{{BPMN_NS}}}process") if p.get("id") == ids[0])
    return ids[0], proc.get("name") or ids[0]


def save(
    s: Session, process_id: str, user: str, bpmn_xml: str, dmn_xml: Sequence[str] = (),
    based_on_version: int | None = None,
) -> ProcessDraft:
    """Keep the user's edit as it is (unvalidated), replacing their previous draft. The
    diagram must be readable XML whose process is this one: a draft is of one process."""
    pid, name = process_of(bpmn_xml)
    if pid != process_id:
        raise InvalidDefinition([Problem(pid, f"the diagram's process id is '{pid}', not "
                                              f"'{process_id}': a draft keeps its process id")])
    if len(dmn_xml) > MAX_DECISION_TABLES:
        raise InvalidDefinition([Problem("document", f"more than {MAX_DECISION_TABLES} "
                                                     "decision tables")])
    for i, doc in enumerate(dmn_xml, 1):
        try:
            parse_document(doc, "decision table")
        except XmlRefused as err:
            raise InvalidDefinition([Problem(f"dmn#{i}", str(err))]) from None
    row = get(s, process_id, user) or ProcessDraft(process_id=process_id, updated_by=user,
                                                   bpmn_xml="")
    row.name = name
    row.bpmn_xml = bpmn_xml
    row.dmn_xml = json.dumps(list(dmn_xml))
    row.based_on_version = based_on_version
    row.updated_at = dt.datetime.now(dt.UTC)
    s.add(row)
    s.commit()
    s.refresh(row)
    return row


def discard(s: Session, process_id: str, user: str) -> bool:
    row = get(s, process_id, user)
    if row is None:
        return False
    s.delete(row)
    s.commit()
    return True


def deploy_draft(s: Session, process_id: str, user: str) -> Deployed:
    """Validate and deploy the user's draft as the process's next version; the draft is
    kept when the diagram is refused (InvalidDefinition) and gone once deployed."""
    row = get(s, process_id, user)
    if row is None:
        raise DraftNotFound(f"you have no draft of process '{process_id}'")
    done = deploy(s, row.bpmn_xml, json.loads(row.dmn_xml), created_by=user)
    s.delete(row)
    s.commit()
    return done


def list_for(s: Session, user: str) -> list[ProcessDraft]:
    return list(s.exec(select(ProcessDraft).where(ProcessDraft.updated_by == user)
                       .order_by(col(ProcessDraft.process_id))).all())
