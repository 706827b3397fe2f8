"""The worker: the BPMN process workflow and every activity, on one task queue."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.bundle import process_activities
from core.settings import Settings
from runtime.sandbox_builtins import use_real_builtins
from runtime.workflow_code import cache_workflow_code
from store.db import init_db, session_factory
from workflows.loan_process import LoanProcessWorkflow
from workflows.native import NativeLoanWorkflow
from workflows.retrain import RetrainModelsWorkflow

log = logging.getLogger(__name__)

# Spiff, lxml and our engine are imported once per worker, not once per workflow run:
# re-importing them inside the sandbox for every workflow halves throughput. So are the
# loan workflows themselves (loan_process.py, its body loan_flow.py with its mixins, and
# the hand-written native.py): re-importing a workflow's module re-runs `workflow.defn`,
# which inspects every method of the class (2-3 ms a run for LoanProcessWorkflow). These
# modules keep no state of their own and take time, ids and randomness from `workflow`;
# tests/workflows/test_passthrough.py holds them to it, since the sandbox cannot.
PASSTHROUGH = ("SpiffWorkflow", "lxml", "bpmn", "workflows.types", "workflows.loan_flow",
               "workflows.user_tasks", "workflows.changes", "workflows.migration",
               "workflows.reasons", "workflows.records", "workflows.loan_process",
               "workflows.native")
WORKFLOWS = [LoanProcessWorkflow, NativeLoanWorkflow, RetrainModelsWorkflow]
# Passed-through packages that call isinstance so often that the sandbox's wrapper of it
# shows (runtime/sandbox_builtins.py).
REAL_BUILTINS = ("SpiffWorkflow", "bpmn")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


def default_activities(settings: Settings) -> list[Callable[..., Any]]:
    from activities.retraining import RetrainingActivities
    from risk.registry import ModelRegistry

    init_db(settings.db_url)
    acts: list[Callable[..., Any]] = [
        *process_activities(session_factory(settings.db_url)),
        RetrainingActivities(ModelRegistry(settings.models_path),
                             session_factory(settings.db_url)).retrain_models,
    ]
    from runtime.outside import outside_activities

    acts += outside_activities(settings)
    return acts


# Allocations between two young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Collector settings for a long-running worker, once everything is imported.

    What is alive at this point (modules, compiled diagrams, the SDK's and SQLAlchemy's
    tables) lives as long as the process, yet every full collection would walk it again:
    freezing moves it out of the collector's sight. A run's objects (Spiff's task tree,
    its data dicts, payloads) mostly die young, and with collections ten times rarer
    fewer of them are still alive to be walked and promoted. Measured on the loan flow
    (150 applications at concurrency 50), the collector's time per application went
    from 3.9 to 0.9 ms (BPMN) and from 2.0 to 0.5 ms (native workflow). Cycles are still
    collected, only less often."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def build_worker(
    client: Client, settings: Settings, activities: Sequence[Callable[..., Any]] | None = None,
    max_concurrent_activities: int = 50, runner: WorkflowRunner | None = None,
) -> Worker:
    acts = list(activities) if activities is not None else default_activities(settings)
    # The sandbox imports a workflow module that is not passed through (retrain.py) anew
    # for every run: compile it only once.
    cache_workflow_code(w.__module__ for w in WORKFLOWS)
    use_real_builtins(REAL_BUILTINS)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=acts,
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_concurrent_activities),
        max_concurrent_activities=max_concurrent_activities,
        workflow_runner=runner or workflow_runner(),
    )


async def run_worker(settings: Settings) -> None:
    from core.temporal import connect
    from runtime.schedules import ensure_retraining_schedule

    client = await connect(settings)
    worker = build_worker(client, settings)
    tune_gc()
    try:
        await ensure_retraining_schedule(client, settings)
    except Exception:  # the schedule is not worth refusing to work over; say so loudly
        log.exception("could not create the retraining schedule")
    async with worker:
        await asyncio.Event().wait()
