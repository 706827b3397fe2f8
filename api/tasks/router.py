from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep, TemporalClientDep
from api.tasks import service
from api.tasks.service import CompleteBody, TaskPublic
from workflows.types import CompleteTaskResult

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


@router.get("")
def inbox(user: CurrentUser, s: SessionDep, include_closed: bool = False) -> list[TaskPublic]:
    return service.inbox(s, user, include_closed)


@router.post("/{task_id:path}/claim")
def claim(task_id: str, user: CurrentUser, s: SessionDep) -> TaskPublic:
    return service.claim(s, user, task_id)


@router.post("/{task_id:path}/release")
def release(task_id: str, user: CurrentUser, s: SessionDep) -> TaskPublic:
    return service.release(s, user, task_id)


@router.post("/{task_id:path}/complete")
async def complete(
    task_id: str, body: CompleteBody, user: CurrentUser, s: SessionDep, client: TemporalClientDep
) -> CompleteTaskResult:
    return await service.complete(s, client, user, task_id, body)
