"""Retraining from outcomes, started by a Temporal Schedule (runtime/schedules.py): one
activity does the work; the workflow's history records what was decided for each model."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.types import RetrainModelsInput, RetrainModelsResult


@workflow.defn(name="RetrainModelsWorkflow")
class RetrainModelsWorkflow:
    @workflow.run
    async def run(self, inp: RetrainModelsInput) -> RetrainModelsResult:
        result: RetrainModelsResult = await workflow.execute_activity(
            "retrain_models", inp, result_type=RetrainModelsResult,
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_attempts=3,
                                     initial_interval=timedelta(minutes=1)),
        )
        return result
