"""Approver profiles (role, skills, authority, capacity, availability) and their load, for
the admin and for supervisors. No FastAPI here."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from activities.assignment import as_utc, is_away
from api.approvers.handover import hand_over
from api.approvers.schemas import ApproverPublic, ApproverUpdate, ApproverUpdated
from api.errors import Forbidden, Invalid, NotFound
from bpmn.registry import APPROVER_ROLES
from store.approvers import OpenLoad, approvers, is_approver, open_loads
from store.models import User


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    aware = as_utc(value)
    return aware.isoformat() if aware else None


def _split(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def public(u: User, load: OpenLoad, now: dt.datetime) -> ApproverPublic:
    return ApproverPublic(
        username=u.username, full_name=u.full_name,
        roles=sorted(set(u.role_list) & APPROVER_ROLES), skills=_split(u.skills),
        languages=_split(u.languages), industries=_split(u.industries),
        authority_limit=u.authority_limit, capacity=u.capacity, supervisor=u.supervisor,
        away_from=_iso(u.away_from), away_until=_iso(u.away_until), delegate=u.delegate,
        away=is_away(now, u.away_from, u.away_until), open_tasks=load.tasks,
        open_effort=load.effort, load=load.effort / u.capacity if u.capacity > 0 else 0,
    )


def _is_admin(user: User) -> bool:
    return "admin" in user.role_list


def _reports(s: Session, user: User) -> set[str]:
    """Whom this person supervises."""
    return set(s.exec(select(User.username).where(User.supervisor == user.username)).all())


def list_approvers(s: Session, user: User) -> list[ApproverPublic]:
    """Everyone for the admin; a supervisor sees the people they supervise."""
    if _is_admin(user):
        visible = approvers(s)
    else:
        reports = _reports(s, user)
        if not reports:
            raise Forbidden("only the admin and supervisors see approvers")
        visible = [u for u in approvers(s) if u.username in reports]
    loads, now = open_loads(s), _now()
    return [public(u, loads.get(u.username, OpenLoad()), now) for u in visible]


def _user(s: Session, username: str) -> User | None:
    return s.exec(select(User).where(User.username == username)).first()


def get_approver(s: Session, user: User, username: str) -> ApproverPublic:
    allowed = _is_admin(user) or user.username == username or bool(_reports(s, user))
    if not allowed:
        raise Forbidden("only the admin, supervisors and the approver themselves")
    target = _user(s, username)
    if target is None or not is_approver(target):
        raise NotFound(f"no approver {username}")
    if not (_is_admin(user) or user.username == username or target.supervisor == user.username):
        raise Forbidden(f"you do not supervise {username}")
    load = open_loads(s).get(username, OpenLoad())
    return public(target, load, _now())


def _invalid(field: str, reason: str) -> Invalid:
    return Invalid(f"{field}: {reason}", detail=[{"field": field, "reason": reason}])


def _overlap(a_from: dt.datetime | None, a_until: dt.datetime | None,
             b_from: dt.datetime | None, b_until: dt.datetime | None) -> bool:
    """Two away periods share a moment (an unset end is open)."""
    if (a_from is None and a_until is None) or (b_from is None and b_until is None):
        return False
    lo = max((t for t in (as_utc(a_from), as_utc(b_from)) if t), default=None)
    hi = min((t for t in (as_utc(a_until), as_utc(b_until)) if t), default=None)
    return lo is None or hi is None or lo < hi


def _check_people(s: Session, username: str, body: ApproverUpdate) -> None:
    if body.supervisor is not None:
        if body.supervisor == username:
            raise _invalid("supervisor", "nobody supervises themselves")
        if _user(s, body.supervisor) is None:
            raise _invalid("supervisor", f"no user {body.supervisor}")
    if body.delegate is None:
        return
    if body.delegate == username:
        raise _invalid("delegate", "nobody delegates to themselves")
    deputy = _user(s, body.delegate)
    if deputy is None or not deputy.active:
        raise _invalid("delegate", f"no user {body.delegate}")
    if not is_approver(deputy):
        raise _invalid("delegate", f"{body.delegate} is not an approver")
    away_from = body.away_from or (_now() if body.away_until else None)
    if _overlap(away_from, body.away_until, deputy.away_from, deputy.away_until):
        raise _invalid("delegate", f"{body.delegate} is away at the same time")


def update_approver(s: Session, admin: User, username: str,
                    body: ApproverUpdate) -> ApproverUpdated:
    if not _is_admin(admin):
        raise Forbidden("only the admin edits approver profiles")
    target = _user(s, username)
    if target is None:
        raise NotFound(f"no user {username}")
    _check_people(s, username, body)
    others = [r for r in target.role_list if r not in APPROVER_ROLES]
    target.roles = ",".join([*others, *body.roles])
    target.skills, target.languages = ",".join(body.skills), ",".join(body.languages)
    target.industries = ",".join(body.industries)
    target.authority_limit, target.capacity = body.authority_limit, body.capacity
    target.supervisor, target.delegate = body.supervisor, body.delegate
    target.away_from, target.away_until = body.away_from, body.away_until
    s.add(target)
    now = _now()
    moved = hand_over(s, target, admin.username, now) \
        if is_away(now, target.away_from, target.away_until) else []
    s.commit()
    s.refresh(target)
    load = open_loads(s).get(username, OpenLoad())
    return ApproverUpdated(approver=public(target, load, now), moved=moved)
