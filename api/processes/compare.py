"""Comparing process versions: the diff between two deployed versions, and what-if (past
applications re-driven on a candidate from their recorded histories). Nothing here
deploys anything or runs an activity. Knows nothing of HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from temporalio.client import Client

from api.applications.service import FINAL
from api.errors import Invalid, NotFound
from api.processes import service
from bpmn import engine, whatif
from bpmn.diff import DefinitionDiff, ElementChange, diff_definitions
from bpmn.validate import validate
from bpmn.xml import XmlRefused, parse_document
from store.definitions import executable_bundle
from store.models import Application, ProcessDefinition
from workflows.journal import fetch_journals

MAX_LAST = 5_000


# --- the diff --------------------------------------------------------------------------


class FieldChangePublic(BaseModel):
    field: str
    before: str | None
    after: str | None


class ElementChangePublic(BaseModel):
    document: str  # bpmn, dmn
    element_id: str
    type: str
    name: str
    scope: str = ""  # a DMN element's decision id
    changes: list[FieldChangePublic] = []


class DiffPublic(BaseModel):
    process_id: str
    from_version: int
    to_version: int
    added: list[ElementChangePublic]
    removed: list[ElementChangePublic]
    changed: list[ElementChangePublic]
    # BPMN element ids by kind of change, for colouring diagrams.
    markers: dict[str, list[str]]


def _change(c: ElementChange) -> ElementChangePublic:
    return ElementChangePublic(
        document=c.document, element_id=c.element_id, type=c.type, name=c.name, scope=c.scope,
        changes=[FieldChangePublic(field=f.field, before=f.before, after=f.after)
                 for f in c.changes])


def diff_public(process_id: str, v1: int, v2: int, d: DefinitionDiff) -> DiffPublic:
    return DiffPublic(process_id=process_id, from_version=v1, to_version=v2,
                      added=[_change(c) for c in d.added],
                      removed=[_change(c) for c in d.removed],
                      changed=[_change(c) for c in d.changed], markers=d.markers())


def diff(s: Session, process_id: str, v1: int, v2: int) -> DiffPublic:
    old, new = service.get(s, process_id, v1), service.get(s, process_id, v2)
    return diff_public(process_id, v1, v2, diff_definitions(
        old.executable_xml, json.loads(old.dmn_xml), new.executable_xml,
        json.loads(new.dmn_xml)))


# --- what-if ---------------------------------------------------------------------------


class WhatIfRequest(BaseModel):
    """The candidate: a deployed `version`, or a diagram not deployed (`bpmn_xml` with its
    `dmn_xml` decision tables), validated as deploy would."""

    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    bpmn_xml: str | None = Field(default=None, max_length=5_000_000)
    dmn_xml: list[str] = Field(default_factory=list, max_length=20)
    last: int = Field(default=100, ge=1, le=MAX_LAST)


class OutcomePublic(BaseModel):
    application_id: str
    old_outcome: str
    new_outcome: str
    element_id: str  # the element that made the difference
    element_name: str
    before: str  # what the recorded run did there
    after: str  # what the candidate does there
    reason: str


class ElementSummaryPublic(BaseModel):
    element_id: str
    name: str
    changed: int
    rerouted: int
    undecidable: int
    transitions: dict[str, int]


class WhatIfResult(BaseModel):
    process_id: str
    candidate_version: int | None  # None: a candidate not deployed
    candidate_sha256: str
    replayed: int
    changed: int
    unchanged: int
    rerouted: int  # the same decision reached another way
    undecidable: int
    applications: list[OutcomePublic]  # those whose decision changes
    rerouted_applications: list[OutcomePublic]
    undecidable_applications: list[OutcomePublic]
    by_element: list[ElementSummaryPublic]
    seconds: float
    deployed: bool = False  # what-if never deploys


def _outcome(o: whatif.Outcome) -> OutcomePublic:
    return OutcomePublic(application_id=o.application_id, old_outcome=o.old,
                         new_outcome=o.new, element_id=o.element_id,
                         element_name=o.element_name, before=o.before, after=o.after,
                         reason=o.reason)


def report_public(process_id: str, version: int | None, sha: str,
                  r: whatif.WhatIfReport) -> WhatIfResult:
    return WhatIfResult(
        process_id=process_id, candidate_version=version, candidate_sha256=sha,
        replayed=r.replayed, changed=len(r.changed), unchanged=r.unchanged,
        rerouted=len(r.rerouted), undecidable=len(r.undecidable),
        applications=[_outcome(o) for o in r.changed],
        rerouted_applications=[_outcome(o) for o in r.rerouted],
        undecidable_applications=[_outcome(o) for o in r.undecidable],
        by_element=[ElementSummaryPublic(element_id=e.element_id, name=e.name,
                                         changed=e.changed, rerouted=e.rerouted,
                                         undecidable=e.undecidable, transitions=e.transitions)
                    for e in r.by_element()],
        seconds=round(r.seconds, 3))


def _compiled(row: ProcessDefinition) -> engine.CompiledProcess:
    return engine.compiled(row.sha256, lambda: (row.executable_xml, json.loads(row.dmn_xml)),
                           row.process_id)


def candidate(s: Session, process_id: str,
              req: WhatIfRequest) -> tuple[engine.CompiledProcess, int | None]:
    """The candidate compiled, or Invalid (422) with the problems deploy would name."""
    if (req.version is None) == (req.bpmn_xml is None):
        raise Invalid("give either a deployed version or a candidate diagram (bpmn_xml)")
    if req.version is not None:
        return _compiled(service.get(s, process_id, req.version)), req.version
    bpmn_xml = req.bpmn_xml or ""
    problems = validate(bpmn_xml, req.dmn_xml, strict=True)
    if problems:
        raise Invalid("the candidate cannot be run", [
            {"element_id": p.element_id, "reason": p.reason} for p in problems])
    try:
        ids = engine.executable_process_ids(parse_document(bpmn_xml))
        exe, dmn_text, _ = executable_bundle(bpmn_xml, req.dmn_xml)
        if not ids or ids[0] != process_id:  # deploy would make it another process
            raise Invalid(f"the candidate is process '{ids[0] if ids else '?'}', "
                          f"not '{process_id}'")
        return engine.compile_definition(exe, dmn_text, process_id), None
    except (XmlRefused, engine.DefinitionError) as err:
        raise Invalid("the candidate cannot be run", [
            {"element_id": "document", "reason": str(err)}]) from None


def finished(s: Session, process_id: str, last: int) -> list[Application]:
    """The last `last` applications of this process to finish, any loan type."""
    return list(s.exec(select(Application).where(
        Application.process_id == process_id, col(Application.status).in_(FINAL))
        .order_by(col(Application.updated_at).desc(), col(Application.id)).limit(last)).all())


def originals(s: Session, apps: Sequence[Application]) -> dict[str, engine.CompiledProcess]:
    """The versions the applications ran, compiled once each."""
    out: dict[str, engine.CompiledProcess] = {}
    for sha in {a.sha256 for a in apps}:
        row = s.exec(select(ProcessDefinition).where(ProcessDefinition.sha256 == sha)).first()
        if row is not None:
            out[sha] = _compiled(row)
    return out


async def cases(client: Client, apps: Sequence[Application],
                compiled: dict[str, engine.CompiledProcess]) -> list[whatif.Case]:
    """Each application's journal, read from its Temporal history."""
    journals = await fetch_journals(client, [a.workflow_id for a in apps])
    out = []
    for app, journal in zip(apps, journals, strict=True):
        if isinstance(journal, str):
            out.append(whatif.Case(app.id, None, None, unreadable=journal))
        else:
            out.append(whatif.Case(app.id, journal, compiled.get(app.sha256)))
    return out


async def what_if(s: Session, client: Client, process_id: str,
                  req: WhatIfRequest) -> WhatIfResult:
    known = s.exec(select(ProcessDefinition.id).where(
        ProcessDefinition.process_id == process_id)).first()
    if known is None:
        raise NotFound(f"no deployed process '{process_id}'")
    cand, version = candidate(s, process_id, req)
    apps = finished(s, process_id, req.last)
    todo = await cases(client, apps, originals(s, apps))
    # CPU-bound: off the event loop, so the API keeps answering meanwhile.
    report = await asyncio.to_thread(whatif.what_if, cand, todo)
    return report_public(process_id, version, cand.sha256, report)
