from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Response, UploadFile, status

from api.deps import CurrentUser, SessionDep, require
from api.errors import Invalid
from api.processes import service
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


Version = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/{process_id}/versions/{version}")
def get_version(
    process_id: str, version: Version, _: CurrentUser, s: SessionDep
) -> DefinitionDetail:
    return service.detail(service.get(s, process_id, version))


@router.get("/{process_id}/versions/{version}/diagram.bpmn")
def get_diagram(process_id: str, version: Version, _: CurrentUser, s: SessionDep) -> Response:
    row = service.get(s, process_id, version)
    return Response(row.bpmn_xml, media_type="application/xml")
