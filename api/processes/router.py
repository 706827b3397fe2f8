from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Response, UploadFile, status

from api.deps import CurrentUser, SessionDep, TemporalClientDep, require
from api.errors import Invalid
from api.processes import compare, migrate, service
from api.processes.migrate import MigrateBody, MigrationReport
from api.processes.schemas import DraftIn, DraftPublic, ValidateIn, ValidationResult
from api.processes.service import DefinitionDetail, DefinitionPublic, DeployResult
from store import definitions
from store.models import User

router = APIRouter(prefix="/api/process-definitions", tags=["process definitions"])
Owner = Annotated[User, Depends(require("process_owner", "admin"))]
MAX_UPLOAD = 5_000_000


@router.get("")
def list_definitions(_: CurrentUser, s: SessionDep) -> list[DefinitionPublic]:
    return [service.public(r) for r in definitions.list_definitions(s)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def deploy(
    user: Owner, s: SessionDep, response: Response,
    bpmn: Annotated[UploadFile, File(description="the .bpmn diagram")],
    dmn: Annotated[list[UploadFile], File(description="its .dmn decision tables")] = [],  # noqa: B006
    loan_type: Annotated[str | None, Form(pattern="^(personal|business|micro)$")] = None,
) -> DeployResult:
    bpmn_bytes = await bpmn.read(MAX_UPLOAD + 1)
    if len(bpmn_bytes) > MAX_UPLOAD:
        raise Invalid(f"bpmn: larger than {MAX_UPLOAD} bytes")
    dmn_bytes = [await d.read(MAX_UPLOAD + 1) for d in dmn]
    result = service.deploy(s, bpmn_bytes, dmn_bytes, loan_type, user.username)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result


@router.post("/validate")
def validate(_: Owner, body: ValidateIn) -> ValidationResult:
    """The problems deploying this diagram would meet, without deploying it."""
    return service.check(body)


Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
ProcessId = Annotated[str, Path(min_length=1, max_length=200)]


@router.get("/{process_id}/versions/{version}")
def get_version(
    process_id: str, version: Version, _: CurrentUser, s: SessionDep
) -> DefinitionDetail:
    return service.detail(service.get(s, process_id, version))


@router.get("/{process_id}/versions/{version}/diagram.bpmn")
def get_diagram(process_id: str, version: Version, _: CurrentUser, s: SessionDep) -> Response:
    row = service.get(s, process_id, version)
    return Response(row.bpmn_xml, media_type="application/xml")


# -- drafts: one per process and person, kept until deployed or discarded -------------------


@router.get("/{process_id}/draft")
def get_draft(process_id: ProcessId, user: Owner, s: SessionDep) -> DraftPublic:
    return service.get_draft(s, process_id, user.username)


@router.put("/{process_id}/draft")
def save_draft(process_id: ProcessId, body: DraftIn, user: Owner, s: SessionDep) -> DraftPublic:
    return service.save_draft(s, process_id, user.username, body)


@router.delete("/{process_id}/draft", status_code=status.HTTP_204_NO_CONTENT)
def discard_draft(process_id: ProcessId, user: Owner, s: SessionDep) -> None:
    service.discard_draft(s, process_id, user.username)


@router.post("/{process_id}/draft/deploy", status_code=status.HTTP_201_CREATED)
def deploy_draft(process_id: ProcessId, user: Owner, s: SessionDep,
                 response: Response) -> DeployResult:
    result = service.deploy_draft(s, process_id, user.username)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result


# -- comparing versions: diff and what-if (nothing is deployed, no activity runs) ----------

Reviewer = Annotated[User, Depends(require("process_owner", "compliance", "admin"))]
QueryVersion = Annotated[int, Query(ge=1, le=2**31 - 1)]


@router.get("/{process_id}/diff")
def diff(process_id: str, _: Reviewer, s: SessionDep,
         from_: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
         to: QueryVersion) -> compare.DiffPublic:
    """Elements added, removed and changed from one version to another (layout aside)."""
    return compare.diff(s, process_id, from_, to)


@router.post("/{process_id}/what-if")
async def what_if(process_id: str, body: compare.WhatIfRequest, _: Reviewer, s: SessionDep,
                  client: TemporalClientDep) -> compare.WhatIfResult:
    """The last finished applications re-driven on a candidate from their recorded
    histories: which decisions would change, and which element made the difference."""
    return await compare.what_if(s, client, process_id, body)


@router.post("/{process_id}/versions/{version}/migrate")
async def migrate_running(
    process_id: str, version: Annotated[int, Path(ge=1)], body: MigrateBody, user: Owner,
    s: SessionDep, client: TemporalClientDep,
) -> MigrationReport:
    """Move running applications to this version where it is safe for where each stands;
    the others are listed with the element and the reason."""
    return await migrate.migrate(s, client, user, process_id, version, body)
