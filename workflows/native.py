"""The personal-loan flow written by hand as a plain Temporal workflow, calling the same
activities as the diagram. It exists to measure what the BPMN engine costs
(`loanflow bench engine`); applications run through LoanProcessWorkflow.

To be a fair measure it does the same job on the paths the benchmark takes (automatic
approval and decline): the same activities with the same inputs, the same decision
records (each automated decision and the routing rule with the hash of what it saw, the
end with its reasons), written together in one local activity, and the same steps in its
result. tests/workflows/test_native.py holds both workflows to that. A case that needs a
person ends here as `needs_review`: the benchmark never sends one."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.records import automated_decision, final_reasons, inputs_hash
    from workflows.types import (
        DecisionRecordInput,
        DecisionRecordsInput,
        DecisionRecordsResult,
        FinishApplicationInput,
        LoanProcessInput,
        LoanProcessResult,
        ServiceTaskInput,
        ServiceTaskResult,
        StepRecord,
    )

_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
_CONTINUE = {"onError": "continue"}


@workflow.defn(name="NativeLoanWorkflow")
class NativeLoanWorkflow:
    def __init__(self) -> None:
        self._records: list[DecisionRecordInput] = []
        self._steps: list[StepRecord] = []

    @workflow.run
    async def run(self, inp: LoanProcessInput) -> LoanProcessResult:
        data: dict[str, Any] = {k: v for k, v in inp.data.items() if not k.startswith("_")}
        data.setdefault("service_errors", [])

        async def call(name: str, element: str, title: str, tolerate: bool = True,
                       params: dict[str, str] | None = None,
                       records: bool = False) -> dict[str, Any]:
            seen = dict(data)
            params = {"activity": name, **(_CONTINUE if tolerate else {}), **(params or {})}
            try:
                res = await workflow.execute_activity(
                    name, ServiceTaskInput(inp.application_id, workflow.info().workflow_id,
                                           element, seen, params),
                    result_type=ServiceTaskResult, start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=_RETRY, activity_id=f"{element}-1",
                )
            except ActivityError as err:
                if not tolerate:
                    raise
                return {"service_errors": [*data["service_errors"], {
                    "element": element, "service": name, "type": "Error",
                    "message": str(err.cause or err)}]}
            output: dict[str, Any] = res.output
            if records:
                outcome, reasons, model = automated_decision(output)
                self._record(inp, element, "automated", name, outcome, reasons,
                             inputs_hash(seen), model_version=model)
            self._step(element, title, "serviceTask")
            return output

        self._step("start", "Application submitted", "startEvent")
        data.update(await call("validate_application", "validate", "Validate application",
                               tolerate=False))
        self._step("fork", "fork", "gateway")
        for out in await asyncio.gather(
                call("verify_identity", "verify_identity", "Verify identity"),
                call("check_employment", "check_employment", "Check employment"),
                call("screen_sanctions", "screen_sanctions", "Screen sanctions")):
            data.update(out)
        self._step("join", "join", "gateway")
        data.update(await call("pull_credit_report", "bureau", "Pull credit report"))
        data.update(await call("read_documents", "read_documents", "Read documents (OCR)"))
        data.update(await call("cross_check", "cross", "Cross-check sources", records=True))
        data.update(await call("score_application", "score", "Score credit risk",
                               records=True))
        route = _route(data)
        self._record(inp, "route_rule", "rule", "route_rule", f"route={route}", [],
                     inputs_hash(data), rules_version=f"route_rule@{inp.definition.sha256[:12]}")
        data["route"] = route
        self._step("route_rule", "Decide approval route", "businessRuleTask", f"route={route}")
        self._step("gw_route", "Route?", "gateway")
        if route == "auto_approve":
            data.update(await call("disburse_loan", "disburse", "Disburse loan", tolerate=False))
            data.update(await call("notify_applicant", "notify_ok", "Notify approval",
                                   tolerate=False, params={"message": "approved"}))
            end, title, outcome = "end_approved", "Approved", "approved"
        elif route == "auto_decline":
            data.update(await call("notify_applicant", "notify_no", "Notify decline",
                                   tolerate=False, params={"message": "declined"}))
            end, title, outcome = "end_declined", "Declined", "declined"
        else:
            end, title, outcome = "end_review", "Needs review", "needs_review"
        self._step(end, title, "endEvent", outcome)
        reasons = final_reasons(data, outcome)
        self._record(inp, end, "process", "NativeLoanWorkflow", outcome, reasons,
                     inputs_hash(data))
        # Written together, as the BPMN workflow writes its automated decisions.
        await workflow.execute_local_activity(
            "record_decisions", DecisionRecordsInput(self._records),
            result_type=DecisionRecordsResult, start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_RETRY,
        )
        await workflow.execute_activity(
            "finish_application",
            FinishApplicationInput(inp.application_id, outcome, outcome, reasons),
            start_to_close_timeout=timedelta(seconds=20), retry_policy=_RETRY,
        )
        return LoanProcessResult(inp.application_id, outcome, outcome, reasons, self._steps)

    def _step(self, element: str, name: str, kind: str, outcome: str = "done") -> None:
        self._steps.append(StepRecord(element, name, kind, outcome, workflow.now().isoformat()))

    def _record(self, inp: LoanProcessInput, element: str, kind: str, actor: str,
                outcome: str, reasons: list[str], inputs: str,
                model_version: str | None = None, rules_version: str | None = None) -> None:
        self._records.append(DecisionRecordInput(
            inp.application_id, workflow.info().workflow_id, element, 1, kind, actor, outcome,
            reasons, inputs, inp.definition, model_version=model_version,
            rules_version=rules_version, decided_at=workflow.now().isoformat()))


# (auto-approve up to, two approvals above) per loan type, as in the table.
_LIMITS: dict[str, tuple[float | None, float]] = {
    "personal": (20_000, 200_000), "micro": (10_000, 50_000), "business": (None, 300_000)}


def _route(data: dict[str, Any]) -> str:
    """The approval-route table (bpmn/diagrams/approval_route.dmn) by hand."""
    needs_person = bool(data["service_errors"]) or \
        (data.get("verification") or {}).get("outcome", "unavailable") != "passed"
    grade = (data.get("score") or {}).get("grade", "none")
    amount = float(data["application"]["amount"])
    auto_up_to, two_level_over = _LIMITS[data["application"]["loan_type"]]
    if needs_person or grade == "none":
        return "manual"
    if grade == "E":
        return "auto_decline"
    if amount > two_level_over and grade in ("A", "B", "C", "D"):
        return "two_level"
    if grade in ("A", "B") and auto_up_to is not None and amount <= auto_up_to:
        return "auto_approve"
    return "manual"
