"""LoanProcessWorkflow: a BPMN diagram, pinned by sha256, driving one application.

Only the definition: the process itself lives in workflows/loan_flow.py with its mixins
(user_tasks.py, changes.py). This module, like them and like bpmn/, is passed through the
workflow sandbox (runtime/worker.py): imported once per worker rather than once per run,
because Temporal's `workflow.defn` inspects every method of the class again on each
import. None of them keeps module state, and tests/workflows/test_passthrough.py checks
that none reads the clock, randomness, the environment or files itself."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.loan_flow import LoanProcess
    from workflows.types import LoanProcessInput, LoanProcessResult


@workflow.defn(name="LoanProcessWorkflow")
class LoanProcessWorkflow(LoanProcess):
    @workflow.run
    async def run(self, inp: LoanProcessInput) -> LoanProcessResult:
        return await self.run_process(inp)
