"""Dependencies as Annotated aliases: settings, a session, the caller, Temporal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session, select
from temporalio.client import Client

from api.auth.service import decode_token
from api.errors import Forbidden, Unauthenticated, Unavailable
from core.settings import Settings, get_settings
from store.db import engine_for
from store.models import User

SettingsDep = Annotated[Settings, Depends(get_settings)]
_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_session(settings: SettingsDep) -> Iterator[Session]:
    with Session(engine_for(settings.db_url)) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def current_user(
    request: Request, s: SessionDep, settings: SettingsDep,
    token: Annotated[str | None, Depends(_bearer)],
) -> User:
    token = token or request.cookies.get("loanflow_token")
    if not token:
        raise Unauthenticated("not signed in")
    claims = decode_token(token, settings)
    user = s.exec(select(User).where(User.username == claims["sub"])).first()
    if user is None or not user.active:
        raise Unauthenticated("account not found or disabled")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: str) -> Callable[[User], User]:
    def check(user: CurrentUser) -> User:
        if not set(user.role_list) & set(roles):
            raise Forbidden(f"needs one of the roles: {', '.join(roles)}")
        return user

    return check


async def temporal_client(request: Request) -> Client:
    client: Client | None = request.app.state.temporal
    if client is None:
        connect = request.app.state.temporal_connect
        try:
            client = await connect()
        except Exception as err:  # the server may be starting or restarting
            raise Unavailable(f"workflow engine unreachable: {type(err).__name__}") from None
        request.app.state.temporal = client
    return client


TemporalClientDep = Annotated[Client, Depends(temporal_client)]
