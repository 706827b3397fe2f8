"""The what-if part of `loanflow bench definitions`.

Past applications are run for real on a Temporal dev server (not timed): the shipped
personal diagram with instant stand-in activities, over every route of its decision table
(automatic approval and decline, one review, two reviews, a review because the documents
disagree), people approving and declining with reason codes, four eyes kept (the deciders
are neither the applicant nor the submitter, nor each other).

Then what-if is timed the way the API runs it (api/processes/compare.py, which the bench
may not import): the last finished applications of the process selected from the
database, the versions they ran compiled, the candidate validated and compiled, every
history fetched from the server and read into a journal (workflows.journal), and each
journal re-driven on its own version and on the candidate (bpmn.whatif). The candidate is
the shipped personal diagram with the automatic-approval limit of its decision table
raised from 20,000 to 30,000: applications in between that a person declined would now be
approved (changed), those a person approved would be approved without the review
(rerouted)."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.client import Client, WorkflowHandle

from activities.bundle import process_activities
from bpmn import engine, whatif
from bpmn.validate import validate
from cli.bench_engine import BENCH_ACTIVITIES
from core.codec import data_converter, parse_keys
from core.settings import Settings
from runtime.devserver import free_port, start_dev_server
from runtime.worker import build_worker
from store.db import engine_for, init_db, session_factory
from store.definitions import DIAGRAMS, SHIPPED, deploy_shipped, executable_bundle
from store.models import Application, ProcessDefinition
from workflows.journal import fetch_journals
from workflows.types import (
    CompleteTaskInput,
    CompleteTaskResult,
    DefinitionRef,
    LoanProcessInput,
    ProcessStatus,
    ServiceTaskInput,
    ServiceTaskResult,
    process_data,
)

Line = Callable[[str, float, float], str]
PROCESS = "loan_personal"
FINAL = ("approved", "declined", "failed", "completed")  # api.applications.service.FINAL
APPLICANT = "bench-applicant"
SUBMITTER = "bench-clerk"
UNDERWRITERS = ["uma", "ulf", "ute", "uri"]
SENIORS = ["sam", "sue"]
MISMATCH = "bench: the documents disagree"  # the purpose that makes cross_check ask a person
GENERATE_CONCURRENCY = 25


@dataclass(frozen=True)
class Profile:
    """One kind of past application: the route the shipped table gives it (the stand-in
    grade is amount / yearly income: A < 0.2 <= B < 0.5 <= C < 1 <= E) and what the people
    reviewing it decide, in order."""

    amount: float
    monthly_income: float
    decisions: tuple[str, ...] = ()
    mismatch: bool = False


# Cycled in this order, so any 13 consecutive applications take every path.
PROFILES = [
    Profile(8_000, 10_000),  # A, small: automatic approval
    Profile(15_000, 3_000),  # B, small: automatic approval
    Profile(25_000, 12_000, ("approve",)),  # A, 20,000-200,000: one review, approved
    Profile(28_000, 6_000, ("decline",)),  # B, one review, declined
    Profile(60_000, 8_000, ("approve",)),  # C: one review
    Profile(150_000, 20_000, ("decline",)),  # C: one review, declined
    Profile(40_000, 2_000),  # E: automatic decline
    Profile(300_000, 40_000, ("approve", "approve")),  # C, over 200,000: two reviews
    Profile(500_000, 50_000, ("approve", "decline")),  # the senior approver declines
    Profile(900_000, 30_000),  # E: automatic decline
    Profile(22_000, 9_000, ("approve",), mismatch=True),  # B, documents disagree: a review
    Profile(12_000, 7_000, ("decline",), mismatch=True),  # A, small, but documents disagree
    Profile(250_000, 30_000, ("decline",)),  # C, two-level, declined at the first review
]


@dataclass
class Past:
    """A generated application and how it ran."""

    application_id: str
    workflow_id: str
    profile: Profile
    amount: float
    monthly_income: float
    status: str = ""


@dataclass
class WhatIfRun:
    lines: list[str]
    report: whatif.WhatIfReport
    past: list[Past]
    select_seconds: float = 0.0
    fetch_seconds: float = 0.0
    judge_seconds: float = 0.0
    routes: dict[str, int] = field(default_factory=dict)


@activity.defn(name="plan_deadlines")
def _deadlines(inp: ServiceTaskInput) -> ServiceTaskResult:
    """Reviews due in a week (reminders after five days): no timer fires in the bench."""
    now = datetime.now(UTC)
    due, remind = (now + timedelta(days=7)).isoformat(), (now + timedelta(days=5)).isoformat()
    return ServiceTaskResult({"deadlines": {"uw_review": due, "senior_review": due,
                                            "uw_review_remind": remind,
                                            "senior_review_remind": remind}})


@activity.defn(name="cross_check")
def _cross_check(inp: ServiceTaskInput) -> ServiceTaskResult:
    """Passed, unless the application is one whose documents disagree."""
    app = inp.data["application"]
    if isinstance(app, dict) and app.get("purpose") == MISMATCH:
        return ServiceTaskResult({"verification": {
            "outcome": "review", "findings": [{"code": "INCOME_MISMATCH"}]}})
    return ServiceTaskResult({"verification": {"outcome": "passed", "findings": []}})


def _activity_name(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__temporal_activity_definition").name)


_REPLACED = {"plan_deadlines", "cross_check"}
_ACTIVITIES = [*(a for a in BENCH_ACTIVITIES if _activity_name(a) not in _REPLACED),
               _deadlines, _cross_check]


def mix(n: int) -> list[tuple[Profile, dict[str, Any]]]:
    """`n` applications cycling through PROFILES, amounts and incomes varied a little
    (never across a boundary of the table or of the stand-in grade)."""
    base = json.loads((Path(__file__).parent / "sample_application.json").read_text())
    out = []
    for i in range(n):
        p = PROFILES[i % len(PROFILES)]
        app = json.loads(json.dumps(base))
        rnd = i // len(PROFILES)
        app["amount"] = p.amount + rnd % 10 * 50
        app["employment"]["monthly_income"] = p.monthly_income + rnd % 3 * 100
        if p.mismatch:
            app["purpose"] = MISMATCH
        out.append((p, app))
    return out


def _decision(p: Profile, k: int, element_id: str, n: int) -> CompleteTaskInput:
    """The k-th decision of application n on this task (approvers taken in turn)."""
    decision = p.decisions[k] if k < len(p.decisions) else "approve"
    senior = element_id == "senior_review"
    pool = SENIORS if senior else UNDERWRITERS
    actor, roles = pool[n % len(pool)], ["senior_approver" if senior else "underwriter"]
    if decision == "decline":
        return CompleteTaskInput("", actor, roles, "decline", "obligations too high for the "
                                 "income", ["OBLIGATIONS_EXCESSIVE", "INCOME_INSUFFICIENT"])
    return CompleteTaskInput("", actor, roles, "approve", "in order")


async def _decide(handle: WorkflowHandle[Any, Any], p: Profile, n: int) -> None:
    """Decide each review the run opens, as a person would, until the run ends."""
    result = asyncio.ensure_future(handle.result())
    k = 0
    while not result.done():
        status: ProcessStatus = await handle.query("status", result_type=ProcessStatus)
        if not status.open_tasks:
            await asyncio.wait([result], timeout=0.1)
            continue
        task = status.open_tasks[0]
        d = _decision(p, k, task.element_id, n)
        d.task_id = task.task_id
        await handle.execute_update("complete_task", d, result_type=CompleteTaskResult)
        k += 1
    await result


async def _run_past(client: Client, settings: Settings, ref: DefinitionRef,
                    n: int) -> list[Past]:
    gate = asyncio.Semaphore(GENERATE_CONCURRENCY)
    past: list[Past] = []
    t0 = time.perf_counter()
    step = max(n // 10, 1)

    async def one(i: int, p: Profile, app: dict[str, Any]) -> None:
        async with gate:
            app_id = str(uuid.uuid4())
            wf_id = f"application-{app_id}"
            with Session(engine_for(settings.db_url)) as s:
                s.add(Application(id=app_id, applicant_user=APPLICANT, submitted_by=SUBMITTER,
                                  loan_type="personal", amount=app["amount"], term_months=24,
                                  payload=json.dumps(app), workflow_id=wf_id,
                                  process_id=ref.process_id, process_version=ref.version,
                                  sha256=ref.sha256))
                s.commit()
            handle = await client.start_workflow(
                "LoanProcessWorkflow",
                LoanProcessInput(app_id, ref, process_data(app), APPLICANT, SUBMITTER),
                id=wf_id, task_queue=settings.task_queue)
            await _decide(handle, p, i)
            past.append(Past(app_id, wf_id, p, app["amount"],
                             app["employment"]["monthly_income"]))
            if len(past) % step == 0:
                print(f"    {len(past)}/{n} past applications finished "
                      f"({len(past) / (time.perf_counter() - t0):.1f}/s)", flush=True)

    await asyncio.gather(*(one(i, p, a) for i, (p, a) in enumerate(mix(n))))
    return past


def candidate_documents() -> tuple[str, list[str]]:
    """The personal diagram with automatic approval up to 30,000 (was 20,000)."""
    bpmn_file, dmn_files = SHIPPED["personal"]
    assert dmn_files == ["approval_route.dmn"], dmn_files
    dmn = (DIAGRAMS / dmn_files[0]).read_text()
    edits = (("<text>&lt;= 20000</text>", "<text>&lt;= 30000</text>"),
             ("<text>? &gt; 20000 and", "<text>? &gt; 30000 and"))
    if any(dmn.count(old) != 1 for old, _ in edits):
        raise SystemExit("approval_route.dmn changed: the bench's candidate no longer applies")
    raised = dmn
    for old, new in edits:
        raised = raised.replace(old, new)
    return (DIAGRAMS / bpmn_file).read_text(), [raised]


def _candidate(bpmn: str, dmn: list[str]) -> engine.CompiledProcess:
    """Validated and compiled as the API does it with a candidate that is not deployed."""
    problems = validate(bpmn, dmn, strict=True)
    if problems:
        raise SystemExit(f"the candidate is not valid: {problems[:3]}")
    exe, dmn_text, _ = executable_bundle(bpmn, dmn)
    return engine.compile_definition(exe, dmn_text, PROCESS)


def _select(settings: Settings, last: int) -> tuple[list[Application],
                                                      dict[str, engine.CompiledProcess]]:
    """The last finished applications of the process and the versions they ran (the
    API's compare.finished and compare.originals)."""
    with Session(engine_for(settings.db_url)) as s:
        apps = list(s.exec(select(Application).where(
            Application.process_id == PROCESS, col(Application.status).in_(FINAL))
            .order_by(col(Application.updated_at).desc(), col(Application.id))
            .limit(last)).all())
        compiled: dict[str, engine.CompiledProcess] = {}
        for sha in {a.sha256 for a in apps}:
            row = s.exec(select(ProcessDefinition)
                         .where(ProcessDefinition.sha256 == sha)).first()
            if row is not None:
                compiled[sha] = _compiled(row)
    return apps, compiled


def _compiled(row: ProcessDefinition) -> engine.CompiledProcess:
    return engine.compiled(row.sha256, lambda: (row.executable_xml, json.loads(row.dmn_xml)),
                           row.process_id)


def routes(cases: list[whatif.Case]) -> dict[str, int]:
    """How the past applications ran: by outcome and by the number of human decisions."""
    out: dict[str, int] = {}
    for c in cases:
        if c.journal is None:
            continue
        who = {0: "automatically", 1: "after one review"}.get(len(c.journal.decisions),
                                                              "after two reviews")
        key = f"{c.journal.status} {who}"
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def _figure(what: str, seconds: float) -> str:
    return f"  {what:44s}{seconds * 1000:10.0f} ms"


async def run_whatif(n: int, goal: float, line: Line) -> WhatIfRun:
    """Generate `n` past applications, then time what-if over them; prints as it goes."""
    tmp = Path(tempfile.mkdtemp(prefix="loanflow-bench-whatif-"))
    port = free_port()
    server = start_dev_server(None, port)
    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'bench.db'}",
                        temporal_address=f"127.0.0.1:{port}", task_queue="bench-whatif")
    init_db(settings.db_url)
    with Session(engine_for(settings.db_url)) as s:
        row = next(d.row for d in deploy_shipped(s) if d.row.process_id == PROCESS)
        ref = DefinitionRef(row.process_id, row.version, row.sha256)
    keys, active = parse_keys("bench:" + "b" * 43 + "=")
    try:
        client = await Client.connect(settings.temporal_address,
                                      data_converter=data_converter(keys, active))
        acts = [*process_activities(session_factory(settings.db_url)), *_ACTIVITIES]
        print(f"  what-if: running {n} past applications on a dev server (not timed) ...",
              flush=True)
        t0 = time.perf_counter()
        async with build_worker(client, settings, acts, max_concurrent_activities=100):
            past = await _run_past(client, settings, ref, n)
        print(f"    {n} finished in {time.perf_counter() - t0:.0f} s", flush=True)
        bpmn, dmn = candidate_documents()

        print(f"  what-if: the last {n} finished applications against the candidate "
              "(automatic approval up to 30,000, was 20,000) ...", flush=True)
        t0 = time.perf_counter()
        cand = _candidate(bpmn, dmn)
        apps, originals = _select(settings, n)
        t1 = time.perf_counter()
        journals = await fetch_journals(client, [a.workflow_id for a in apps])
        t2 = time.perf_counter()
    finally:
        server.terminate()
        server.wait()
    cases = [whatif.Case(a.id, None, None, unreadable=j) if isinstance(j, str)
             else whatif.Case(a.id, j, originals.get(a.sha256))
             for a, j in zip(apps, journals, strict=True)]
    step = max(len(cases) // 4, 1)

    def progress(k: int) -> None:
        if k % step == 0:
            print(f"    judged {k}/{len(cases)} ({time.perf_counter() - t3:.1f} s)", flush=True)

    t3 = time.perf_counter()
    report = await asyncio.to_thread(whatif.what_if, cand, cases, progress)
    t4 = time.perf_counter()
    status = {a.id: a.status for a in apps}
    for p in past:
        p.status = status.get(p.application_id, "")
    run = WhatIfRun([], report, past, t1 - t0, t2 - t1, t4 - t3, routes(cases))
    print("    past applications: " + ", ".join(f"{k} {v}" for k, v in run.routes.items()),
          flush=True)
    print(f"    {report.replayed} replayed: {len(report.changed)} decisions would change, "
          f"{len(report.rerouted)} rerouted (same decision, another way), "
          f"{report.unchanged} unchanged, {len(report.undecidable)} undecidable", flush=True)
    for e in report.by_element()[:3]:
        moves = ", ".join(f"{t} {c}" for t, c in e.transitions.items())
        print(f"    at {e.element_id} ({e.name}): {e.changed} changed ({moves}), "
              f"{e.rerouted} rerouted, {e.undecidable} undecidable", flush=True)
    total = run.select_seconds + run.fetch_seconds + run.judge_seconds
    run.lines = [
        _figure("what-if: select, compile versions, candidate", run.select_seconds),
        _figure(f"what-if: fetch {len(apps)} histories, journals", run.fetch_seconds),
        _figure(f"what-if: judge {len(cases)} applications", run.judge_seconds),
        line(f"what-if over {len(cases)} past applications", total, goal),
        f"  {'':44s}{len(report.changed):10d} decisions changed, "
        f"{len(report.rerouted)} rerouted, {len(report.undecidable)} undecidable",
    ]
    for x in run.lines:
        print(x, flush=True)
    return run


def bench_whatif(goal: float, line: Line, n: int = 1000) -> list[str]:
    return asyncio.run(run_whatif(n, goal, line)).lines
