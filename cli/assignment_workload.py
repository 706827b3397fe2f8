"""The assignment benchmark's world: approvers with random skills, limits and capacities,
applications of mixed loan types and amounts, the review steps each one needs, and an
eligibility check written apart from activities/assignment.py to judge its choices."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from bpmn.registry import ROLE_RANK
from store.models import User

LOAN_TYPES = (("personal", 0.5), ("micro", 0.3), ("business", 0.2))
AMOUNTS = {"personal": (5_000, 500_000), "micro": (10_000, 1_500_000),
           "business": (50_000, 30_000_000)}
LANGUAGES = (("zh", 0.80), ("en", 0.15), ("yue", 0.05))
INDUSTRIES = ("retail", "manufacturing", "agriculture", "construction", "hospitality",
              "technology", "transport", "real_estate")
ROLES = (("underwriter", 0.6), ("senior_approver", 0.3), ("credit_committee", 0.1))
LIMITS = {"underwriter": (100_000, 200_000, 300_000, 500_000),
          "senior_approver": (1_000_000, 2_000_000, 5_000_000),
          "credit_committee": (20_000_000, 50_000_000)}
CAPACITIES = (5, 8, 10, 12, 15, 20)
# Which steps an application needs, by amount (as the diagrams' approval routes do).
SENIOR_FROM, COMMITTEE_FROM = 300_000, 5_000_000


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def make_approvers(rng: random.Random, n: int, now: dt.datetime,
                   away_share: float = 0.06) -> list[User]:
    """n approvers (60 % underwriters, 30 % senior approvers, 10 % credit committee;
    the higher the role, the broader the skills); a few are away now, each with a delegate
    of their role who is not."""
    shares = [(r, max(1, round(n * w))) for r, w in ROLES[1:]]
    roles = [r for r, k in shares for _ in range(k)]
    roles = (["underwriter"] * max(n - len(roles), 0) + roles)[:n]
    rng.shuffle(roles)
    breadth = {"underwriter": (0.65, 2, 5), "senior_approver": (0.8, 3, 6),
               "credit_committee": (1.0, 4, 7)}
    users = []
    for i, role in enumerate(roles):
        p_type, lo, hi = breadth[role]
        skills = [t for t, _ in LOAN_TYPES if rng.random() < p_type] or [_pick(rng, LOAN_TYPES)]
        langs = [lang for lang, p in (("zh", 0.9), ("en", 0.5), ("yue", 0.3))
                 if rng.random() < p] or ["zh"]
        users.append(User(
            username=f"ap{i + 1:02d}", full_name=f"Approver {i + 1}", password_hash="-",
            roles=role, skills=",".join(skills), languages=",".join(langs),
            industries=",".join(rng.sample(INDUSTRIES, rng.randint(lo, hi))),
            authority_limit=rng.choice(LIMITS[role]), capacity=rng.choice(CAPACITIES)))
    for u in rng.sample(users, max(1, round(n * away_share)) if n >= 4 else 0):
        others = [o for o in users if o.roles == u.roles and o is not u and not o.delegate
                  and o.away_from is None]
        if others:
            u.away_from, u.away_until = now - dt.timedelta(days=1), now + dt.timedelta(days=6)
            u.delegate = rng.choice(others).username
    return users


@dataclass
class Case:
    """One application and what its review steps need."""

    id: str
    applicant: str
    submitter: str
    loan_type: str
    amount: float
    language: str
    industry: str
    deciders: list[str] = field(default_factory=list)

    def steps(self) -> list[tuple[str, str, float]]:
        """(element id, lane, effort) of each review step, in order."""
        out = [("uw_review", "Underwriter", 1.0)]
        if self.amount >= SENIOR_FROM:
            out.append(("senior_review", "Senior approver", 2.0))
        if self.amount >= COMMITTEE_FROM:
            out.append(("committee_review", "Credit committee", 3.0))
        return out


def make_case(rng: random.Random, n: int, staff: list[str]) -> Case:
    loan_type = _pick(rng, LOAN_TYPES)
    lo, hi = AMOUNTS[loan_type]
    amount = round(math.exp(rng.uniform(math.log(lo), math.log(hi))), -3)
    # Staff apply for loans too, and branch staff submit on behalf of customers.
    applicant = rng.choice(staff) if rng.random() < 0.03 else f"customer{n}"
    submitter = rng.choice(staff) if rng.random() < 0.10 else applicant
    return Case(f"bench-app-{n:06d}", applicant, submitter, loan_type, amount,
                _pick(rng, LANGUAGES),
                rng.choice(INDUSTRIES) if loan_type == "business" else "")


@dataclass(frozen=True)
class Verdict:
    skill_or_authority: list[str]
    four_eyes: bool
    away: bool


def judge(u: User, case: Case, role: str, now: dt.datetime) -> Verdict:
    """Whether `u` may take `case`'s step of `role`, checked plainly."""
    ranks = [ROLE_RANK.get(r, 0) for r in u.role_list]
    wrong: list[str] = []
    if role not in u.role_list and max(ranks, default=0) < ROLE_RANK[role]:
        wrong.append(f"role {u.roles} for {role}")
    if case.loan_type not in u.skills.split(","):
        wrong.append(f"skill {case.loan_type}")
    if case.language not in u.languages.split(","):
        wrong.append(f"language {case.language}")
    if case.industry and case.industry not in u.industries.split(","):
        wrong.append(f"industry {case.industry}")
    if u.authority_limit < case.amount:
        wrong.append(f"authority {u.authority_limit:.0f} < {case.amount:.0f}")
    away = u.away_from is not None and u.away_until is not None and \
        _aware(u.away_from) <= now < _aware(u.away_until)
    return Verdict(wrong, u.username in {case.applicant, case.submitter, *case.deciders}, away)


def competing(users: list[User], case: Case, role: str,
              now: dt.datetime) -> tuple[list[User], list[User]]:
    """Who is eligible for the step, and who competes for it: eligible people of the role
    itself or, when there are none, the eligible people of a higher role."""
    ok = []
    for u in users:
        v = judge(u, case, role, now)
        if not (v.skill_or_authority or v.four_eyes or v.away):
            ok.append(u)
    return ok, [u for u in ok if role in u.role_list] or ok


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def balanced_floor(work: dict[frozenset[str], float], capacity: dict[str, float],
                   passes: int = 200, tol: float = 1e-9) -> dict[str, float]:
    """The most even load (effort ÷ capacity per person) that any assignment rule could
    reach: each group's work (the effort of the tasks that group competed for) split among
    its members as finely as wanted, even after the fact. A lower bound, since real tasks
    are whole and come one by one.

    Block coordinate descent on Σ load²/capacity, strictly convex, so it converges to the
    one optimum: each group's work in turn is poured over its members, up to a common
    level where it fits (water-filling), the other groups' shares held."""
    loads = dict.fromkeys(capacity, 0.0)
    share: dict[frozenset[str], dict[str, float]] = {g: {} for g in work}
    for _ in range(passes):
        moved = 0.0
        for group, effort in work.items():
            old = share[group]
            for name, x in old.items():
                loads[name] -= x
            new = _pour(effort, {n: (loads[n], capacity[n]) for n in group})
            for name, x in new.items():
                loads[name] += x
            moved = max(moved, max((abs(new.get(n, 0.0) - old.get(n, 0.0)) for n in group),
                                   default=0.0))
            share[group] = new
        if moved < tol:
            break
    return {n: loads[n] / capacity[n] for n in capacity}


def _pour(effort: float, members: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Split `effort` over members (load, capacity) to raise the lowest of them to one
    level r, where Σ max(0, r·capacity − load) = effort."""
    order = sorted(members.items(), key=lambda kv: kv[1][0] / kv[1][1])
    cap_sum = load_sum = 0.0
    level = 0.0
    for i, (_, (load, cap)) in enumerate(order):
        cap_sum += cap
        load_sum += load
        level = (effort + load_sum) / cap_sum
        nxt = order[i + 1][1] if i + 1 < len(order) else None
        if nxt is None or level <= nxt[0] / nxt[1]:
            break
    return {n: max(0.0, level * cap - load) for n, (load, cap) in members.items()}
