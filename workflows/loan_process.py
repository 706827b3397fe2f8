"""LoanProcessWorkflow: a BPMN diagram, pinned by sha256, driving one application.

The diagram is stepped by bpmn.engine inside the workflow; service tasks become
activities, user tasks become inbox rows and wait for a `complete_task` Update, timers
become Temporal timers. Workflows never touch the database: every projection and decision
record is written by an activity."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from bpmn import engine
    from bpmn.registry import ServiceSpec, lane_role, lookup, may_act_for
    from workflows.changes import SHORT_RETRY as _SHORT
    from workflows.changes import InstanceChanges, WorkflowClock, inputs_hash
    from workflows.migration import Completion
    from workflows.reasons import unknown_codes
    from workflows.types import (
        AssignTaskInput,
        AssignTaskResult,
        CloseTaskInput,
        CompleteTaskInput,
        CompleteTaskResult,
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

DECISIONS = ("approve", "decline", "refer")


@workflow.defn(name="LoanProcessWorkflow")
class LoanProcessWorkflow(InstanceChanges):
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

    @workflow.run
    async def run(self, inp: LoanProcessInput) -> LoanProcessResult:
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
                ref.sha256, lambda: (loaded.bpmn_xml, loaded.dmn_xml), ref.process_id,
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
                for call, output in zip(calls, outputs, strict=True):
                    self._journal.append(Completion(call.element_id, call.occurrence, output))
                    inst.complete(call.element_id, call.occurrence, output)
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
        first: Any = next(iter(output.values()), {}) if output else {}
        value: dict[str, Any] = first if isinstance(first, dict) else {"value": first}
        outcome = str(value.get("outcome") or value.get("grade") or "done")
        # A report's own reasons when it gives them (none when everything passed).
        given = value["reasons"] if "reasons" in value else value.get("findings")
        reasons = [str(r.get("text") or r.get("message") or r) if isinstance(r, dict) else str(r)
                   for r in (given or [])][:10]
        await self._record(DecisionRecordInput(
            inp.application_id, workflow.info().workflow_id, call.element_id, call.occurrence,
            "automated", spec.activity, outcome, reasons, inputs_hash(data), inp.definition,
            model_version=value.get("model_version"), decided_at=workflow.now().isoformat(),
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

    # -- user tasks ----------------------------------------------------------------------

    async def _sync_user_tasks(self, inst: engine.ProcessInstance) -> None:
        inp = self._input
        assert inp is not None
        wf_id = workflow.info().workflow_id
        ready = {f"{wf_id}/{u.element_id}/{u.occurrence}": u for u in inst.ready_user_tasks()}
        for task_id in [t for t in self._open if t not in ready]:
            # Gone without a decision: an interrupting timer or another branch ended it.
            self._open.pop(task_id)
            self._referred.pop(task_id, None)
            self._ended_by_process.append(task_id)
            await workflow.execute_activity(
                "close_task", CloseTaskInput(task_id, inp.application_id, None, "cancelled",
                                             "ended by the process (timer or escalation)"),
                start_to_close_timeout=timedelta(seconds=20), retry_policy=_SHORT,
            )
        new = [(tid, u) for tid, u in ready.items() if tid not in self._open]
        for task_id, u in new:
            self._open[task_id] = OpenTask(task_id, u.element_id, u.name, u.lane, u.occurrence)
            self._status = "waiting_for_approval"
        for task_id, u in new:
            if task_id not in self._open:  # decided while an earlier one was being assigned
                continue
            assigned: AssignTaskResult = await workflow.execute_activity(
                "assign_task", self._assignment(inst, task_id, u),
                result_type=AssignTaskResult,
                start_to_close_timeout=timedelta(seconds=20), retry_policy=_SHORT,
            )
            self._assignees[u.element_id] = assigned.assignee
        self._ended_by_process.clear()

    def _assignment(self, inst: engine.ProcessInstance, task_id: str,
                    u: engine.UserTaskView) -> AssignTaskInput:
        """What the task needs, from its loanflow:* attributes and the application."""
        inp = self._input
        assert inp is not None
        app = inp.data.get("application") or {}
        ext = u.extensions
        deadlines = inst.task_data(u.element_id, u.occurrence).get("deadlines") or {}
        escalated = self._ended_by_process[-1] if self._ended_by_process else None
        return AssignTaskInput(
            task_id, inp.application_id, workflow.info().workflow_id, u.element_id,
            u.occurrence, u.name, u.lane, float(app.get("amount") or 0),
            str(app.get("loan_type") or ""), self._excluded(),
            deadlines.get(u.element_id) or ext.get("due"),
            required_skills=[x.strip() for x in ext.get("skills", "").split(",") if x.strip()],
            language=ext.get("language") or str(app.get("language") or ""),
            industry=ext.get("industry") or str(app.get("industry") or ""),
            min_authority=_number(ext.get("minAuthority"), 0.0),
            effort=_number(ext.get("effort"), 1.0),
            priority=int(_number(ext.get("priority"), 0.0)),
            previous_assignee=self._assignees.get(u.element_id),
            escalated_from=escalated,
        )

    def _excluded(self) -> list[str]:
        inp = self._input
        assert inp is not None
        return sorted({inp.applicant_user, inp.submitted_by, *self._decided_by})

    @workflow.update(name="complete_task")
    async def complete_task(self, decision: CompleteTaskInput) -> CompleteTaskResult:
        self._validate_decision(decision)  # again: two updates may pass validation together
        if decision.decision == "refer":
            await self._refer(decision)
            return CompleteTaskResult(decision.task_id, True, self._status)
        self._open.pop(decision.task_id)
        self._decided_by.append(decision.actor)
        await self._apply_decision(decision)
        return CompleteTaskResult(decision.task_id, True, self._status)

    @complete_task.validator
    def _validate_decision(self, decision: CompleteTaskInput) -> None:
        task = self._open.get(decision.task_id)
        if task is None:
            raise ApplicationError("task is not open (already decided, stale or unknown)",
                                   type="StaleTask")
        if decision.actor in self._excluded():
            raise ApplicationError(
                "four eyes: the applicant, the submitter and earlier deciders cannot decide",
                type="FourEyes")
        if not may_act_for(decision.actor_roles, lane_role(task.lane)):
            raise ApplicationError(f"role '{lane_role(task.lane)}' is needed for this task",
                                   type="Unauthorised")
        if decision.decision not in DECISIONS:
            raise ApplicationError(f"decision must be one of {', '.join(DECISIONS)}",
                                   type="InvalidDecision")
        if decision.task_id in self._referred:
            raise ApplicationError("the task waits for the applicant's answer",
                                   type="Referred")
        if decision.decision != "approve" and not decision.reason.strip():
            raise ApplicationError(f"a {decision.decision} needs a reason",
                                   type="InvalidDecision")
        if decision.decision == "decline" and not decision.reason_codes:
            raise ApplicationError("a decline needs at least one reason code",
                                   type="InvalidDecision")
        unknown = unknown_codes(decision.reason_codes)
        if unknown:
            raise ApplicationError(f"unknown reason codes: {', '.join(unknown)}",
                                   type="InvalidDecision")

    async def _apply_decision(self, d: CompleteTaskInput) -> None:
        """Let the diagram go on at once (so a timer cannot take the task in between), then
        record the decision and close the inbox row."""
        inp, inst = self._input, self._instance
        assert inp is not None and inst is not None
        _, element_id, occ = d.task_id.rsplit("/", 2)
        data = inst.task_data(element_id, int(occ))
        approvals = list(data.get("approvals") or [])
        if d.decision == "approve":
            approvals.append(d.actor)
        output = {"decision": d.decision, "decision_reason": d.reason,
                  "decision_reason_codes": d.reason_codes, "decided_by": d.actor,
                  "approvals": approvals}
        self._journal.append(Completion(element_id, int(occ), output))
        try:
            inst.complete(element_id, int(occ), output)
        except engine.EngineError as err:  # the diagram fails after the decision: the run ends
            self._failure = err
        self._progress += 1
        await self._record(DecisionRecordInput(
            inp.application_id, workflow.info().workflow_id, element_id, int(occ), "human",
            d.actor, d.decision, [d.reason, *d.reason_codes] if d.reason else d.reason_codes,
            inputs_hash(data), inp.definition, decided_at=workflow.now().isoformat(),
        ), now=True)
        await workflow.execute_activity(
            "close_task", CloseTaskInput(d.task_id, inp.application_id, d.actor, d.decision,
                                         d.reason),
            start_to_close_timeout=timedelta(seconds=20), retry_policy=_SHORT,
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
        reasons = _reasons(final, status)
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


def _reasons(final: dict[str, Any], status: str) -> list[str]:
    """Why: the deciding person's reason, else (for an automatic decline) the model's."""
    if final.get("decision_reason"):
        return [str(final["decision_reason"]), *map(str, final.get("decision_reason_codes") or [])]
    if status != "declined":
        return []
    score = final.get("score") or {}
    texts = [str(r.get("text", r)) if isinstance(r, dict) else str(r)
             for r in score.get("reasons") or []]
    return texts or ["declined by the approval rules"]


def _waiting_status(open_tasks: dict[str, OpenTask], referred: dict[str, datetime]) -> str:
    if not open_tasks:
        return "waiting"
    if all(t in referred for t in open_tasks):
        return "waiting_for_applicant"
    return "waiting_for_approval"


def _number(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:  # the validator refuses such diagrams; an old one falls back
        return default


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
