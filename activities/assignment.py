"""Who gets a review task: the rule itself, pure (no database, no Temporal).

Among the approvers eligible for the task (role, skills, authority, available, four eyes)
the one with the lowest load gets it: the effort of their open tasks relative to their
capacity, ties by username. People of the lane's own role come first; a higher role only
when nobody of that role is eligible. Every decision carries its reason: each candidate
considered, and why each one who was not chosen was not.

The activity (activities/process.py), the approver admin (api/approvers) and the
benchmark (cli/bench_assignment.py) all decide through `choose`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bpmn.registry import APPROVER_ROLES, may_act_for


def token(value: str) -> str:
    """One skill, language or industry as compared: 'Real estate ' == 'real_estate'."""
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def tokens(value: str | Iterable[str]) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(t for t in (token(i) for i in items) if t)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # SQLite hands back naive datetimes
    return value


def is_away(at: dt.datetime, away_from: dt.datetime | None,
            away_until: dt.datetime | None) -> bool:
    """Away at `at`: from `away_from` (or already, when only an end is set) until
    `away_until` (or until further notice)."""
    start, end = as_utc(away_from), as_utc(away_until)
    if start is None and end is None:
        return False
    return (start is None or start <= at) and (end is None or at < end)


def _num(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:g}"


class Profile(Protocol):
    """What `candidate` reads from an approver (store.models.User has it)."""

    @property
    def username(self) -> str: ...
    @property
    def roles(self) -> str: ...
    @property
    def skills(self) -> str: ...
    @property
    def languages(self) -> str: ...
    @property
    def industries(self) -> str: ...
    @property
    def authority_limit(self) -> float: ...
    @property
    def capacity(self) -> float: ...
    @property
    def away_from(self) -> dt.datetime | None: ...
    @property
    def away_until(self) -> dt.datetime | None: ...
    @property
    def delegate(self) -> str | None: ...


@dataclass(frozen=True)
class Candidate:
    username: str
    roles: frozenset[str]
    skills: frozenset[str] = frozenset()  # loan types and any other skill token
    languages: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    authority_limit: float = 0
    capacity: float = 10
    open_effort: float = 0  # sum of the effort of their open and claimed tasks
    open_tasks: int = 0
    away_from: dt.datetime | None = None
    away_until: dt.datetime | None = None
    delegate: str | None = None

    @property
    def load(self) -> float:
        return self.open_effort / self.capacity if self.capacity > 0 else float("inf")


def candidate(p: Profile, open_effort: float = 0, open_tasks: int = 0) -> Candidate:
    return Candidate(
        username=p.username, roles=frozenset(r for r in p.roles.split(",") if r),
        skills=tokens(p.skills), languages=tokens(p.languages), industries=tokens(p.industries),
        authority_limit=float(p.authority_limit), capacity=float(p.capacity),
        open_effort=float(open_effort), open_tasks=int(open_tasks),
        away_from=as_utc(p.away_from), away_until=as_utc(p.away_until),
        delegate=p.delegate or None,
    )


@dataclass(frozen=True)
class Requirement:
    """What one user task needs, from its lane, its loanflow:* attributes and the
    application; and who may not decide it (four eyes)."""

    role: str | None
    amount: float = 0
    loan_type: str = ""
    skills: Sequence[str] = ()
    language: str = ""
    industry: str = ""
    min_authority: float = 0
    effort: float = 1
    applicant: str = ""
    submitter: str = ""
    earlier_deciders: frozenset[str] = frozenset()
    # Excluded by the workflow for a reason not known here: still four eyes.
    excluded: frozenset[str] = frozenset()
    previous_assignee: str | None = None

    @property
    def authority_needed(self) -> float:
        return max(self.amount, self.min_authority)

    @property
    def required_skills(self) -> tuple[str, ...]:
        return tuple(sorted(tokens([*self.skills, self.loan_type])))

    def describe(self) -> dict[str, Any]:
        return {
            "role": self.role, "skills": list(self.required_skills),
            "language": token(self.language) or None, "industry": token(self.industry) or None,
            "authority_needed": self.authority_needed, "effort": self.effort,
            "four_eyes": sorted(self.four_eyes()),
        }

    def four_eyes(self) -> dict[str, str]:
        """Who may not decide, and why."""
        why: dict[str, str] = {u: "excluded by the process" for u in self.excluded if u}
        why.update({u: "decided earlier on this application"
                    for u in self.earlier_deciders if u})
        if self.submitter:
            why[self.submitter] = "the submitter"
        if self.applicant:
            why[self.applicant] = "the applicant"
        return why


@dataclass(frozen=True)
class Considered:
    username: str
    eligible: bool
    chosen: bool
    open_effort: float
    open_tasks: int
    capacity: float
    load: float
    reason: str  # why chosen, or why not

    def as_json(self) -> dict[str, Any]:
        return {"username": self.username, "eligible": self.eligible, "chosen": self.chosen,
                "open_effort": self.open_effort, "open_tasks": self.open_tasks,
                "capacity": self.capacity,
                "load": round(self.load, 6) if self.load != float("inf") else None,
                "reason": self.reason}


@dataclass(frozen=True)
class Choice:
    assignee: str | None
    summary: str  # one line, for the inbox row
    requirement: Requirement
    considered: tuple[Considered, ...] = field(default=())

    @property
    def eligible(self) -> tuple[str, ...]:
        return tuple(c.username for c in self.considered if c.eligible)

    def as_json(self) -> dict[str, Any]:
        return {"assignee": self.assignee, "summary": self.summary,
                "requirement": self.requirement.describe(),
                "eligible": list(self.eligible),
                "considered": [c.as_json() for c in self.considered]}


def ineligibility(req: Requirement, c: Candidate, at: dt.datetime,
                  four_eyes: Mapping[str, str] | None = None) -> list[str]:
    """Every reason this person may not take the task (empty: eligible)."""
    why: list[str] = []
    barred = req.four_eyes() if four_eyes is None else four_eyes
    if c.username in barred:
        why.append(f"four eyes: {barred[c.username]}")
    if not may_act_for(sorted(c.roles), req.role):
        has = ", ".join(sorted(c.roles & APPROVER_ROLES)) or "no approver role"
        why.append(f"wrong role: has {has}, needs {req.role or 'an approver role'}")
    held = c.skills | c.languages | c.industries
    missing = [s for s in req.required_skills if s not in held]
    if missing:
        why.append(f"missing skill {', '.join(missing)}")
    if req.language and token(req.language) not in c.languages:
        why.append(f"missing language {token(req.language)}")
    if req.industry and token(req.industry) not in c.industries:
        why.append(f"missing industry {token(req.industry)}")
    if c.authority_limit < req.authority_needed:
        why.append(f"authority {_num(c.authority_limit)} < {_num(req.authority_needed)}")
    if is_away(at, c.away_from, c.away_until):
        until = f"until {c.away_until.isoformat()}" if c.away_until else "until further notice"
        deputy = f" (delegate {c.delegate})" if c.delegate else ""
        why.append(f"away {until}{deputy}")
    if c.capacity <= 0:
        why.append("no capacity")
    return why


def choose(req: Requirement, candidates: Iterable[Candidate], at: dt.datetime) -> Choice:
    """The approver for one task, or None (the role's shared queue), with the reason."""
    barred = req.four_eyes()
    people = sorted(candidates, key=lambda c: c.username)
    reasons = {c.username: ineligibility(req, c, at, barred) for c in people}
    eligible = [c for c in people if not reasons[c.username]]
    # People of the lane's own role first; a higher role only when none of them can.
    exact = [c for c in eligible if req.role is None or req.role in c.roles]
    tier = exact or eligible
    previous = next((c for c in eligible if c.username == req.previous_assignee), None)
    ranked = sorted(tier, key=lambda c: (c.load, c.username))
    chosen = previous or (ranked[0] if ranked else None)

    def record(c: Candidate) -> Considered:
        if chosen is not None and c.username == chosen.username:
            why = ("kept: had this step before and is still eligible" if previous is not None
                   else f"lowest load {c.load:.3f}")
        elif reasons[c.username]:
            why = "; ".join(reasons[c.username])
        elif previous is not None:
            why = f"the previous assignee {previous.username} is kept"
        elif c not in tier:
            why = f"higher role, only when nobody of role {req.role} is eligible"
        elif chosen is not None and c.load > chosen.load:
            why = f"higher load than the chosen: {c.load:.3f} > {chosen.load:.3f}"
        else:
            why = f"same load as the chosen ({c.load:.3f}), later by name"
        return Considered(c.username, not reasons[c.username],
                          chosen is not None and c.username == chosen.username,
                          c.open_effort, c.open_tasks, c.capacity, c.load, why)

    considered = tuple(record(c) for c in people)
    return Choice(chosen.username if chosen else None,
                  _summary(req, chosen, previous, ranked, len(people) - len(eligible)),
                  req, considered)


def _summary(req: Requirement, chosen: Candidate | None, previous: Candidate | None,
             ranked: list[Candidate], ineligible: int) -> str:
    needs = ", ".join([*req.required_skills, *(t for t in (token(req.language),
                                                           token(req.industry)) if t)])
    needs = f"{req.role or 'approver'}" + (f" [{needs}]" if needs else "") + \
        f", authority ≥ {_num(req.authority_needed)}"
    if chosen is None:
        return f"nobody eligible ({needs}; {ineligible} considered): left in the " \
               f"{req.role or 'approver'} queue"
    if previous is not None:
        return f"kept {chosen.username}: had this step before and is still eligible ({needs})"
    top = ", ".join(f"{c.username} {c.load:.2f}" for c in ranked[:5])
    more = f" +{len(ranked) - 5}" if len(ranked) > 5 else ""
    return f"lowest load among {len(ranked)} eligible ({top}{more}); {needs}"
