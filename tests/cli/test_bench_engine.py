"""`loanflow bench engine`'s measuring parts: the runner wrapper that times each
workflow's activations, and the other process's CPU read from /proc."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from temporalio.client import Client

from activities.bundle import process_activities
from cli.bench_engine import Run, _intervals, _process_cpu, _ratios, _TimingRunner
from core.temporal import converter_for
from runtime.worker import build_worker, workflow_runner
from store.db import session_factory
from tests.conftest import make_settings
from tests.support import create_application, prepare_db, sample_application
from tests.workflows.fakes import FAKE_OUTSIDE
from workflows.types import LoanProcessResult


async def test_activation_cpu_is_timed_per_workflow_type_and_runs_change_nothing(
        tmp_path, sqlite_url, temporal_address, running_worker) -> None:
    settings = make_settings(tmp_path, sqlite_url, temporal_address)
    prepare_db(settings)
    client = await Client.connect(temporal_address, data_converter=converter_for(settings))
    acts = [*process_activities(session_factory(settings.db_url)), *FAKE_OUTSIDE]
    timing = _TimingRunner(workflow_runner())
    await running_worker(build_worker(client, settings, acts, runner=timing))
    wf_id, inp = create_application(settings, sample_application(amount=10_000))
    bpmn = await client.execute_workflow("LoanProcessWorkflow", inp, id=wf_id,
                                         task_queue=settings.task_queue,
                                         result_type=LoanProcessResult)
    assert bpmn.status == "approved"
    # The client has its result before the worker has done with the run (the completion's
    # last activation and the eviction may still be going): wait until its account settles.
    after_bpmn = await _settled(timing)
    assert set(after_bpmn) == {"LoanProcessWorkflow"} and after_bpmn["LoanProcessWorkflow"] > 0
    native = await client.execute_workflow("NativeLoanWorkflow", inp, id=f"native-{wf_id}",
                                           task_queue=settings.task_queue,
                                           result_type=LoanProcessResult)
    assert native.status == "approved"
    assert timing.spent("NativeLoanWorkflow") > 0
    # The BPMN workflow's account did not move while only the native one ran.
    assert timing.spent("LoanProcessWorkflow") == after_bpmn["LoanProcessWorkflow"]


async def _settled(timing: _TimingRunner) -> dict[str, float]:
    last = dict(timing.cpu)
    for _ in range(50):
        await asyncio.sleep(0.1)
        now = dict(timing.cpu)
        if now == last:
            return now
        last = now
    raise AssertionError(f"activation CPU still moving: {last}")


def test_another_processes_cpu_comes_from_proc() -> None:
    busy = subprocess.Popen([sys.executable, "-c",
                             "import time; sum(i * i for i in range(3_000_000)); "
                             "print(flush=True); time.sleep(30)"],
                            stdout=subprocess.PIPE)
    try:
        assert busy.stdout is not None
        busy.stdout.readline()  # its work is done, and it is still there
        assert _process_cpu(busy.pid) > 0.05
    finally:
        busy.kill()
        busy.wait()
    assert _process_cpu(busy.pid) == 0.0  # gone
    assert _process_cpu(None) == 0.0
    assert _process_cpu(os.getpid()) > 0


def _pair(bpmn_wall: float, native_wall: float, bpmn_cpu: float = 1.0,
          native_cpu: float = 1.0) -> tuple[Run, Run]:
    return (Run("LoanProcessWorkflow", [1.0] * 100, bpmn_wall, bpmn_cpu),
            Run("NativeLoanWorkflow", [1.0] * 100, native_wall, native_cpu))


def test_the_rounds_interval_brackets_the_pooled_ratio_and_narrows_with_agreement() -> None:
    # 100 applications in 10 s against 9 s: throughput 0.9x in every round
    same = [_pair(10.0, 9.0, 1.1, 1.0) for _ in range(8)]
    (t_lo, t_hi), (c_lo, c_hi) = _intervals(same)
    assert t_lo == t_hi == _ratios(same)[0] == pytest.approx(0.9)
    assert c_lo == c_hi == _ratios(same)[1] == pytest.approx(1.1)
    # rounds that disagree: the interval is wider, holds the pooled figure, and stays
    # inside the rounds' own range
    mixed = [_pair(10.0, w) for w in (8.0, 8.5, 9.0, 9.5, 10.0, 10.5, 9.0, 9.2)]
    (lo, hi), _ = _intervals(mixed)
    pooled = _ratios(mixed)[0]
    per_round = [n.wall / b.wall for b, n in mixed]
    assert min(per_round) <= lo < pooled < hi <= max(per_round)
    assert _intervals(mixed) == _intervals(mixed)  # seeded: the same report twice
