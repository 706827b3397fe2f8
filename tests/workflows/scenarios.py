"""The paths of the shipped diagrams, driven the way a person would; used both to record
the histories kept under tests/fixtures/histories and by the tests themselves."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.client import WorkflowHandle

from tests.support import sample_application
from workflows.types import CompleteTaskInput, CompleteTaskResult, ProcessStatus

Sleep = Callable[[float], Awaitable[None]]
Driver = Callable[[WorkflowHandle[Any, Any], Sleep], Awaitable[None]]


async def open_task(handle: WorkflowHandle[Any, Any], element_id: str, tries: int = 200) -> str:
    status = None
    for _ in range(tries):
        status = await handle.query("status", result_type=ProcessStatus)
        for t in status.open_tasks:
            if t.element_id == element_id:
                return t.task_id
        await asyncio.sleep(0.1)
    raise AssertionError(f"no open task {element_id}; status {status}")


async def decide(handle: WorkflowHandle[Any, Any], element_id: str, actor: str, roles: list[str],
                 decision: str, reason: str = "", codes: tuple[str, ...] = ()) -> None:
    task_id = await open_task(handle, element_id)
    await handle.execute_update("complete_task", CompleteTaskInput(
        task_id, actor, roles, decision, reason, list(codes)), result_type=CompleteTaskResult)


async def _nothing(handle: WorkflowHandle[Any, Any], sleep: Sleep) -> None:
    return None


async def _manual(handle: WorkflowHandle[Any, Any], sleep: Sleep) -> None:
    await decide(handle, "uw_review", "uma", ["underwriter"], "approve", "documents in order")


async def _two_level(handle: WorkflowHandle[Any, Any], sleep: Sleep) -> None:
    await decide(handle, "uw_review", "uma", ["underwriter"], "approve", "ok")
    await decide(handle, "senior_review", "sam", ["senior_approver"], "approve", "ok")


async def _escalation(handle: WorkflowHandle[Any, Any], sleep: Sleep) -> None:
    await open_task(handle, "uw_review")
    await sleep(5)  # nobody acts: the review is overdue (fakes.plan_deadlines: 3 s)
    await decide(handle, "senior_review", "sam", ["senior_approver"], "decline", "overdue, risky",
                 ("OBLIGATIONS_EXCESSIVE",))


# name -> (application, driver, expected status)
SCENARIOS: dict[str, tuple[dict[str, Any], Driver, str]] = {
    "personal_auto_approve": (sample_application(amount=10_000), _nothing, "approved"),
    "personal_auto_decline": (sample_application(amount=500_000,
                                                 employment={"monthly_income": 5_000}),
                              _nothing, "declined"),
    "personal_manual": (sample_application(amount=50_000), _manual, "approved"),
    "personal_two_level": (sample_application(amount=400_000, term_months=60,
                                              employment={"monthly_income": 150_000}),
                           _two_level, "approved"),
    "personal_timer_escalation": (sample_application(amount=50_000, purpose="medical"),
                                  _escalation, "declined"),
    "micro_auto_approve": (sample_application(loan_type="micro", amount=3_000), _nothing,
                           "approved"),
    "business_manual": (sample_application(
        loan_type="business", amount=80_000, purpose="business",
        business={"company_name": "Wei Trading", "registration_number": "91110000MA01",
                  "industry": "retail", "years_trading": 4, "annual_revenue": 2_000_000},
        employment={"status": "self_employed", "monthly_income": 60_000}), _manual, "approved"),
}
