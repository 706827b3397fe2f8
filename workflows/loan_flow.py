"""The loan process itself: a BPMN diagram, pinned by sha256, driving one application.

The diagram is stepped by bpmn.engine inside the workflow; service tasks become
activities, user tasks become inbox rows and wait for a `complete_task` Update
(user_tasks.py), timers become Temporal timers. Workflows never touch the database: every
projection and decision record is written by an activity.

This module and its mixins are passed through the workflow sandbox: imported once per
worker, not once per run. Nothing here keeps module state; time, ids and randomness come
from `workflow` (and bpmn/clock.py), so replay sees the same values. The workflow
definition (what the sandbox imports for each run) is workflows/loan_process.py."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from bpmn import engine
from bpmn.registry import ServiceSpec, lookup
from workflows.changes import SHORT_RETRY as _SHORT
from workflows.changes import WorkflowClock
from workflows.migration import Completion
from workflows.records import automated_decision, final_reasons, inputs_hash
from workflows.types import (
    DecisionRecordInput,
    DecisionRecordsInput,
    DecisionRecordsResult,
    FinishApplicationInput,
    LoadDefinitionInput,
    LoadDefinitionResult,
    LoanProcessInput,
    LoanProcessResult,
    OpenTask,
    ProcessStatus,
    ServiceTaskInput,
    ServiceTaskResult,
    StepRecord,
)
from workflows.user_tasks import UserTasks


class LoanProcess(UserTasks):
    def __init__(self) -> None:
        self._input: LoanProcessInput | None = None
        self._instance: engine.ProcessInstance | None = None
        self._status = "starting"
        self._open: dict[str, OpenTask] = {}
        self._decided_by: list[str] = []
        self._progress = 0  # bumped by every applied decision: wakes the main loop
        self._failure: engine.EngineError | None = None
        self._generic_services = False
        self._recorded_steps = 0
        self._referred: dict[str, datetime] = {}  # task id -> when it went to the applicant
        self._assignees: dict[str, str | None] = {}  # element id -> who had it last
        self._ended_by_process: list[str] = []  # tasks a timer took away: escalated from
        # What the instance was told, in order: enough to rebuild it on another version.
        self._start_data: dict[str, Any] = {}
        self._journal: list[Completion] = []
        self._busy = False  # service calls in flight: not a point to migrate at
        self._migrations = 0
        self._pending: list[DecisionRecordInput] = []  # decisions not yet written

    # -- run -----------------------------------------------------------------------------

    async def run_process(self, inp: LoanProcessInput) -> LoanProcessResult:
        """The workflow's run (LoanProcessWorkflow.run calls it)."""
        self._input = inp
        self._generic_services = bool(inp.data.get("_generic_services"))
        ref = inp.definition
        # Local activities: a database read or write on the worker, recorded in the
        # history as a marker, without a round trip through the server's task queues.
        loaded = await workflow.execute_local_activity(
            "load_definition", LoadDefinitionInput(ref.sha256),
            result_type=LoadDefinitionResult,
            start_to_close_timeout=timedelta(seconds=30), retry_policy=_SHORT,
        )
        try:
            process = engine.compiled(
                ref.sha256, loaded.documents, ref.process_id,
                allow_scripts=bool(inp.data.get("_allow_scripts")),
            )
            data = {k: v for k, v in inp.data.items() if not k.startswith("_")}
            data.setdefault("service_errors", [])
            self._start_data = dict(data)
            self._instance = engine.ProcessInstance(process, data, WorkflowClock())
            self._instance.advance()
            await self._drive()
        except engine.EngineError as err:
            await self._finish("failed", "error", [f"{err.element_id}: {err.reason}"])
            raise ApplicationError(
                f"diagram error at {err.element_id}: {err.reason}",
                type="DiagramError", non_retryable=True,
            ) from None
        except engine.DefinitionError as err:
            raise ApplicationError(str(err), type="DefinitionError", non_retryable=True) from None
        assert self._instance is not None
        result = await self._conclude(self._instance)
        # Let the decision that ended the process answer its caller before we close.
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._current().release()  # the worker keeps no dead task trees for the collector
        return result

    def _current(self) -> engine.ProcessInstance:
        """The instance: read afresh at every turn, a migration may have replaced it."""
        assert self._instance is not None
        return self._instance

    async def _drive(self) -> None:
        while not self._current().is_completed():
            inst = self._current()
            await self._record_rule_decisions(inst)
            calls = inst.ready_service_calls()
            if calls:
                self._status = "running"
                self._busy = True
                try:
                    outputs = await asyncio.gather(*(self._call_service(c) for c in calls))
                finally:
                    self._busy = False
                done = [(c.element_id, c.occurrence, out)
                        for c, out in zip(calls, outputs, strict=True)]
                self._journal.extend(Completion(*d) for d in done)
                inst.complete_many(done)  # parallel results, then one engine step
                continue
            seen = self._progress
            await self._sync_user_tasks(inst)
            # A decision may have been applied while we awaited the inbox: look again.
            if inst.is_completed() or inst.ready_service_calls() or self._progress != seen:
                continue
            deadline = inst.next_timer()
            if not self._open and deadline is None:
                raise engine.EngineError(
                    ",".join(inst.current_elements()) or "process",
                    "the process cannot go on: nothing to do and nothing to wait for",
                )
            self._status = _waiting_status(self._open, self._referred)
            await self._flush()  # what was decided so far is on record while we wait
            timeout = None
            if deadline is not None:
                timeout = max((deadline - workflow.now()).total_seconds(), 0.0) + 0.001
            try:  # a decision applied while we were busy has bumped the counter already
                await workflow.wait_condition(lambda s=seen: self._progress != s,  # type: ignore[misc]
                                              timeout=timeout)
            except TimeoutError:
                pass
            if self._failure is not None:
                raise self._failure
            self._current().advance()
        await self._record_rule_decisions(self._current())

    async def _record_rule_decisions(self, inst: engine.ProcessInstance) -> None:
        """Decision tables decide too: each evaluation becomes a decision record."""
        inp = self._input
        assert inp is not None
        new, self._recorded_steps = inst.steps[self._recorded_steps:], len(inst.steps)
        for step in new:
            if step.kind != "businessRuleTask":
                continue
            await self._record(DecisionRecordInput(
                inp.application_id, workflow.info().workflow_id, step.element_id,
                step.occurrence, "rule", step.element_id, step.outcome, [],
                inputs_hash(step.inputs), inp.definition,
                rules_version=f"{step.element_id}@{inp.definition.sha256[:12]}",
                decided_at=step.at.isoformat(),
            ))

    # -- service tasks -------------------------------------------------------------------

    async def _call_service(self, call: engine.ServiceCall) -> dict[str, Any]:
        inst, inp = self._instance, self._input
        assert inst is not None and inp is not None
        spec = lookup(call.operation, allow_generic=self._generic_services)
        if spec is None:
            raise engine.EngineError(call.element_id, f"no registered service '{call.operation}'")
        data = inst.task_data(call.element_id, call.occurrence)
        try:
            result = await workflow.execute_activity(
                spec.activity,
                ServiceTaskInput(inp.application_id, workflow.info().workflow_id,
                                 call.element_id, data, dict(call.extensions)),
                result_type=ServiceTaskResult,
                start_to_close_timeout=spec.start_to_close,
                schedule_to_close_timeout=spec.schedule_to_close,
                retry_policy=_retry(spec),
                activity_id=f"{call.element_id}-{call.occurrence}",
            )
        except ActivityError as err:
            if call.extensions.get("onError") != "continue":
                raise engine.EngineError(call.element_id, _cause(err)) from None
            errors = list(data.get("service_errors") or [])
            errors.append({"element": call.element_id, "service": call.operation,
                           "type": _cause_type(err), "message": _cause(err)})
            return {"service_errors": errors}
        if spec.records_decision:
            await self._record_automated(call, spec, data, result.output)
        output: dict[str, Any] = result.output
        return output

    async def _record_automated(
        self, call: engine.ServiceCall, spec: ServiceSpec, data: dict[str, Any],
        output: dict[str, Any],
    ) -> None:
        inp = self._input
        assert inp is not None
        outcome, reasons, model_version = automated_decision(output)
        await self._record(DecisionRecordInput(
            inp.application_id, workflow.info().workflow_id, call.element_id, call.occurrence,
            "automated", spec.activity, outcome, reasons, inputs_hash(data), inp.definition,
            model_version=model_version, decided_at=workflow.now().isoformat(),
        ))

    async def _record(self, rec: DecisionRecordInput, now: bool = False) -> None:
        """Automated and rule decisions are written together when the process next waits
        or ends; a person's decision (`now`) at once."""
        self._pending.append(rec)
        if now:
            await self._flush()

    async def _flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        await workflow.execute_local_activity(
            "record_decisions", DecisionRecordsInput(batch), result_type=DecisionRecordsResult,
            start_to_close_timeout=timedelta(seconds=30), retry_policy=_SHORT,
        )

    # -- finishing -----------------------------------------------------------------------

    async def _conclude(self, inst: engine.ProcessInstance) -> LoanProcessResult:
        inp = self._input
        assert inp is not None
        final = inst.final_data()
        ends = inst.end_events()
        status, outcome = "completed", "completed"
        for _, name, ext, is_error in ends:
            if is_error:
                status, outcome = "failed", ext.get("outcome") or name
            elif ext.get("outcome"):
                status = outcome = ext["outcome"]
        reasons = final_reasons(final, status)
        await self._record(DecisionRecordInput(
            inp.application_id, workflow.info().workflow_id, ends[-1][0] if ends else "end", 1,
            "process", "LoanProcessWorkflow", outcome, reasons, inputs_hash(final),
            inp.definition, decided_at=workflow.now().isoformat(),
        ))
        await self._finish(status, outcome, reasons)
        return LoanProcessResult(inp.application_id, status, outcome, reasons, self._steps())

    async def _finish(self, status: str, outcome: str, reasons: list[str]) -> None:
        inp = self._input
        assert inp is not None
        self._status = status
        await self._flush()
        await workflow.execute_activity(
            "finish_application", FinishApplicationInput(inp.application_id, status, outcome,
                                                         reasons),
            start_to_close_timeout=timedelta(seconds=20), retry_policy=_SHORT,
        )

    def _steps(self) -> list[StepRecord]:
        inst = self._instance
        if inst is None:
            return []
        return [StepRecord(s.element_id, s.name, s.kind, s.outcome, s.at.isoformat())
                for s in inst.steps]

    @workflow.query(name="status")
    def status(self) -> ProcessStatus:
        inp = self._input
        assert inp is not None
        inst = self._instance
        return ProcessStatus(
            inp.application_id, self._status,
            inst.current_elements() if inst else [], list(self._open.values()),
            self._steps(), inp.definition,
        )


def _waiting_status(open_tasks: dict[str, OpenTask], referred: dict[str, datetime]) -> str:
    if not open_tasks:
        return "waiting"
    if all(t in referred for t in open_tasks):
        return "waiting_for_applicant"
    return "waiting_for_approval"


def _retry(spec: ServiceSpec) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=spec.initial_interval, maximum_interval=spec.maximum_interval,
        maximum_attempts=spec.max_attempts, non_retryable_error_types=list(spec.non_retryable),
    )


def _cause(err: ActivityError) -> str:
    cause = err.cause
    return str(cause.message if isinstance(cause, ApplicationError) else cause or err)


def _cause_type(err: ActivityError) -> str:
    cause = err.cause
    return (cause.type or "ApplicationError") if isinstance(cause, ApplicationError) else "Error"
