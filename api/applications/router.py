from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from api.applications import referrals, service
from api.applications.referrals import AnswerBody, Question
from api.applications.schemas import ApplicationCreate
from api.applications.service import ApplicationPublic, DecisionPublic
from api.deps import CurrentUser, SessionDep, SettingsDep, TemporalClientDep, require
from store.models import User
from workflows.types import CompleteTaskResult

router = APIRouter(prefix="/api/applications", tags=["applications"])
Applicant = Annotated[User, Depends(require("applicant", "admin"))]


@router.post("", status_code=status.HTTP_201_CREATED)
async def submit(
    body: ApplicationCreate, user: Applicant, s: SessionDep, client: TemporalClientDep,
    settings: SettingsDep,
) -> ApplicationPublic:
    return await service.submit(s, client, user, body, settings.task_queue)


@router.get("")
def list_applications(
    user: CurrentUser, s: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ApplicationPublic]:
    return service.list_visible(s, user, limit, offset)


@router.get("/{application_id}")
async def get_application(
    application_id: str, user: CurrentUser, s: SessionDep, request: Request
) -> ApplicationPublic:
    app = service.get_visible(s, user, application_id)
    return await service.status_of(request.app.state.temporal, app)


@router.get("/{application_id}/history")
def get_history(application_id: str, user: CurrentUser, s: SessionDep) -> list[DecisionPublic]:
    app = service.get_visible(s, user, application_id)
    return service.history(s, app)


@router.get("/{application_id}/questions")
def get_questions(application_id: str, user: CurrentUser, s: SessionDep) -> list[Question]:
    """What approvers asked the applicant, and the answers."""
    return referrals.questions(s, service.get_visible(s, user, application_id))


@router.post("/{application_id}/answer")
async def answer_question(
    application_id: str, body: AnswerBody, user: CurrentUser, s: SessionDep,
    client: TemporalClientDep,
) -> CompleteTaskResult:
    """The applicant answers the question waiting on their application."""
    app = service.get_visible(s, user, application_id)
    return await referrals.answer(s, client, user, app, body)
