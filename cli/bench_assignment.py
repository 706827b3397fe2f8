"""`loanflow bench assignment`: review tasks assigned by skill and workload, measured.

1. Assignment: TASKS review tasks of mixed loan types and amounts over APPROVERS approvers
   with random roles, skills, languages, industries, limits and capacities, a few away
   with a delegate. Each task is an application's last review step (underwriter, senior,
   or credit committee by amount), its earlier steps decided by others. Each goes through
   the real `assign_task` activity (the rule of activities/assignment.py over the grouped
   load query of store/approvers.py) and is judged by a check written apart from the rule:
   skill, role or authority violations, four-eyes violations, work given to someone away,
   tasks queued although someone could take them, reasons naming the wrong eligible
   people. All tasks stay open; at the end, the spread of load (open effort ÷ capacity,
   max/min) among the people who competed for each task, beside its floor: the same
   spread for the most even split of the same work that any rule could reach
   (assignment_workload.balanced_floor), so a spread the team's make-up forces is told
   apart from one the rule causes.
2. Inbox: with those open tasks and CLOSED closed ones added, the API's own inbox query
   for every approver, a session per query as a request has.

Both on SQLite and on PostgreSQL (a schema of its own, dropped afterwards)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlmodel import Session, SQLModel, col, select

from activities.process import ProcessActivities
from cli.assignment_workload import (
    Case,
    balanced_floor,
    competing,
    judge,
    make_approvers,
    make_case,
)
from store.approvers import OPEN_STATUSES, open_loads
from store.db import engine_for
from store.models import Application, Task, TaskEvent, User
from workflows.types import AssignTaskInput

PG_DEFAULT = os.environ.get("LOANFLOW_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
SPREAD_GOAL, INBOX_GOAL_MS = 1.2, 50.0
ROLE_OF_LANE = {"Underwriter": "underwriter", "Senior approver": "senior_approver",
                "Credit committee": "credit_committee"}
Result = dict[str, Any]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks", type=int, default=10_000, help="review steps to assign")
    parser.add_argument("--approvers", type=int, default=50)
    parser.add_argument("--closed", type=int, default=100_000, help="closed tasks for the inbox")
    parser.add_argument("--inbox-rounds", type=int, default=20,
                        help="inbox queries per approver")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default=PG_DEFAULT,
                        help="PostgreSQL URL ('' to skip PostgreSQL)")


class Progress:
    """One line that counts up on a terminal; a line every tenth otherwise."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.tty = label, max(total, 1), sys.stderr.isatty()
        self.step, self.t0 = max(self.total // 10, 1), time.perf_counter()

    def __call__(self, done: int) -> None:
        if done % self.step and done != self.total and not (self.tty and done % 100 == 0):
            return
        line = f"  {self.label}: {done}/{self.total} ({time.perf_counter() - self.t0:.0f} s)"
        if self.tty:
            print("\r" + line, end="\n" if done >= self.total else "", file=sys.stderr,
                  flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


@contextmanager
def database(kind: str, pg_url: str, workdir: Path, name: str) -> Iterator[Engine]:
    """An empty database with loanflow's tables: a SQLite file, or a PostgreSQL schema of
    its own (dropped afterwards) so that nothing else in that database is touched."""
    if kind == "sqlite":
        eng = engine_for(f"sqlite:///{workdir / f'{name}.db'}")
        SQLModel.metadata.create_all(eng)
        yield eng
        eng.dispose()
        return
    schema = f"loanflow_bench_{name}_{uuid.uuid4().hex[:8]}"
    url = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                        connect_args={"options": f"-csearch_path={schema}"})
    try:
        SQLModel.metadata.create_all(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _seed_users(eng: Engine, users: list[User]) -> None:
    with Session(eng, expire_on_commit=False) as s:
        s.add_all(users)
        s.commit()


def _application(case: Case) -> Application:
    payload = {"loan_type": case.loan_type, "amount": case.amount}
    if case.industry:
        payload["business"] = {"industry": case.industry}
    return Application(id=case.id, applicant_user=case.applicant, submitted_by=case.submitter,
                       loan_type=case.loan_type, amount=case.amount, term_months=24,
                       payload=json.dumps(payload), workflow_id=f"wf-{case.id}",
                       process_id=f"loan_{case.loan_type}", process_version=1, sha256="0" * 64)


def _reason_eligible(eng: Engine, task_id: str) -> set[str]:
    with Session(eng) as s:
        ev = s.exec(select(TaskEvent).where(TaskEvent.task_id == task_id)).first()
    return set(json.loads(ev.detail)["eligible"]) if ev is not None else set()


def _earlier_deciders(rng: random.Random, users: list[User], case: Case) -> None:
    """Who decided the case's earlier steps (one of their role, not the applicant)."""
    for _, lane, _ in case.steps()[:-1]:
        pool = [u.username for u in users if ROLE_OF_LANE[lane] in u.role_list
                and u.username not in (case.applicant, case.submitter, *case.deciders)]
        if pool:
            case.deciders.append(rng.choice(pool))


def bench_assignment(eng: Engine, users: list[User], tasks: int, seed: int, now: dt.datetime,
                     label: str) -> Result:
    """Each task is the case's last review step, its earlier steps decided by others; all
    tasks stay open, so the loads at the end are the whole assigned work."""
    rng = random.Random(seed + 1)
    by_name = {u.username: u for u in users}
    _seed_users(eng, users)
    process = ProcessActivities(lambda: Session(eng))
    stats: Counter[str] = Counter()
    latencies: list[float] = []
    tiers: Counter[frozenset[str]] = Counter()
    work: dict[frozenset[str], float] = {}  # the effort each group competed for
    chosen: list[str | None] = []
    progress = Progress(f"assigning on {label}", tasks)
    for n in range(tasks):
        case = make_case(rng, n, list(by_name))
        _earlier_deciders(rng, users, case)
        element, lane, effort = case.steps()[-1]
        role, task_id = ROLE_OF_LANE[lane], f"wf-{case.id}/{element}/1"
        with Session(eng) as s:
            s.add(_application(case))
            s.commit()
        inp = AssignTaskInput(
            task_id, case.id, f"wf-{case.id}", element, 1, element, lane, case.amount,
            case.loan_type, sorted({case.applicant, case.submitter, *case.deciders}), None,
            required_skills=[case.loan_type], language=case.language, effort=effort)
        t0 = time.perf_counter()
        got = process.assign_task(inp)
        latencies.append(time.perf_counter() - t0)
        chosen.append(got.assignee)
        eligible, tier = competing(users, case, role, now)
        if _reason_eligible(eng, task_id) != {u.username for u in eligible}:
            stats["reason_wrong"] += 1
        if got.assignee is None:
            stats["queued"] += 1
            stats["queued_wrongly"] += bool(eligible)
        else:
            verdict = judge(by_name[got.assignee], case, role, now)
            stats["skill_or_authority"] += bool(verdict.skill_or_authority)
            stats["four_eyes"] += verdict.four_eyes
            stats["away"] += verdict.away
            stats["higher_role"] += role not in by_name[got.assignee].role_list
            group = frozenset(u.username for u in tier)
            tiers[group] += 1
            work[group] = work.get(group, 0.0) + effort
        progress(n + 1)
    with Session(eng) as s:
        loads = open_loads(s)
    ratio = {u.username: loads[u.username].effort / u.capacity if u.username in loads else 0.0
             for u in users}
    floor = balanced_floor(work, {u.username: float(u.capacity) for u in users})
    spreads, floors = _spreads(tiers, ratio), _spreads(tiers, floor)
    ms = [x * 1000 for x in latencies]
    return {"tasks": tasks, "approvers": len(users),
            "away": sum(1 for u in users if u.delegate), "stats": dict(stats),
            "spread_p50": _pct(spreads, 50), "spread_p99": _pct(spreads, 99),
            "spread_max": max(spreads, default=0.0),
            "floor_p50": _pct(floors, 50), "floor_p99": _pct(floors, 99),
            "floor_within_goal": sum(x <= SPREAD_GOAL for x in floors) / max(len(floors), 1),
            "over_floor_p99": _pct([a / b for a, b in zip(spreads, floors, strict=True)], 99),
            "spread_within_goal": sum(x <= SPREAD_GOAL for x in spreads) / max(len(spreads), 1),
            "assign_p50_ms": _pct(ms, 50), "assign_p99_ms": _pct(ms, 99), "chosen": chosen}


def _spreads(tiers: Counter[frozenset[str]], ratio: dict[str, float]) -> list[float]:
    """Per task: max/min of effort÷capacity among the people who competed for it."""
    out: list[float] = []
    for group, count in tiers.items():
        lo, hi = min(ratio[u] for u in group), max(ratio[u] for u in group)
        out += [hi / lo if lo > 0 else float("inf")] * count
    return out


def _fill_closed(eng: Engine, users: list[User], closed_n: int, seed: int, label: str) -> None:
    """CLOSED decided or cancelled tasks of the past year, in bulk."""
    rng, now = random.Random(seed + 2), dt.datetime.now(dt.UTC)
    roles = {u.username: u.role_list[0] for u in users}
    names = list(roles)
    progress, batch = Progress(f"filling {label}", closed_n), 5_000
    for start in range(0, closed_n, batch):
        rows = []
        for i in range(start, min(start + batch, closed_n)):
            who = rng.choice(names)
            created = now - dt.timedelta(minutes=rng.randint(60, 525_600))
            rows.append({
                "id": f"wf-past-{i:07d}/uw_review/1", "application_id": f"past-{i:07d}",
                "workflow_id": f"wf-past-{i:07d}", "element_id": "uw_review", "occurrence": 1,
                "name": "uw_review", "role": roles[who], "assignee": who, "claimed_by": who,
                "status": "done" if rng.random() < 0.9 else "cancelled",
                "amount": rng.randint(5, 5_000) * 1_000, "loan_type": "personal",
                "effort": 1.0, "due_at": created + dt.timedelta(days=2), "created_at": created,
                "decided_by": who, "decision": "approve",
                "closed_at": created + dt.timedelta(minutes=rng.randint(5, 4_000)),
            })
        with Session(eng) as s:
            s.execute(insert(Task), rows)
            s.commit()
        progress(start + len(rows))
    if eng.dialect.name == "postgresql":  # autovacuum would, a minute later
        with eng.connect() as c:
            c.execute(text("ANALYZE tasks"))
            c.commit()


def _inbox_function() -> Callable[..., list[Any]]:
    """The API's own inbox query, resolved by name as `loanflow api` resolves the app: the
    CLI measures the api without importing it (import-linter: nothing imports the api)."""
    import importlib

    fn: Callable[..., list[Any]] = importlib.import_module("api.tasks.service").inbox
    return fn


def bench_inbox(eng: Engine, users: list[User], closed_n: int, rounds: int, seed: int,
                label: str) -> Result:
    """The API's inbox for every approver, over the open tasks just assigned and CLOSED
    closed ones; a session per query, as a request has."""
    _fill_closed(eng, users, closed_n, seed, label)
    inbox = _inbox_function()
    with Session(eng, expire_on_commit=False) as s:
        people = list(s.exec(select(User)).all())
        open_n = len(s.exec(select(Task.id).where(col(Task.status).in_(OPEN_STATUSES))).all())
    for u in people:  # warm the pool and the caches
        with Session(eng) as s:
            inbox(s, u)
    times, sizes = [], []
    progress = Progress(f"inbox queries on {label}", rounds * len(people))
    for r in range(rounds):
        for u in people:
            with Session(eng) as s:
                t0 = time.perf_counter()
                rows = inbox(s, u)
                times.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(rows))
        progress((r + 1) * len(people))
    return {"queries": len(times), "inbox_p50_ms": _pct(times, 50),
            "inbox_p99_ms": _pct(times, 99), "inbox_max_ms": max(times),
            "rows_mean": statistics.fmean(sizes), "rows_max": max(sizes),
            "open": open_n, "closed": closed_n}


def _pg_reachable(url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as err:
        return str(err).strip().splitlines()[0]


def run(args: argparse.Namespace) -> dict[str, Result]:
    kinds = ["sqlite"]
    if args.postgres:
        why = _pg_reachable(args.postgres)
        if why is None:
            kinds.append("postgresql")
        else:
            print(f"PostgreSQL skipped ({args.postgres}): {why}", file=sys.stderr)
    results: dict[str, Result] = {}
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="loanflow-bench-") as tmp:
        for kind in kinds:
            users = make_approvers(random.Random(args.seed), args.approvers, now)
            with database(kind, args.postgres, Path(tmp), "assignment") as eng:
                res = bench_assignment(eng, users, args.tasks, args.seed, now, kind)
                res.update(bench_inbox(eng, users, args.closed, args.inbox_rounds, args.seed,
                                       kind))
            results[kind] = res
    return results


def _goal(value: float, goal: float) -> str:
    if goal == 0:
        return "met" if value == 0 else "NOT met"
    return f"{value / goal:.2f}× goal, {'met' if value <= goal else 'NOT met'}"


def report(results: dict[str, Result]) -> list[str]:
    first = next(iter(results.values()))
    lines = [f"loanflow bench assignment: {first['tasks']} review tasks "
             f"over {first['approvers']} approvers "
             f"({first['away']} away with a delegate)"]
    for kind, r in results.items():
        st: Counter[str] = Counter(r["stats"])
        lines += [
            f"[{kind}]",
            f"skill/role/authority violations  {st['skill_or_authority']}   (goal 0: "
            f"{_goal(st['skill_or_authority'], 0)})",
            f"four-eyes violations             {st['four_eyes']}   (goal 0: "
            f"{_goal(st['four_eyes'], 0)})",
            f"assigned to someone away         {st['away']}   (goal 0: {_goal(st['away'], 0)})",
            f"queued, nobody eligible          {st['queued']}   (queued although someone was "
            f"eligible: {st['queued_wrongly']}, goal 0: {_goal(st['queued_wrongly'], 0)})",
            f"reasons listing the wrong people {st['reason_wrong']}   (goal 0: "
            f"{_goal(st['reason_wrong'], 0)})",
            f"to a higher role (none of the lane's role eligible) {st['higher_role']}",
            f"load spread among eligible (max/min of effort÷capacity at the end, per task): "
            f"p50 {r['spread_p50']:.3f}, p99 {r['spread_p99']:.3f}, max {r['spread_max']:.3f}, "
            f"{r['spread_within_goal']:.1%} of tasks within goal   "
            f"(goal ≤ {SPREAD_GOAL}: p99 {_goal(r['spread_p99'], SPREAD_GOAL)})",
            f"  the floor for this team and these tasks (the most even split any rule "
            f"could reach, tasks divisible): p50 {r['floor_p50']:.3f}, p99 "
            f"{r['floor_p99']:.3f}, {r['floor_within_goal']:.1%} of tasks within goal "
            f"({_reachable(r['floor_p99'])}); "
            f"the rule over the floor, per task: p99 {r['over_floor_p99']:.3f}×",
            f"assignment latency (the activity: read, choose, write)  p50 "
            f"{r['assign_p50_ms']:.2f} ms, p99 {r['assign_p99_ms']:.2f} ms",
            f"inbox query, {r['open']} open + {r['closed']} closed tasks, {r['queries']} "
            f"queries ({r['rows_mean']:.0f} rows on average, {r['rows_max']} at most): "
            f"p50 {r['inbox_p50_ms']:.2f} ms, p99 {r['inbox_p99_ms']:.2f} ms, max "
            f"{r['inbox_max_ms']:.2f} ms   (goal p99 ≤ {INBOX_GOAL_MS:.0f} ms: "
            f"{_goal(r['inbox_p99_ms'], INBOX_GOAL_MS)})",
        ]
    if len(results) > 1:
        same = len({tuple(r["chosen"]) for r in results.values()}) == 1
        lines.append(f"same choices on every database: {'yes' if same else 'NO'}")
    return lines


def _reachable(floor_p99: float) -> str:
    if floor_p99 > SPREAD_GOAL:
        return "so no rule can meet the goal with this team"
    return "the goal is within reach"


def passed(results: dict[str, Result]) -> bool:
    return all(
        not any(r["stats"].get(k, 0) for k in ("skill_or_authority", "four_eyes", "away",
                                               "queued_wrongly", "reason_wrong"))
        and r["spread_p99"] <= SPREAD_GOAL and r["inbox_p99_ms"] <= INBOX_GOAL_MS
        for r in results.values())


def run_bench_assignment(args: argparse.Namespace) -> int:
    defaults = argparse.ArgumentParser()
    add_arguments(defaults)
    merged = defaults.parse_args([])
    known = vars(merged)
    merged.__dict__.update({k: v for k, v in vars(args).items() if k in known and v is not None})
    results = run(merged)
    for line in report(results):
        print(line, flush=True)
    return 0 if passed(results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loanflow bench assignment", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run_bench_assignment(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
