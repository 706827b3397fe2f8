"""What changes a running loan process besides its own steps: an approver's question to
the applicant (the task waits, its timers held, until the applicant answers) and an
explicit migration to another version of the diagram. A mixin of LoanProcessWorkflow:
Temporal finds update handlers on base classes too."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from bpmn import engine
    from bpmn.clock import TaskId, task_id
    from workflows.migration import Completion, MigrationRefused, check_movable, redrive
    from workflows.records import inputs_hash
    from workflows.types import (
        AnswerReferralInput,
        CompleteTaskInput,
        CompleteTaskResult,
        DecisionRecordInput,
        LoadDefinitionInput,
        LoadDefinitionResult,
        LoanProcessInput,
        MigrateInput,
        MigrateResult,
        OpenTask,
        ReferTaskInput,
        ResumeTaskInput,
    )

SHORT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1),
                          maximum_interval=timedelta(seconds=20))
_SHORT = SHORT_RETRY


class WorkflowClock:
    """Time and ids for the engine from the workflow: replay sees the same ones."""

    def now(self) -> datetime:
        return workflow.now()

    def uuid4(self) -> TaskId:
        # The value workflow.uuid4() gives (the same draw from the workflow's seeded
        # random, made a version-4 UUID), kept as its integer (bpmn.clock.TaskId): Spiff
        # asks for an id for every task it creates and hashes ids on every walk.
        return task_id(workflow.random().getrandbits(128))


class InstanceChanges:
    # State kept by LoanProcessWorkflow (set in its __init__).
    _input: LoanProcessInput | None
    _instance: engine.ProcessInstance | None
    _status: str
    _open: dict[str, OpenTask]
    _progress: int
    _referred: dict[str, datetime]
    _start_data: dict[str, Any]
    _journal: list[Completion]
    _busy: bool
    _migrations: int
    _recorded_steps: int

    def _current(self) -> engine.ProcessInstance:
        raise NotImplementedError

    async def _record(self, rec: DecisionRecordInput, now: bool = False) -> None:
        raise NotImplementedError

    # -- referral to the applicant -------------------------------------------------------

    async def _refer(self, d: CompleteTaskInput) -> None:
        """The approver asks the applicant; the task stays with them, its timers held."""
        inp, inst = self._input, self._instance
        assert inp is not None and inst is not None
        _, element_id, occ = d.task_id.rsplit("/", 2)
        inst.hold_timers(element_id, int(occ))
        self._referred[d.task_id] = workflow.now()
        self._status = "waiting_for_applicant"
        self._progress += 1  # the held timers no longer count: recompute the wait
        await workflow.execute_activity(
            "refer_task", ReferTaskInput(d.task_id, inp.application_id, d.actor, d.reason,
                                         workflow.now().isoformat()),
            start_to_close_timeout=timedelta(seconds=20), retry_policy=_SHORT,
        )

    @workflow.update(name="answer_referral")
    async def answer_referral(self, answer: AnswerReferralInput) -> CompleteTaskResult:
        self._validate_answer(answer)
        inp, inst = self._input, self._instance
        assert inp is not None and inst is not None
        asked = self._referred.pop(answer.task_id)
        waited = workflow.now() - asked
        _, element_id, occ = answer.task_id.rsplit("/", 2)
        inst.resume_timers(element_id, int(occ), waited)
        self._status = "waiting_for_approval"
        self._progress += 1
        await workflow.execute_activity(
            "resume_task", ResumeTaskInput(answer.task_id, inp.application_id, answer.actor,
                                           waited.total_seconds(), workflow.now().isoformat()),
            start_to_close_timeout=timedelta(seconds=20), retry_policy=_SHORT,
        )
        return CompleteTaskResult(answer.task_id, True, self._status)

    @answer_referral.validator
    def _validate_answer(self, answer: AnswerReferralInput) -> None:
        inp = self._input
        assert inp is not None
        if answer.task_id not in self._referred:
            raise ApplicationError("no question is waiting for an answer on this task",
                                   type="StaleTask")
        if answer.actor not in (inp.applicant_user, inp.submitted_by):
            raise ApplicationError("only the applicant can answer", type="Unauthorised")

    # -- migration to another version ----------------------------------------------------

    @workflow.update(name="migrate")
    async def migrate(self, req: MigrateInput) -> MigrateResult:
        self._validate_migration(req)
        inp = self._input
        assert inp is not None
        loaded = await workflow.execute_local_activity(
            "load_definition", LoadDefinitionInput(req.definition.sha256),
            result_type=LoadDefinitionResult,
            start_to_close_timeout=timedelta(seconds=30), retry_policy=_SHORT,
        )
        try:
            self._validate_migration(req)  # again: the instance may have moved meanwhile
            process = engine.compiled(req.definition.sha256,
                                      loaded.documents,
                                      req.definition.process_id)
            new = redrive(process, self._start_data, WorkflowClock(), self._journal,
                          self._current())
        except MigrationRefused as err:
            raise ApplicationError(str(err), type="MigrationRefused") from None
        except (engine.EngineError, engine.DefinitionError) as err:
            raise ApplicationError(f"the new version cannot run this instance: {err}",
                                   type="MigrationRefused") from None
        previous = inp.definition
        self._instance, inp.definition = new, req.definition
        self._recorded_steps = len(new.steps)
        self._migrations += 1
        self._progress += 1
        await self._record(DecisionRecordInput(
            inp.application_id, workflow.info().workflow_id, "migration", self._migrations,
            "migration", req.actor, f"version {req.definition.version}",
            [f"moved from version {previous.version} ({previous.sha256[:12]}) to version "
             f"{req.definition.version} ({req.definition.sha256[:12]}) at "
             f"{', '.join(new.current_elements()) or 'the start'}"],
            inputs_hash([previous.sha256, req.definition.sha256]), req.definition,
            decided_at=workflow.now().isoformat(),
        ), now=True)
        return MigrateResult(inp.application_id, previous.version, req.definition.version)

    @migrate.validator
    def _validate_migration(self, req: MigrateInput) -> None:
        inp, inst = self._input, self._instance
        if inp is None or inst is None or inst.is_completed():
            raise ApplicationError("the instance is not running", type="MigrationRefused")
        if req.definition.process_id != inp.definition.process_id:
            raise ApplicationError(f"another process ({req.definition.process_id}); this "
                                   f"instance runs {inp.definition.process_id}",
                                   type="MigrationRefused")
        if req.definition.sha256 == inp.definition.sha256:
            raise ApplicationError("the instance already runs this version",
                                   type="MigrationRefused")
        try:
            check_movable(inst, sorted(self._referred), self._busy)
        except MigrationRefused as err:
            raise ApplicationError(str(err), type="MigrationRefused") from None
