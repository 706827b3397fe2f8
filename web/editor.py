"""The process owner's modeler: open a deployed version or one's draft in bpmn-js (with
dmn-js for its decision tables), save drafts, validate, deploy. The page only carries the
diagram and the lists the properties panel offers; saving, validating and deploying are
the JSON API's (api/processes), called by web/static/editor.js."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from api.deps import SessionDep
from api.errors import Invalid, NotFound
from api.processes import service as processes
from api.processes.schemas import DraftIn
from bpmn.registry import ROLE_RANK, SERVICES
from store import definitions, drafts
from store.models import User
from web.render import PageRoute, needs, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
EDITORS = ("process_owner", "admin")
Editor = Annotated[User, Depends(needs(*EDITORS))]
ProcessId = Annotated[str, Path(min_length=1, max_length=200)]
MAX_UPLOAD = 5_000_000


def catalog() -> dict[str, Any]:
    """What the properties panel offers: the registered activities and approver roles."""
    return {
        "services": [{"name": s.name, "description": s.description}
                     for s in sorted(SERVICES.values(), key=lambda s: s.name)],
        "roles": [{"value": role, "label": role.replace("_", " ").capitalize()}
                  for role in sorted(ROLE_RANK, key=ROLE_RANK.__getitem__)],
    }


def _editor(request: Request, data: dict[str, Any]) -> Response:
    return render(request, "edit.html", title=f"Edit {data['name']}", data=data,
                  catalog=catalog())


@router.get("/processes/{process_id}/edit")
def edit(request: Request, process_id: ProcessId, user: Editor, s: SessionDep,
         version: int | None = None) -> Response:
    """The user's draft if they have one (unless a version is asked for), else the latest
    deployed version (or the one asked for)."""
    draft = drafts.get(s, process_id, user.username)
    latest = definitions.latest_version(s, process_id)
    base = {"process_id": process_id, "latest_version": latest,
            "draft_saved_at": draft.updated_at.isoformat() if draft else None}
    if draft is not None and version is None:
        return _editor(request, {**base, "source": "draft", "name": draft.name,
                                 "bpmn_xml": draft.bpmn_xml,
                                 "dmn_xml": json.loads(draft.dmn_xml),
                                 "based_on_version": draft.based_on_version})
    if latest is None:
        raise NotFound(f"process '{process_id}' has no deployed version and you have no draft")
    if version is not None and not 1 <= version <= latest:
        raise NotFound(f"process '{process_id}' has no version {version}")
    row = processes.get(s, process_id, version or latest)
    return _editor(request, {**base, "source": "version", "name": row.name,
                             "bpmn_xml": row.bpmn_xml, "dmn_xml": json.loads(row.dmn_xml),
                             "based_on_version": row.version})


@router.get("/processes/new")
def new_form(request: Request, _: Editor) -> Response:
    return render(request, "process_new.html", title="New process", error="")


async def _read(upload: UploadFile) -> str:
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Invalid(f"{upload.filename}: larger than {MAX_UPLOAD} bytes")
    return data.decode("utf-8", errors="replace")


@router.post("/processes/new")
async def upload(request: Request, user: Editor, s: SessionDep) -> Response:
    """An uploaded .bpmn (and its .dmn tables) becomes the user's draft of its process,
    opened in the modeler: problems are shown there, on the diagram."""
    form = await request.form()
    files = [f for f in form.getlist("bpmn") if isinstance(f, UploadFile) and f.filename]
    tables = [f for f in form.getlist("dmn") if isinstance(f, UploadFile) and f.filename]
    if not files:
        return render(request, "process_new.html", status_code=422, title="New process",
                      error="Choose a .bpmn file.")
    try:
        bpmn = await _read(files[0])
        dmn = [await _read(t) for t in tables]
        process_id, _name = drafts.process_of(bpmn)
        processes.save_draft(s, process_id, user.username, DraftIn(
            bpmn_xml=bpmn, dmn_xml=dmn,
            based_on_version=definitions.latest_version(s, process_id)))
    except definitions.InvalidDefinition as err:
        error = "; ".join(str(p) for p in err.problems)
    except ValidationError as err:
        error = "; ".join(str(e["msg"]) for e in err.errors())
    except Invalid as err:
        error = "; ".join(f"{p['element_id']}: {p['reason']}" for p in err.detail or []) \
            or err.message
    else:
        return RedirectResponse(f"/processes/{process_id}/edit", status_code=303)
    return render(request, "process_new.html", status_code=422, title="New process",
                  error=error)
