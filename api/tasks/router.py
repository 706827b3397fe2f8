from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep, TemporalClientDep
from api.tasks import actions, service
from api.tasks.actions import AlertPublic, HandOver, TaskEventPublic
from api.tasks.service import CompleteBody, Sort, TaskPublic, View
from workflows.reasons import DECLINE_REASONS
from workflows.types import CompleteTaskResult

router = APIRouter(prefix="/api/tasks", tags=["tasks"])
alerts_router = APIRouter(prefix="/api/alerts", tags=["tasks"])


@router.get("")
def inbox(
    user: CurrentUser, s: SessionDep, include_closed: bool = False, view: View = View.all,
    sort: Sort = Sort.due, limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[TaskPublic]:
    """My tasks and my roles' shared queues: `view` mine | queue | all, `sort` due |
    priority."""
    return service.inbox(s, user, include_closed, view, sort, limit)


@router.get("/reason-codes")
def reason_codes(user: CurrentUser) -> dict[str, str]:
    """The catalogue a decline chooses its reasons from."""
    return dict(DECLINE_REASONS)


@router.get("/{task_id:path}/events")
def task_events(task_id: str, user: CurrentUser, s: SessionDep) -> list[TaskEventPublic]:
    """Everything that happened to the task: assignment with its reason, claims,
    hand-overs, referral, reminders, escalation."""
    return actions.events(s, user, task_id)


@router.post("/{task_id:path}/claim")
def claim(task_id: str, user: CurrentUser, s: SessionDep) -> TaskPublic:
    return actions.claim(s, user, task_id)


@router.post("/{task_id:path}/release")
def release(task_id: str, user: CurrentUser, s: SessionDep) -> TaskPublic:
    return actions.release(s, user, task_id)


@router.post("/{task_id:path}/reassign")
def reassign(task_id: str, body: HandOver, user: CurrentUser, s: SessionDep) -> TaskPublic:
    return actions.reassign(s, user, task_id, body)


@router.post("/{task_id:path}/delegate")
def delegate(task_id: str, body: HandOver, user: CurrentUser, s: SessionDep) -> TaskPublic:
    return actions.delegate(s, user, task_id, body)


@router.post("/{task_id:path}/complete")
async def complete(
    task_id: str, body: CompleteBody, user: CurrentUser, s: SessionDep, client: TemporalClientDep
) -> CompleteTaskResult:
    return await service.complete(s, client, user, task_id, body)


@router.get("/{task_id:path}")
def get_task(task_id: str, user: CurrentUser, s: SessionDep) -> TaskPublic:
    return service.get(s, user, task_id)


@alerts_router.get("")
def list_alerts(user: CurrentUser, s: SessionDep,
                include_resolved: bool = False) -> list[AlertPublic]:
    return actions.alerts(s, user, include_resolved)
