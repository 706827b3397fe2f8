"""Deadlines on Temporal's time-skipping test server: days pass in seconds."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.process import ProcessActivities
from core.temporal import converter_for
from runtime.worker import build_worker
from store.db import session_factory
from store.models import DecisionRecord, Task
from tests.conftest import make_settings
from tests.support import prepare_db, start_application
from tests.workflows.fakes import FAKE_OUTSIDE
from tests.workflows.scenarios import SCENARIOS
from tests.workflows.test_loan_process import rows


@pytest.fixture
async def skipping_env(tmp_path):
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "unused")
    prepare_db(settings)
    server = Path(sys.executable).parent / "temporal-test-server"
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=converter_for(settings), test_server_existing_path=str(server)
    ) as env:
        process = ProcessActivities(session_factory(settings.db_url))
        acts = [process.load_definition, process.assign_task, process.close_task,
                process.record_decision, process.finish_application, process.disburse_loan,
                process.notify_applicant, *FAKE_OUTSIDE]
        async with build_worker(env.client, settings, acts):
            yield env, settings


async def test_overdue_review_escalates_to_a_senior_approver(skipping_env):
    env, settings = skipping_env
    app, driver, expected = SCENARIOS["personal_timer_escalation"]
    handle = await start_application(env.client, settings, app)
    await driver(handle, lambda seconds: env.sleep(timedelta(days=3)))  # nobody decides
    result = await handle.result()
    assert result.status == expected
    tasks = {t.element_id: t for t in rows(settings, Task, application_id=result.application_id)}
    assert tasks["uw_review"].status == "cancelled"
    assert "timer" in (tasks["uw_review"].reason or "")
    assert tasks["senior_review"].status == "done"
    assert tasks["senior_review"].decided_by == "sam"
    steps = [s.element_id for s in result.steps]
    assert "uw_timeout" in steps and "uw_review" not in steps
    human = [r.actor for r in rows(settings, DecisionRecord, application_id=result.application_id)
             if r.kind == "human"]
    assert human == ["sam"]
