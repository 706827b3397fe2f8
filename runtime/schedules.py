"""Temporal Schedules the system needs, created idempotently: by the worker when it
starts and by `loanflow schedule retraining`."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from core.settings import Settings
from workflows.retrain import RetrainModelsWorkflow
from workflows.types import RetrainModelsInput

RETRAIN_EVERY = timedelta(days=7)


def retraining_schedule_id(settings: Settings) -> str:
    """One schedule per task queue: test workers on their own queues do not share one."""
    return f"retrain-models-{settings.task_queue}"


async def ensure_retraining_schedule(
    client: Client, settings: Settings, *, every: timedelta = RETRAIN_EVERY,
    inp: RetrainModelsInput | None = None,
) -> bool:
    """Create the weekly retraining schedule unless it exists; True when created. An
    existing schedule is left as it is (an operator may have paused or edited it)."""
    schedule_id = retraining_schedule_id(settings)
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            RetrainModelsWorkflow.run, inp or RetrainModelsInput(),
            id=f"{schedule_id}-run", task_queue=settings.task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # A run still training when the next is due: skip the next, never stack them.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
