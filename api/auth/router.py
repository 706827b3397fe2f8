from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.auth.service import authenticate, issue_token
from api.deps import CurrentUser, SessionDep, SettingsDep
from api.errors import Unauthenticated

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class Me(BaseModel):
    username: str
    full_name: str
    roles: list[str]


@router.post("/token")
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], s: SessionDep, settings: SettingsDep
) -> Token:
    user = authenticate(s, form.username, form.password)
    if user is None:
        raise Unauthenticated("wrong user name or password")
    return Token(access_token=issue_token(user, settings))


@router.get("/me")
def me(user: CurrentUser) -> Me:
    return Me(username=user.username, full_name=user.full_name, roles=user.role_list)
