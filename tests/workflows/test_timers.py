"""Deadlines on Temporal's time-skipping test server: days pass in seconds."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.bundle import process_activities
from core.temporal import converter_for
from runtime.worker import build_worker
from store.db import session_factory
from store.models import DecisionRecord, Notification, Task, TaskEvent
from tests.conftest import make_settings
from tests.support import prepare_db, sample_application, start_application
from tests.workflows.fakes import FAKE_OUTSIDE
from tests.workflows.scenarios import SCENARIOS
from tests.workflows.test_loan_process import rows
from workflows.types import (
    AnswerReferralInput,
    CompleteTaskInput,
    CompleteTaskResult,
    ProcessStatus,
)


@pytest.fixture
async def skipping_env(tmp_path):
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", "unused")
    prepare_db(settings)
    server = Path(sys.executable).parent / "temporal-test-server"
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=converter_for(settings), test_server_existing_path=str(server)
    ) as env:
        acts = [*process_activities(session_factory(settings.db_url)), *FAKE_OUTSIDE]
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
    # The chain is on both tasks' logs: who had it, who got it.
    for task in (tasks["uw_review"], tasks["senior_review"]):
        chain = [e for e in _events(settings, task.id) if e.kind == "escalated"]
        assert len(chain) == 1 and chain[0].from_user == tasks["uw_review"].assignee
        assert chain[0].to_user == tasks["senior_review"].assignee == "sam"
    steps = [s.element_id for s in result.steps]
    assert "uw_timeout" in steps and "uw_review" not in steps
    human = [r.actor for r in rows(settings, DecisionRecord, application_id=result.application_id)
             if r.kind == "human"]
    assert human == ["sam"]


async def _task_id(handle, element_id: str, settings=None) -> str:
    """The open task's id, once its inbox row is written too."""
    from tests.workflows.test_loan_process import open_task

    task_id = await open_task(handle, element_id)
    for _ in range(200):
        if settings is None or rows(settings, Task, id=task_id):
            return task_id
        await asyncio.sleep(0.05)
    raise AssertionError(f"no inbox row for {task_id}")


def _events(settings, task_id: str) -> list[TaskEvent]:
    return sorted(rows(settings, TaskEvent, task_id=task_id), key=lambda e: e.id or 0)


async def test_reminder_comes_before_the_due_time_and_the_review_goes_on(skipping_env):
    env, settings = skipping_env
    handle = await start_application(env.client, settings, sample_application(amount=50_000))
    task_id = await _task_id(handle, "uw_review", settings)  # due in a day (fakes), reminder at 18 h
    await env.sleep(timedelta(hours=12))
    assert [e.kind for e in _events(settings, task_id)] == ["assigned"], _events(settings, task_id)[0].reason
    await env.sleep(timedelta(hours=8))
    events = _events(settings, task_id)
    assert [e.kind for e in events] == ["assigned", "reminded"]
    task = rows(settings, Task, id=task_id)[0]
    assert task.status == "open" and task.reminded_at is not None
    assert events[1].to_user == task.assignee
    notes = rows(settings, Notification, application_id=task.application_id)
    assert [n.recipient for n in notes if n.kind.startswith("reminder-")] == [task.assignee]
    await handle.execute_update("complete_task", CompleteTaskInput(
        task_id, "uma", ["underwriter"], "approve", "fine"), result_type=CompleteTaskResult)
    assert (await handle.result()).status == "approved"


async def test_time_waiting_on_the_applicant_does_not_count_against_the_deadline(skipping_env):
    env, settings = skipping_env
    handle = await start_application(env.client, settings, sample_application(amount=50_000),
                                     applicant="alice")
    task_id = await _task_id(handle, "uw_review", settings)
    due = rows(settings, Task, id=task_id)[0].due_at
    with pytest.raises(WorkflowUpdateFailedError) as no_question:
        await handle.execute_update("complete_task", CompleteTaskInput(
            task_id, "uma", ["underwriter"], "refer", ""), result_type=CompleteTaskResult)
    assert "needs a reason" in str(no_question.value.cause)
    await handle.execute_update("complete_task", CompleteTaskInput(
        task_id, "uma", ["underwriter"], "refer", "Please send last month's payslip"),
        result_type=CompleteTaskResult)
    status = await handle.query("status", result_type=ProcessStatus)
    assert status.status == "waiting_for_applicant"
    # Two days pass (the due time was one day): no reminder, no escalation.
    await env.sleep(timedelta(days=2))
    assert rows(settings, Task, id=task_id)[0].status == "referred"
    assert not rows(settings, Task, application_id=status.application_id,
                    element_id="senior_review")
    # The approver cannot decide while the applicant has the question; others cannot answer.
    with pytest.raises(WorkflowUpdateFailedError) as waiting:
        await handle.execute_update("complete_task", CompleteTaskInput(
            task_id, "uma", ["underwriter"], "approve", "ok"), result_type=CompleteTaskResult)
    assert "waits for the applicant" in str(waiting.value.cause)
    with pytest.raises(WorkflowUpdateFailedError) as stranger:
        await handle.execute_update("answer_referral", AnswerReferralInput(task_id, "bob"),
                                    result_type=CompleteTaskResult)
    assert "only the applicant" in str(stranger.value.cause)
    await handle.execute_update("answer_referral", AnswerReferralInput(task_id, "alice"),
                                result_type=CompleteTaskResult)
    task = rows(settings, Task, id=task_id)[0]
    assert task.assignee == "uma" and task.status in ("open", "claimed")
    assert task.waiting_seconds == pytest.approx(2 * 86_400, abs=120)
    assert task.due_at is not None and due is not None
    assert (task.due_at - due).total_seconds() == pytest.approx(2 * 86_400, abs=120)
    # Half a day later it is not overdue yet (it would have been without the pause)...
    await env.sleep(timedelta(hours=12))
    assert rows(settings, Task, id=task_id)[0].status in ("open", "claimed")
    # ...a day later it is, and it goes up to a senior approver.
    await env.sleep(timedelta(days=1))
    senior = await _task_id(handle, "senior_review", settings)
    kinds = [e.kind for e in _events(settings, task_id)]
    assert kinds[:3] == ["assigned", "referred", "resumed"] and "reminded" in kinds
    assert rows(settings, Task, id=task_id)[0].status == "cancelled"
    await handle.execute_update("complete_task", CompleteTaskInput(
        senior, "sam", ["senior_approver"], "approve", "payslip received"),
        result_type=CompleteTaskResult)
    assert (await handle.result()).status == "approved"
