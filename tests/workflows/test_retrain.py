"""RetrainModelsWorkflow on a real dev server, and its Schedule: created once however often
it is ensured."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from temporalio.client import Client

from activities.retraining import RetrainingActivities
from core.temporal import converter_for
from runtime.schedules import ensure_retraining_schedule, retraining_schedule_id
from runtime.worker import build_worker
from store.db import session_factory
from tests.conftest import make_settings
from tests.retrain_support import registry_copy, seed_outcomes
from workflows.retrain import RetrainModelsWorkflow
from workflows.types import RetrainModelsInput, RetrainModelsResult


async def test_workflow_retrains_once(tmp_path: Path, sqlite_url: str, temporal_address: str,
                                      running_worker: Any) -> None:
    registry = registry_copy(tmp_path)
    seed_outcomes(sqlite_url, registry, rows=300)
    settings = make_settings(tmp_path, sqlite_url, temporal_address,
                             model_dir=registry.root)
    client = await Client.connect(temporal_address, data_converter=converter_for(settings))
    acts = RetrainingActivities(registry, session_factory(sqlite_url))
    await running_worker(build_worker(client, settings, [acts.retrain_models]))
    result = await client.execute_workflow(
        RetrainModelsWorkflow.run,
        RetrainModelsInput(models=["personal", "business"], fast=True, actor="workflow-test"),
        id=f"retrain-{uuid.uuid4().hex[:8]}", task_queue=settings.task_queue)
    assert isinstance(result, RetrainModelsResult)
    personal, business = result.models
    assert personal.action in ("promoted", "kept_champion") and personal.challenger_version == 2
    assert business.action == "skipped" and business.outcome_rows == 0
    assert registry.promotions("personal")[-1]["actor"] == "workflow-test"


async def test_schedule_ensured_twice_is_one_schedule(tmp_path: Path, sqlite_url: str,
                                                      temporal_address: str) -> None:
    settings = make_settings(tmp_path, sqlite_url, temporal_address)
    client = await Client.connect(temporal_address, data_converter=converter_for(settings))
    assert await ensure_retraining_schedule(client, settings) is True
    assert await ensure_retraining_schedule(client, settings) is False
    schedule_id = retraining_schedule_id(settings)
    ids = [s.id async for s in await client.list_schedules()]
    # Listing is eventually consistent: describe is the authority, the list must not repeat.
    assert ids.count(schedule_id) <= 1
    described = await client.get_schedule_handle(schedule_id).describe()
    action = described.schedule.action
    assert getattr(action, "workflow", None) == "RetrainModelsWorkflow"
    assert getattr(action, "task_queue", None) == settings.task_queue
    await client.get_schedule_handle(schedule_id).delete()
