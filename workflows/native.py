"""The personal-loan flow written by hand as a plain Temporal workflow, calling the same
activities as the diagram. It exists to measure what the BPMN engine costs
(`loanflow bench engine`); applications run through LoanProcessWorkflow."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.types import (
        DecisionRecordInput,
        DecisionRecordsInput,
        DecisionRecordsResult,
        FinishApplicationInput,
        LoanProcessInput,
        LoanProcessResult,
        ServiceTaskInput,
        ServiceTaskResult,
    )

_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
_GRADE_OK = ("A", "B")


@workflow.defn(name="NativeLoanWorkflow")
class NativeLoanWorkflow:
    def __init__(self) -> None:
        self._records: list[DecisionRecordInput] = []

    @workflow.run
    async def run(self, inp: LoanProcessInput) -> LoanProcessResult:
        data: dict[str, Any] = {"application": inp.data["application"], "service_errors": [],
                                "verification": {}, "score": {}}

        async def call(name: str, element: str, tolerate: bool = True) -> dict[str, Any]:
            try:
                res = await workflow.execute_activity(
                    name, ServiceTaskInput(inp.application_id, workflow.info().workflow_id,
                                           element, dict(data)),
                    result_type=ServiceTaskResult, start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=_RETRY,
                )
                output: dict[str, Any] = res.output
                return output
            except ActivityError as err:
                if not tolerate:
                    raise
                return {"service_errors": [*data["service_errors"], {"element": element,
                                                                      "message": str(err)}]}

        data.update(await call("validate_application", "validate", tolerate=False))
        for out in await asyncio.gather(call("verify_identity", "verify_identity"),
                                        call("check_employment", "check_employment"),
                                        call("screen_sanctions", "screen_sanctions")):
            data.update(out)
        data.update(await call("pull_credit_report", "bureau"))
        data.update(await call("read_documents", "read_documents"))
        data.update(await call("cross_check", "cross"))
        self._record(inp, "cross", "automated", str(data["verification"].get("outcome")))
        data.update(await call("score_application", "score"))
        self._record(inp, "score", "automated", str(data["score"].get("grade")))
        amount = float(data["application"]["amount"])
        grade = data["score"].get("grade", "none")
        needs_person = bool(data["service_errors"]) or \
            data["verification"].get("outcome") != "passed"
        if not needs_person and grade in _GRADE_OK and amount <= 20_000:
            data["route"] = "auto_approve"
        elif not needs_person and grade == "E":
            data["route"] = "auto_decline"
        else:
            data["route"] = "manual"
        outcome = "approved" if data["route"] == "auto_approve" else "declined"
        if data["route"] == "auto_approve":
            data.update(await call("disburse_loan", "disburse", tolerate=False))
        if data["route"] != "manual":
            await call("notify_applicant", "notify")
        else:
            outcome = "needs_review"
        self._record(inp, "end", "process", outcome)
        # Written together, as the BPMN workflow writes its automated decisions.
        await workflow.execute_local_activity(
            "record_decisions", DecisionRecordsInput(self._records),
            result_type=DecisionRecordsResult, start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_RETRY,
        )
        await workflow.execute_activity(
            "finish_application",
            FinishApplicationInput(inp.application_id, outcome, outcome, []),
            start_to_close_timeout=timedelta(seconds=20), retry_policy=_RETRY,
        )
        return LoanProcessResult(inp.application_id, outcome, outcome, [], [])

    def _record(self, inp: LoanProcessInput, element: str, kind: str, outcome: str) -> None:
        self._records.append(DecisionRecordInput(
            inp.application_id, workflow.info().workflow_id, element, 1, kind,
            "NativeLoanWorkflow", outcome, [], "", inp.definition,
            decided_at=workflow.now().isoformat()))
