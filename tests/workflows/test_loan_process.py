"""The personal-loan diagram driving real workflows on a real Temporal dev server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowUpdateFailedError

from store.db import engine_for
from store.models import Application, DecisionRecord, Disbursement, Notification, Task
from tests.support import sample_application, start_application
from workflows.types import CompleteTaskInput, CompleteTaskResult, ProcessStatus


def rows(settings, model, **where) -> list[Any]:
    with Session(engine_for(settings.db_url)) as s:
        stmt = select(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return list(s.exec(stmt).all())


async def open_task(handle, element_id: str, timeout: float = 20, settings=None) -> str:
    """The open task's id; with `settings`, once its inbox row is written too (the status
    shows the task as soon as it opens, before assign_task has written the row)."""
    for _ in range(int(timeout * 10)):
        status: ProcessStatus = await handle.query("status", result_type=ProcessStatus)
        for t in status.open_tasks:
            if t.element_id == element_id and (settings is None
                                               or rows(settings, Task, id=t.task_id)):
                return t.task_id
        await asyncio.sleep(0.1)
    raise AssertionError(f"no open task {element_id}; status {status}")


def decide(task_id, actor, roles, decision, reason="", codes=()) -> CompleteTaskInput:
    return CompleteTaskInput(task_id, actor, roles, decision, reason, list(codes))


async def test_small_low_risk_loan_is_approved_and_paid_once(env):
    settings, client = env
    handle = await start_application(client, settings, sample_application(amount=10_000))
    result = await handle.result()
    assert (result.status, result.outcome) == ("approved", "approved")
    app = rows(settings, Application, id=result.application_id)[0]
    assert app.status == "approved"
    assert len(rows(settings, Disbursement, application_id=app.id)) == 1
    assert rows(settings, Notification, application_id=app.id)[0].kind == "outcome:approved"
    records = rows(settings, DecisionRecord, application_id=app.id)
    kinds = [(r.element_id, r.kind, r.outcome) for r in records]
    assert ("route_rule", "rule", "route=auto_approve") in kinds
    assert ("score", "automated", "A") in kinds
    assert all(r.sha256 == app.sha256 and r.process_version == app.process_version for r in records)
    score = next(r for r in records if r.element_id == "score")
    assert score.model_version == "fake-1"
    steps = [s.element_id for s in result.steps]
    assert steps.index("validate") < steps.index("bureau") < steps.index("score") \
        < steps.index("route_rule") < steps.index("disburse") < steps.index("notify_ok")


async def test_high_risk_is_declined_automatically_with_reasons(env):
    settings, client = env
    app = sample_application(amount=500_000, employment={"monthly_income": 5_000})
    handle = await start_application(client, settings, app)
    result = await handle.result()
    assert result.status == "declined"
    assert result.reasons == ["Debt is high"]
    assert rows(settings, Disbursement, application_id=result.application_id) == []


async def test_manual_review_rejects_bad_decisions_before_history(env):
    settings, client = env
    handle = await start_application(client, settings, sample_application(amount=50_000),
                                     applicant="alice")
    task_id = await open_task(handle, "uw_review", settings=settings)
    row = rows(settings, Task, id=task_id)[0]
    assert row.role == "underwriter" and row.status == "open"
    bad = [
        (decide(task_id, "alice", ["underwriter"], "approve"), "four eyes"),
        (decide(task_id, "olga", ["process_owner"], "approve"), "role 'underwriter'"),
        (decide(task_id, "uma", ["underwriter"], "decline", ""), "needs a reason"),
        (decide(task_id, "uma", ["underwriter"], "decline", "poor history"),
         "at least one reason code"),
        (decide(task_id, "uma", ["underwriter"], "decline", "x", ["OTHER"]),
         "unknown reason codes: OTHER"),
        (decide(task_id, "uma", ["underwriter"], "maybe"), "decision must be"),
        (decide(task_id + "x", "uma", ["underwriter"], "approve"), "not open"),
    ]
    for decision, message in bad:
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await handle.execute_update("complete_task", decision, result_type=CompleteTaskResult)
        assert message in str(err.value.cause), (decision, err.value.cause)
    ok = await handle.execute_update("complete_task", decide(task_id, "uma", ["underwriter"],
                                                             "approve", "income verified"),
                                     result_type=CompleteTaskResult)
    assert ok.accepted
    with pytest.raises(WorkflowUpdateFailedError) as dup:
        await handle.execute_update("complete_task", decide(task_id, "ursula", ["underwriter"],
                                                            "approve"),
                                    result_type=CompleteTaskResult)
    assert "not open" in str(dup.value.cause)
    result = await handle.result()
    assert result.status == "approved"
    human = [r for r in rows(settings, DecisionRecord, application_id=result.application_id)
             if r.kind == "human"]
    assert [(h.actor, h.outcome, json.loads(h.reasons)) for h in human] == \
        [("uma", "approve", ["income verified"])]
    # Rejected updates never reached the history: only the accepted one is there.
    history = await handle.fetch_history()
    accepted = [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert len(accepted) == 1
    assert rows(settings, Task, id=task_id)[0].status == "done"


async def test_large_loan_needs_two_different_approvers(env):
    settings, client = env
    handle = await start_application(client, settings, sample_application(
        amount=400_000, term_months=60, employment={"monthly_income": 150_000}))
    first = await open_task(handle, "uw_review")
    await handle.execute_update("complete_task", decide(first, "uma", ["underwriter"], "approve",
                                                        "ok"), result_type=CompleteTaskResult)
    second = await open_task(handle, "senior_review", settings=settings)
    assert rows(settings, Task, id=second)[0].role == "senior_approver"
    with pytest.raises(WorkflowUpdateFailedError) as err:  # uma decided already
        await handle.execute_update("complete_task", decide(second, "uma", ["senior_approver"],
                                                            "approve"),
                                    result_type=CompleteTaskResult)
    assert "four eyes" in str(err.value.cause)
    with pytest.raises(WorkflowUpdateFailedError):  # an underwriter is not senior enough
        await handle.execute_update("complete_task", decide(second, "ursula", ["underwriter"],
                                                            "approve"),
                                    result_type=CompleteTaskResult)
    await handle.execute_update("complete_task", decide(second, "sam", ["senior_approver"],
                                                        "approve", "fine"),
                                result_type=CompleteTaskResult)
    result = await handle.result()
    assert result.status == "approved"
    actors = [r.actor for r in rows(settings, DecisionRecord, application_id=result.application_id)
              if r.kind == "human"]
    assert actors == ["uma", "sam"]


async def test_failed_check_and_scoring_outage_go_to_a_person(env):
    settings, client = env
    app = sample_application(applicant={"full_name": "Mismatch Li"},
                             employment={"monthly_income": 0})
    handle = await start_application(client, settings, app)
    task_id = await open_task(handle, "uw_review")
    status: ProcessStatus = await handle.query("status", result_type=ProcessStatus)
    assert status.status == "waiting_for_approval"
    await handle.execute_update("complete_task", decide(task_id, "uma", ["underwriter"], "decline",
                                                        "identity does not match",
                                                        ["IDENTITY_UNVERIFIED"]),
                                result_type=CompleteTaskResult)
    result = await handle.result()
    assert result.status == "declined"
    assert result.reasons == ["identity does not match", "IDENTITY_UNVERIFIED"]


async def test_no_personal_data_in_the_event_history(env):
    settings, client = env
    app = sample_application(amount=50_000)
    handle = await start_application(client, settings, app)
    await open_task(handle, "uw_review")
    history = await handle.fetch_history()
    raw = history.to_json().encode() + b"".join(e.SerializeToString() for e in history.events)
    for secret in (app["applicant"]["national_id"], app["applicant"]["full_name"],
                   app["applicant"]["phone"], "15000"):
        assert secret.encode() not in raw, secret
    # ...while the workflow itself reads it fine through the codec
    status = await handle.query("status", result_type=ProcessStatus)
    assert status.open_tasks
