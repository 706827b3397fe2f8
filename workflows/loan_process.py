"""LoanProcessWorkflow: a BPMN diagram, pinned by sha256, driving one application.

The workflow sandbox imports this module afresh for every run (so that no state leaks
from one run into the next), so it holds only the definition. The process itself lives
in workflows/loan_flow.py with its mixins (user_tasks.py, changes.py), passed through the
sandbox: imported once per worker, like bpmn/."""

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
