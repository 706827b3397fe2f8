"""Explicit migration of a running instance to a new version of its diagram: done when it
is safe for where the instance stands, refused with the element and the reason when not."""

from __future__ import annotations

import pytest
from sqlmodel import Session
from temporalio.client import WorkflowUpdateFailedError

from store.db import engine_for
from store.definitions import DIAGRAMS, deploy
from store.models import DecisionRecord
from tests.support import sample_application, start_application
from tests.workflows.test_loan_process import decide, open_task, rows
from workflows.types import (
    CompleteTaskResult,
    DefinitionRef,
    MigrateInput,
    MigrateResult,
    ProcessStatus,
)

PERSONAL = (DIAGRAMS / "loan_personal.bpmn").read_text()
DMN = [(DIAGRAMS / "approval_route.dmn").read_bytes()]
# v2: an underwriter's approval above 40,000 needs a senior approver as well.
STRICTER = PERSONAL.replace(
    'decision == "approve" and route != "two_level"',
    'decision == "approve" and route != "two_level" and application.amount &lt;= 40000',
).replace(
    'decision == "approve" and route == "two_level"',
    'decision == "approve" and (route == "two_level" or application.amount &gt; 40000)',
)
# v3: a new automated step between the deadlines and the review.
_SIDE = '<bpmn:serviceTask id="extra_check" name="Extra check" loanflow:activity="screen_sanctions">'
EXTRA_STEP = PERSONAL.replace(
    '<bpmn:sequenceFlow id="f_deadlines_uw_review" sourceRef="deadlines" targetRef="uw_review" />',
    '<bpmn:sequenceFlow id="f_deadlines_extra" sourceRef="deadlines" targetRef="extra_check" />'
    f'{_SIDE}<bpmn:incoming>f_deadlines_extra</bpmn:incoming>'
    '<bpmn:outgoing>f_extra_uw_review</bpmn:outgoing></bpmn:serviceTask>'
    '<bpmn:sequenceFlow id="f_extra_uw_review" sourceRef="extra_check" targetRef="uw_review" />',
).replace("<bpmn:incoming>f_deadlines_uw_review</bpmn:incoming>",
          "<bpmn:incoming>f_extra_uw_review</bpmn:incoming>").replace(
    "<bpmn:outgoing>f_deadlines_uw_review</bpmn:outgoing>",
    "<bpmn:outgoing>f_deadlines_extra</bpmn:outgoing>")


def _deploy(settings, xml: str) -> DefinitionRef:
    assert xml != PERSONAL
    with Session(engine_for(settings.db_url)) as s:
        row = deploy(s, xml, DMN, created_by="olga").row
        return DefinitionRef(row.process_id, row.version, row.sha256)


async def test_running_instance_moves_to_a_safe_new_version(env):
    settings, client = env
    handle = await start_application(client, settings, sample_application(amount=50_000))
    task_id = await open_task(handle, "uw_review")
    v2 = _deploy(settings, STRICTER)
    moved = await handle.execute_update("migrate", MigrateInput(v2, "olga"),
                                        result_type=MigrateResult)
    assert (moved.from_version, moved.to_version) == (1, v2.version)
    status = await handle.query("status", result_type=ProcessStatus)
    assert status.definition.version == v2.version
    assert [t.task_id for t in status.open_tasks] == [task_id]  # the same task goes on
    # Under v1 this approval would pay out; under v2 a senior approver must agree.
    await handle.execute_update("complete_task", decide(task_id, "uma", ["underwriter"],
                                                        "approve", "ok"),
                                result_type=CompleteTaskResult)
    senior = await open_task(handle, "senior_review")
    await handle.execute_update("complete_task", decide(senior, "sam", ["senior_approver"],
                                                        "approve", "ok"),
                                result_type=CompleteTaskResult)
    result = await handle.result()
    assert result.status == "approved"
    records = rows(settings, DecisionRecord, application_id=result.application_id)
    migration = [r for r in records if r.kind == "migration"]
    assert len(migration) == 1 and migration[0].actor == "olga"
    assert migration[0].process_version == v2.version
    # decisions after the move are recorded against the version that made them
    assert {r.process_version for r in records if r.kind == "human"} == {v2.version}


async def test_unsafe_migrations_are_refused_with_the_element(env):
    settings, client = env
    handle = await start_application(client, settings, sample_application(amount=50_000))
    task_id = await open_task(handle, "uw_review")
    v3 = _deploy(settings, EXTRA_STEP)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update("migrate", MigrateInput(v3, "olga"),
                                    result_type=MigrateResult)
    assert "extra_check" in str(err.value.cause)
    assert "never made" in str(err.value.cause)
    status = await handle.query("status", result_type=ProcessStatus)
    assert status.definition.version == 1  # nothing moved
    same = DefinitionRef(status.definition.process_id, 1, status.definition.sha256)
    with pytest.raises(WorkflowUpdateFailedError) as again:
        await handle.execute_update("migrate", MigrateInput(same, "olga"),
                                    result_type=MigrateResult)
    assert "already runs this version" in str(again.value.cause)
    # A referred task is no point to move at.
    await handle.execute_update("complete_task", decide(task_id, "uma", ["underwriter"],
                                                        "refer", "payslip please"),
                                result_type=CompleteTaskResult)
    v2 = _deploy(settings, STRICTER)
    with pytest.raises(WorkflowUpdateFailedError) as referred:
        await handle.execute_update("migrate", MigrateInput(v2, "olga"),
                                    result_type=MigrateResult)
    assert "waits for the applicant" in str(referred.value.cause)
