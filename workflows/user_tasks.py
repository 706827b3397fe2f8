"""The user tasks of a loan process: inbox rows opened (and assigned) as the diagram
reaches them, and the `complete_task` Update by which a person decides one. A mixin of
LoanProcess (workflows/loan_flow.py); passed through the workflow sandbox with it."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from bpmn import engine
from bpmn.registry import lane_role, may_act_for
from workflows.changes import SHORT_RETRY as _SHORT
from workflows.changes import InstanceChanges
from workflows.migration import Completion
from workflows.reasons import unknown_codes
from workflows.records import inputs_hash
from workflows.types import (
    AssignTaskInput,
    AssignTaskResult,
    CloseTaskInput,
    CompleteTaskInput,
    CompleteTaskResult,
    DecisionRecordInput,
    OpenTask,
)

DECISIONS = ("approve", "decline", "refer")


class UserTasks(InstanceChanges):
    # State kept by LoanProcess (set in its __init__), besides InstanceChanges' own.
    _decided_by: list[str]
    _failure: engine.EngineError | None
    _assignees: dict[str, str | None]
    _ended_by_process: list[str]

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


def _number(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default
    except ValueError:  # the validator refuses such diagrams; an old one falls back
        return default
