"""Approver profiles: the admin edits them; supervisors watch their people's load."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from api.approvers import service
from api.approvers.schemas import ApproverPublic, ApproverUpdate, ApproverUpdated
from api.deps import CurrentUser, SessionDep, require
from store.models import User

router = APIRouter(prefix="/api/approvers", tags=["approvers"])
Username = Annotated[str, Path(min_length=1, max_length=64)]
Admin = Annotated[User, Depends(require("admin"))]


@router.get("")
def list_approvers(user: CurrentUser, s: SessionDep) -> list[ApproverPublic]:
    return service.list_approvers(s, user)


@router.get("/{username}")
def get_approver(username: Username, user: CurrentUser, s: SessionDep) -> ApproverPublic:
    return service.get_approver(s, user, username)


@router.put("/{username}")
def update_approver(username: Username, body: ApproverUpdate, user: Admin,
                    s: SessionDep) -> ApproverUpdated:
    return service.update_approver(s, user, username, body)
