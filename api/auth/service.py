"""Accounts, passwords (argon2) and tokens (JWT signed with authlib)."""

from __future__ import annotations

import time
import warnings
from typing import Any

with warnings.catch_warnings():  # authlib.jose is kept until authlib 2.0; joserfc is its successor
    warnings.simplefilter("ignore")
    from authlib.jose import JoseError, jwt
from sqlmodel import Session

from api.errors import Unauthenticated
from core.codec import secret_file
from core.settings import Settings
from store.accounts import check_password
from store.models import User

ROLES = ("applicant", "underwriter", "senior_approver", "credit_committee", "process_owner",
         "compliance", "admin")
STAFF = frozenset({"underwriter", "senior_approver", "credit_committee", "compliance", "admin"})


def authenticate(s: Session, username: str, password: str) -> User | None:
    return check_password(s, username, password)


def jwt_key(settings: Settings) -> bytes:
    if settings.jwt_secret:
        return settings.jwt_secret.encode()
    return secret_file(settings.data_dir / "jwt.key")


def issue_token(user: User, settings: Settings) -> str:
    now = int(time.time())
    claims = {"iss": "loanflow", "sub": user.username, "roles": user.role_list, "iat": now,
              "exp": now + settings.jwt_ttl_minutes * 60}
    token: bytes = jwt.encode({"alg": "HS256"}, claims, jwt_key(settings))
    return token.decode()


def decode_token(token: str, settings: Settings) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, jwt_key(settings))
        claims.validate(now=int(time.time()), leeway=5)
    except (JoseError, ValueError) as err:
        raise Unauthenticated(f"invalid token: {err}") from None
    if claims.get("iss") != "loanflow" or not claims.get("sub"):
        raise Unauthenticated("invalid token")
    return dict(claims)
