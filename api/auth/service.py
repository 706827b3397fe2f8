"""Accounts, passwords (argon2) and tokens (JWT signed with authlib)."""

from __future__ import annotations

import time
import warnings
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

with warnings.catch_warnings():  # authlib.jose is kept until authlib 2.0; joserfc is its successor
    warnings.simplefilter("ignore")
    from authlib.jose import JoseError, jwt
from sqlmodel import Session, select

from api.errors import Unauthenticated
from core.codec import secret_file
from core.settings import Settings
from store.models import User

_hasher = PasswordHasher()
ROLES = ("applicant", "underwriter", "senior_approver", "credit_committee", "process_owner",
         "compliance", "admin")
STAFF = frozenset({"underwriter", "senior_approver", "credit_committee", "compliance", "admin"})

DEMO_USERS: list[dict[str, Any]] = [
    {"username": "alice", "full_name": "Alice Applicant", "roles": "applicant"},
    {"username": "bob", "full_name": "Bob Applicant", "roles": "applicant"},
    {"username": "uma", "full_name": "Uma Underwriter", "roles": "underwriter",
     "skills": "personal,micro,business", "authority_limit": 300_000, "capacity": 20},
    {"username": "ursula", "full_name": "Ursula Underwriter", "roles": "underwriter",
     "skills": "personal,micro", "authority_limit": 200_000, "capacity": 15},
    {"username": "sam", "full_name": "Sam Senior", "roles": "senior_approver",
     "skills": "personal,micro,business", "authority_limit": 5_000_000, "capacity": 10},
    {"username": "olga", "full_name": "Olga Owner", "roles": "process_owner"},
    {"username": "carl", "full_name": "Carl Compliance", "roles": "compliance"},
    {"username": "root", "full_name": "Administrator", "roles": "admin"},
]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(s: Session, username: str, password: str) -> User | None:
    user = s.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        _hasher.hash(password)  # same work either way: no user enumeration by timing
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    return user


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


def seed_demo_users(s: Session, settings: Settings) -> int:
    """Demo accounts with password 'demo', in the embedded dev mode only."""
    if settings.mode != "dev":
        return 0
    created = 0
    for spec in DEMO_USERS:
        if s.exec(select(User).where(User.username == spec["username"])).first() is None:
            s.add(User(password_hash=hash_password("demo"), **spec))
            created += 1
    s.commit()
    return created
