"""Model registry (versions, metrics, HTML reports) and loan outcomes for retraining."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep, require
from api.models import service
from api.models.service import ModelPublic, OutcomeCreate, OutcomePublic
from risk.registry import ModelRegistry
from store.models import User

Reviewer = Annotated[User, Depends(require("compliance", "process_owner", "admin"))]
Servicing = Annotated[User, Depends(require("admin"))]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]

models_router = APIRouter(prefix="/api/models", tags=["models"])
outcomes_router = APIRouter(prefix="/api/applications", tags=["applications"])


@models_router.get("")
def list_models(_: Reviewer, settings: SettingsDep) -> list[ModelPublic]:
    return service.list_models(ModelRegistry(settings.models_path))


@models_router.get("/{name}/versions/{version}/report", response_class=HTMLResponse)
def get_report(name: str, version: Version, _: Reviewer, settings: SettingsDep) -> HTMLResponse:
    return HTMLResponse(service.report(ModelRegistry(settings.models_path), name, version))


@outcomes_router.post("/{application_id}/outcome")
def record_outcome(application_id: str, body: OutcomeCreate, user: Servicing,
                   s: SessionDep) -> OutcomePublic:
    return service.record_outcome(s, application_id, body, user.username)


router = APIRouter()
router.include_router(models_router)
router.include_router(outcomes_router)
