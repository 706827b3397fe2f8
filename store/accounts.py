"""Accounts: password hashing (argon2) and the demo accounts of the embedded dev mode."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlmodel import Session, select

from store.models import User

_hasher = PasswordHasher()

DEMO_PASSWORD = "demo"
# Industries a business-loan reviewer knows (the application's business.industry).
_INDUSTRIES = "retail,manufacturing,agriculture,construction,hospitality,technology,transport"
DEMO_USERS: list[dict[str, Any]] = [
    {"username": "alice", "full_name": "Alice Applicant", "roles": "applicant"},
    {"username": "bob", "full_name": "Bob Applicant", "roles": "applicant"},
    {"username": "uma", "full_name": "Uma Underwriter", "roles": "underwriter",
     "skills": "personal,micro,business", "languages": "zh,en",
     "industries": _INDUSTRIES, "authority_limit": 300_000, "capacity": 20,
     "supervisor": "sam"},
    {"username": "ursula", "full_name": "Ursula Underwriter", "roles": "underwriter",
     "skills": "personal,micro", "languages": "zh,en", "authority_limit": 200_000,
     "capacity": 15, "supervisor": "sam"},
    {"username": "sam", "full_name": "Sam Senior", "roles": "senior_approver",
     "skills": "personal,micro,business", "languages": "zh,en", "industries": _INDUSTRIES,
     "authority_limit": 5_000_000, "capacity": 10},
    {"username": "olga", "full_name": "Olga Owner", "roles": "process_owner"},
    {"username": "carl", "full_name": "Carl Compliance", "roles": "compliance"},
    {"username": "root", "full_name": "Administrator", "roles": "admin"},
]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(s: Session, username: str, password: str) -> User | None:
    user = s.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        _hasher.hash(password)  # same work either way: no user enumeration by timing
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    return user


def seed_demo_users(s: Session, mode: str) -> int:
    """Demo accounts with password 'demo', in the embedded dev mode only."""
    if mode != "dev":
        return 0
    created = 0
    for spec in DEMO_USERS:
        if s.exec(select(User).where(User.username == spec["username"])).first() is None:
            s.add(User(password_hash=hash_password(DEMO_PASSWORD), **spec))
            created += 1
    s.commit()
    return created
