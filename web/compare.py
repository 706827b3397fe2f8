"""Pages comparing process versions: the diff between two deployed versions (a table and
two diagrams coloured by change) and what-if (a form: a deployed version or a candidate
pasted or uploaded; the report of which past decisions would change and why). Thin over
api/processes/compare.py, as the JSON API is."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import FormData, UploadFile

from api.deps import SessionDep, temporal_client
from api.errors import DomainError, Invalid, NotFound
from api.processes import compare
from api.processes.service import DefinitionPublic, public
from store import definitions
from store.models import User
from web.render import OWNERS, PageRoute, needs, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Owner = Annotated[User, Depends(needs(*OWNERS))]
QueryVersion = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
MAX_UPLOAD = 5_000_000


def _versions(s: SessionDep, process_id: str) -> list[DefinitionPublic]:
    rows = [public(r) for r in definitions.list_definitions(s) if r.process_id == process_id]
    if not rows:
        raise NotFound(f"no deployed process '{process_id}'")
    return sorted(rows, key=lambda d: d.version, reverse=True)


def _diagram(process_id: str, version: int) -> str:
    return f"/api/process-definitions/{process_id}/versions/{version}/diagram.bpmn"


@router.get("/processes/{process_id}/diff")
def diff_page(request: Request, process_id: str, _: Owner, s: SessionDep,
              from_: Annotated[QueryVersion, Query(alias="from")] = None,
              to: QueryVersion = None) -> Response:
    versions = _versions(s, process_id)
    newest = versions[0].version
    to = to or newest
    from_ = from_ or next((d.version for d in versions if d.version < to), to)
    d = compare.diff(s, process_id, from_, to)
    m = d.markers
    return render(request, "process_diff.html", title=f"{versions[0].name}: v{from_} → v{to}",
                  process_id=process_id, process_name=versions[0].name, versions=versions, diff=d,
                  from_url=_diagram(process_id, from_), to_url=_diagram(process_id, to),
                  from_markers=json.dumps({"removed": m["removed"], "changed": m["changed"]}),
                  to_markers=json.dumps({"added": m["added"], "changed": m["changed"]}))


@router.get("/processes/{process_id}/what-if")
def what_if_form(request: Request, process_id: str, _: Owner, s: SessionDep) -> Response:
    versions = _versions(s, process_id)
    return _page(request, process_id, versions, {"source": "version",
                                                 "version": versions[0].version, "last": 100})


@router.post("/processes/{process_id}/what-if")
async def what_if_run(request: Request, process_id: str, _: Owner, s: SessionDep) -> Response:
    versions = _versions(s, process_id)
    form = await request.form()
    values = _values(form)
    try:
        req = await _request(form, values)
        client = await temporal_client(request)
        report = await compare.what_if(s, client, process_id, req)
    except Invalid as err:
        return _page(request, process_id, versions, values, status_code=422,
                     problem=err.message, problems=err.detail or [])
    except DomainError as err:  # e.g. the workflow engine is away
        return _page(request, process_id, versions, values, status_code=err.status,
                     problem=err.message)
    markers = {"changed": [e.element_id for e in report.by_element if e.changed],
               "added": [e.element_id for e in report.by_element
                         if e.rerouted and not e.changed],
               "removed": [e.element_id for e in report.by_element
                           if e.undecidable and not e.changed and not e.rerouted]}
    return _page(request, process_id, versions, values, report=report,
                 report_url=_diagram(process_id, report.candidate_version)
                 if report.candidate_version else "", report_markers=json.dumps(markers))


def _values(form: FormData) -> dict[str, Any]:
    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    return {"source": text("source") or "version", "version": text("version"),
            "last": text("last") or "100", "bpmn_text": text("bpmn_text"),
            "dmn_text": text("dmn_text")}


async def _read(item: Any) -> str:
    if isinstance(item, UploadFile):
        raw = await item.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            raise Invalid(f"{item.filename}: larger than {MAX_UPLOAD} bytes")
        return raw.decode("utf-8", errors="replace")
    return item if isinstance(item, str) else ""


async def _request(form: FormData, values: dict[str, Any]) -> compare.WhatIfRequest:
    """The form as the API's request: the version chosen, or the candidate pasted or
    uploaded (a file wins over pasted text)."""
    try:
        last = int(values["last"])
        if values["source"] == "version":
            return compare.WhatIfRequest(version=int(values["version"]), last=last)
        files = [f for f in form.getlist("bpmn_file") if isinstance(f, UploadFile) and f.filename]
        bpmn = (await _read(files[0]) if files else "") or values["bpmn_text"]
        dmn = [await _read(f) for f in form.getlist("dmn_file")
               if isinstance(f, UploadFile) and f.filename]
        if not dmn and values["dmn_text"].strip():
            dmn = [values["dmn_text"]]
        if not bpmn.strip():
            raise Invalid("paste or upload the candidate diagram (.bpmn)")
        return compare.WhatIfRequest(bpmn_xml=bpmn, dmn_xml=dmn, last=last)
    except ValueError as err:  # not a number, or out of range (pydantic's errors are too)
        raise Invalid(f"check the form: {str(err).splitlines()[0]}") from None


def _page(request: Request, process_id: str, versions: list[DefinitionPublic],
          values: dict[str, Any], status_code: int = 200, **extra: Any) -> Response:
    extra.setdefault("problem", "")
    extra.setdefault("problems", [])
    extra.setdefault("report", None)
    return render(request, "process_whatif.html", status_code=status_code,
                  title=f"What if: {versions[0].name}", process_id=process_id,
                  process_name=versions[0].name, versions=versions, values=values,
                  max_last=compare.MAX_LAST, **extra)
