"""`loanflow bench engine`: the same applications through the BPMN-driven workflow and
through the same flow written by hand as a native Temporal workflow, side by side in one
run against one dev server, with the same activities. Prints throughput, latency and
worker CPU per application for each, and the ratios.

The outside-facing activities here answer at once, computed from the application: the
benchmark measures what the engine costs, not what the bureau's latency costs."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session
from temporalio import activity
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.client import Client
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner

from activities.bundle import process_activities
from core.codec import data_converter, parse_keys
from core.settings import Settings
from runtime.devserver import free_port, start_dev_server
from runtime.worker import build_worker, tune_gc, workflow_runner
from store.db import engine_for, init_db, session_factory
from store.definitions import deploy_shipped, latest_for_loan_type
from store.models import Application
from workflows.types import (
    DefinitionRef,
    LoanProcessInput,
    ServiceTaskInput,
    ServiceTaskResult,
    process_data,
)


def _grade(inp: ServiceTaskInput) -> str:
    app = inp.data["application"]
    ratio = float(app["amount"]) / max(float(app["employment"]["monthly_income"]) * 12, 1)
    return "A" if ratio < 0.2 else "B" if ratio < 0.5 else "C" if ratio < 1 else "E"


def _instant(name: str, key: str, value: Any) -> Any:
    @activity.defn(name=name)
    def run(inp: ServiceTaskInput) -> ServiceTaskResult:
        return ServiceTaskResult({key: value(inp) if callable(value) else value})

    return run


BENCH_ACTIVITIES = [
    _instant("validate_application", "validation", {"outcome": "passed"}),
    _instant("verify_identity", "identity", {"match": True}),
    _instant("check_employment", "employment_check", {"income_confirmed": True}),
    _instant("screen_sanctions", "sanctions", {"hits": []}),
    _instant("pull_credit_report", "bureau", {"status": "hit", "score": 720}),
    _instant("cross_check", "verification", {"outcome": "passed", "findings": []}),
    _instant("score_application", "score",
             lambda inp: {"grade": _grade(inp), "model_version": "bench", "reasons": []}),
    _instant("plan_deadlines", "deadlines", {}),
    _instant("read_documents", "documents", {"results": [], "fields": {}, "prefill": {},
                                             "needs_review": []}),
]


@dataclass
class Run:
    kind: str
    latencies: list[float]
    wall: float
    cpu: float
    server_cpu: float = 0.0
    workflow_cpu: float = 0.0  # in the workflow's activations (see _Timed)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


def _applications(n: int) -> list[dict[str, Any]]:
    base = json.loads((Path(__file__).parent / "sample_application.json").read_text())
    out = []
    for i in range(n):
        app = json.loads(json.dumps(base))
        app["amount"] = 5_000 + (i % 7) * 2_000 if i % 5 else 900_000  # mostly approve
        out.append(app)
    return out


class _Timed(WorkflowInstance):
    """A workflow instance whose activations are timed: the CPU the workflow's own code
    (and the engine in it) takes on the thread that runs it, apart from the activities,
    the SDK's payload handling and the client sharing the process."""

    def __init__(self, inner: WorkflowInstance, runner: _TimingRunner, kind: str) -> None:
        self._inner, self._runner, self._kind = inner, runner, kind

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        t0 = time.thread_time()
        try:
            return self._inner.activate(act)
        finally:
            self._runner.add(self._kind, time.thread_time() - t0)

    def get_serialization_context(self, command_info: Any) -> Any:
        return self._inner.get_serialization_context(command_info)

    def get_external_store_context(self, command_info: Any) -> Any:
        return self._inner.get_external_store_context(command_info)

    def get_info(self) -> Any:
        return self._inner.get_info()

    def get_thread_id(self) -> int | None:
        return self._inner.get_thread_id()


class _TimingRunner(WorkflowRunner):
    """The worker's own runner (the sandbox), with each instance's activations timed."""

    def __init__(self, inner: WorkflowRunner) -> None:
        self.inner, self.cpu = inner, dict[str, float]()
        self._lock = threading.Lock()  # activations run on several threads at once

    def add(self, kind: str, seconds: float) -> None:
        with self._lock:
            self.cpu[kind] = self.cpu.get(kind, 0.0) + seconds

    def spent(self, kind: str) -> float:
        with self._lock:
            return self.cpu.get(kind, 0.0)

    def prepare_workflow(self, defn: Any) -> None:
        self.inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _Timed(self.inner.create_instance(det), self, det.defn.name or "")

    def set_worker_level_failure_exception_types(self, types: Any) -> None:
        self.inner.set_worker_level_failure_exception_types(types)


def _process_cpu(pid: int | None) -> float:
    """CPU seconds (user and system) another process has used so far, from /proc."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _batch(client: Client, settings: Settings, kind: str, apps: list[dict[str, Any]],
                 concurrency: int, server_pid: int | None = None,
                 timing: _TimingRunner | None = None) -> Run:
    with Session(engine_for(settings.db_url)) as s:
        d = latest_for_loan_type(s, "personal")
        ref = DefinitionRef(d.process_id, d.version, d.sha256)
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(app: dict[str, Any]) -> None:
        async with sem:
            app_id = str(uuid.uuid4())
            with Session(engine_for(settings.db_url)) as s:
                s.add(Application(id=app_id, applicant_user="bench", submitted_by="bench",
                                  loan_type="personal", amount=app["amount"], term_months=24,
                                  payload="{}", workflow_id=f"{kind}-{app_id}",
                                  process_id=ref.process_id, process_version=ref.version,
                                  sha256=ref.sha256))
                s.commit()
            t0 = time.perf_counter()
            await client.execute_workflow(
                kind, LoanProcessInput(app_id, ref, process_data(app), "bench", "bench"),
                id=f"{kind}-{app_id}", task_queue=settings.task_queue)
            latencies.append(time.perf_counter() - t0)

    def activations() -> float:
        return timing.spent(kind) if timing is not None else 0.0

    cpu0, srv0, t0 = time.process_time(), _process_cpu(server_pid), time.perf_counter()
    wf0 = activations()
    await asyncio.gather(*(one(a) for a in apps))
    return Run(kind, latencies, time.perf_counter() - t0, time.process_time() - cpu0,
               _process_cpu(server_pid) - srv0, activations() - wf0)


async def _bench(n: int, concurrency: int, rounds: int = 4) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="loanflow-bench-"))
    port = free_port()
    server = start_dev_server(None, port)
    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'bench.db'}",
                        temporal_address=f"127.0.0.1:{port}", task_queue="bench")
    init_db(settings.db_url)
    with Session(engine_for(settings.db_url)) as s:
        deploy_shipped(s)
    keys, active = parse_keys("bench:" + "a" * 43 + "=")
    try:
        client = await Client.connect(settings.temporal_address,
                                      data_converter=data_converter(keys, active))
        acts = [*process_activities(session_factory(settings.db_url)), *BENCH_ACTIVITIES]
        timing = _TimingRunner(workflow_runner())
        tune_gc()  # as run_worker does
        async with build_worker(client, settings, acts, max_concurrent_activities=100,
                                runner=timing):
            await _batch(client, settings, "LoanProcessWorkflow", _applications(10), 10)
            await _batch(client, settings, "NativeLoanWorkflow", _applications(10), 10)
            runs: dict[str, list[Run]] = {"LoanProcessWorkflow": [], "NativeLoanWorkflow": []}
            per_round = max(n // rounds, 1)
            for rnd in range(rounds):
                # Alternate, and swap who goes first: drift on a shared machine hits both.
                kinds = list(runs) if rnd % 2 == 0 else list(reversed(runs))
                for kind in kinds:
                    r = await _batch(client, settings, kind, _applications(per_round),
                                     concurrency, server.pid, timing)
                    runs[kind].append(r)
                    print(f"  round {rnd + 1}/{rounds} {kind:22s} {r.throughput:6.1f} apps/s "
                          f"{r.cpu / len(r.latencies) * 1000:7.1f} ms CPU/app, server "
                          f"{r.server_cpu / len(r.latencies) * 1000:5.1f}, in the workflow "
                          f"{r.workflow_cpu / len(r.latencies) * 1000:5.1f}", flush=True)
        _report(runs)
    finally:
        server.terminate()
        server.wait()


def _merge(rs: list[Run]) -> Run:
    return Run(rs[0].kind, [x for r in rs for x in r.latencies], sum(r.wall for r in rs),
               sum(r.cpu for r in rs), sum(r.server_cpu for r in rs),
               sum(r.workflow_cpu for r in rs))


def _ratios(pairs: list[tuple[Run, Run]]) -> tuple[float, float]:
    """(throughput, CPU per application) of BPMN over native, the rounds pooled."""
    bpmn = _merge([b for b, _ in pairs])
    native = _merge([m for _, m in pairs])
    cpu = (bpmn.cpu / len(bpmn.latencies)) / (native.cpu / len(native.latencies))
    return bpmn.throughput / native.throughput, cpu


def _intervals(pairs: list[tuple[Run, Run]], draws: int = 2000,
               seed: int = 0) -> tuple[tuple[float, float], tuple[float, float]]:
    """95% bootstrap intervals of the pooled ratios: rounds (a BPMN run and the native
    run beside it) drawn with replacement: how far the figure moves with the noise between
    this run's rounds (drift between whole runs comes on top); seeded, so a report reads
    the same twice."""
    rng = random.Random(seed)
    thr, cpu = [], []
    for _ in range(draws):
        t, c = _ratios([rng.choice(pairs) for _ in pairs])
        thr.append(t)
        cpu.append(c)
    thr.sort()
    cpu.sort()
    lo, hi = int(0.025 * draws), min(int(0.975 * draws), draws - 1)
    return (thr[lo], thr[hi]), (cpu[lo], cpu[hi])


def _report(runs: dict[str, list[Run]]) -> None:
    bpmn, native = _merge(runs["LoanProcessWorkflow"]), _merge(runs["NativeLoanWorkflow"])
    print(f"\n{'':24s}{'apps':>6s}{'apps/s':>9s}{'p50 ms':>9s}{'p99 ms':>9s}{'CPU ms/app':>12s}"
          f"{'server ms/app':>15s}{'workflow ms/app':>17s}")
    for r in (bpmn, native):
        n = len(r.latencies)
        print(f"{r.kind:24s}{n:6d}{r.throughput:9.1f}{r.pct(0.5):9.0f}{r.pct(0.99):9.0f}"
              f"{r.cpu / n * 1000:12.1f}{r.server_cpu / n * 1000:15.1f}"
              f"{r.workflow_cpu / n * 1000:17.1f}")
    pairs = list(zip(runs["LoanProcessWorkflow"], runs["NativeLoanWorkflow"], strict=True))
    thr, cpu = _ratios(pairs)
    print(f"\nBPMN / native throughput: {thr:.2f}x (goal >= 0.90)   "
          f"CPU per application: {cpu:.2f}x (goal <= 1.20)")
    if len(pairs) > 1:
        thr_r = sorted(b.throughput / m.throughput for b, m in pairs)
        cpu_r = sorted((b.cpu / len(b.latencies)) / (m.cpu / len(m.latencies)) for b, m in pairs)
        print(f"per round ({len(pairs)}): throughput {thr_r[0]:.2f}x .. {thr_r[-1]:.2f}x "
              f"(median {statistics.median(thr_r):.2f}x), CPU {cpu_r[0]:.2f}x .. "
              f"{cpu_r[-1]:.2f}x (median {statistics.median(cpu_r):.2f}x)")
        (t_lo, t_hi), (c_lo, c_hi) = _intervals(pairs)
        print(f"95% interval over rounds (bootstrap): throughput {t_lo:.2f}x .. {t_hi:.2f}x, "
              f"CPU {c_lo:.2f}x .. {c_hi:.2f}x")
    p50 = statistics.median(bpmn.latencies) / statistics.median(native.latencies)
    print(f"latency p50 ratio: {p50:.2f}x")
    srv = (bpmn.server_cpu / len(bpmn.latencies)) / max(
        native.server_cpu / len(native.latencies), 1e-9)
    wf = (bpmn.workflow_cpu / len(bpmn.latencies)) / max(
        native.workflow_cpu / len(native.latencies), 1e-9)
    print(f"Temporal server CPU per application: {srv:.2f}x; in the workflow's own "
          f"activations: {wf:.2f}x")
    print("CPU is this process's (worker and client together; the same client work on both);"
          " the server's is the dev server's own, read from /proc; the workflow's is the"
          " activations' thread CPU (the workflow code and, for BPMN, the engine).")


def run_bench_engine(args: argparse.Namespace) -> int:
    rounds = getattr(args, "rounds", None) or 4
    print(f"loanflow bench engine: {args.count} applications each way in {rounds} "
          f"alternating rounds, concurrency {args.concurrency}")
    asyncio.run(_bench(args.count, args.concurrency, rounds))
    return 0
