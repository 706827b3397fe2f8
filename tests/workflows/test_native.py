"""The hand-written native workflow that `loanflow bench engine` measures the BPMN engine
against does the same job as the diagram on the paths the benchmark takes: the same
decision records (down to the hash of what each decider saw), the same steps, the same
outcome and reasons. Otherwise the benchmark would compare unequal work."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bpmn.clock import SystemClock
from bpmn.engine import ProcessInstance, compile_definition
from store.definitions import DIAGRAMS
from store.models import DecisionRecord
from tests.support import create_application, sample_application
from tests.workflows.test_loan_process import rows
from workflows.native import _route
from workflows.types import LoanProcessResult, ServiceTaskInput

CASES = {
    "auto_approve": sample_application(amount=10_000),
    "auto_decline": sample_application(amount=500_000, employment={"monthly_income": 5_000}),
}


def _records(settings, wf_id: str) -> list[tuple[Any, ...]]:
    recs = rows(settings, DecisionRecord, workflow_id=wf_id)
    return sorted((r.element_id, r.occurrence, r.kind, r.outcome, r.reasons, r.inputs_hash,
                   r.model_version, r.rules_version, r.actor) for r in recs)


async def _activities(client, wf_id: str) -> list[tuple[Any, ...]]:
    """Each activity the workflow scheduled: its name, id, element and parameters."""
    out = []
    async for event in client.get_workflow_handle(wf_id).fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            a = event.activity_task_scheduled_event_attributes
            inp = (await client.data_converter.decode(a.input.payloads,
                                                      [ServiceTaskInput]))[0] \
                if a.activity_type.name != "finish_application" else None
            out.append((a.activity_type.name, a.activity_id,
                        inp and inp.element_id, inp and sorted(inp.params.items())))
    return sorted(out, key=str)


@pytest.mark.parametrize("case", sorted(CASES))
async def test_native_workflow_does_what_the_diagram_does(env, case):
    settings, client = env
    # One application through both, one after the other (a disbursement is idempotent by
    # application, so the second run sees the same payment reference as the first).
    wf_id, inp = create_application(settings, CASES[case])
    ids = {"LoanProcessWorkflow": wf_id, "NativeLoanWorkflow": f"native-{wf_id}"}
    results = {kind: await client.execute_workflow(kind, inp, id=ids[kind],
                                                   task_queue=settings.task_queue,
                                                   result_type=LoanProcessResult)
               for kind in ids}
    bpmn, native = results["LoanProcessWorkflow"], results["NativeLoanWorkflow"]
    assert (native.status, native.outcome, native.reasons) == \
        (bpmn.status, bpmn.outcome, bpmn.reasons)
    assert bpmn.status == case.replace("auto_", "") + "d"
    # The decider of the end record is the workflow itself: compare everything else.
    b = _records(settings, ids["LoanProcessWorkflow"])
    n = _records(settings, ids["NativeLoanWorkflow"])
    assert [r for r in b if r[2] != "process"] == [r for r in n if r[2] != "process"]
    assert [r[:-1] for r in b if r[2] == "process"] == [r[:-1] for r in n if r[2] == "process"]
    assert {r[2] for r in b} == {"automated", "rule", "process"}
    b_acts = await _activities(client, ids["LoanProcessWorkflow"])
    n_acts = await _activities(client, ids["NativeLoanWorkflow"])
    assert [a for a in b_acts if a[0] != "finish_application"] == \
        [a for a in n_acts if a[0] != "finish_application"]
    steps = sorted((s.element_id, s.kind, s.outcome) for s in bpmn.steps)
    assert sorted((s.element_id, s.kind, s.outcome) for s in native.steps) == steps


def _table_route(data: dict[str, Any]) -> str:
    """The shipped approval-route table as the engine runs it: a one-task diagram whose
    business rule task references it."""
    bpmn = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
            'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">'
            '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="r"/>'
            '<bpmn:businessRuleTask id="r" camunda:decisionRef="approval_route"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="r" targetRef="e"/><bpmn:endEvent id="e"/>'
            '</bpmn:process></bpmn:definitions>')
    inst = ProcessInstance(compile_definition(bpmn.encode(), [TABLE]), data, SystemClock())
    inst.advance()
    assert inst.is_completed()
    return str(inst.final_data()["route"])


TABLE = (DIAGRAMS / "approval_route.dmn").read_bytes()


def test_the_native_route_is_the_shipped_table_for_every_loan_type():
    """One table serves the three diagrams, the loan type a column of it; the native
    workflow's hand-written route must agree with it everywhere, for each type."""
    seen: dict[str, set[str]] = {}
    for loan_type, grade, amount, passed in itertools.product(
            ("personal", "micro", "business"), ("A", "B", "C", "D", "E", None),
            (1, 10_000, 10_001, 20_000, 20_001, 50_000, 50_001, 200_000, 200_001, 300_000,
             300_001, 5_000_000), (True, False)):
        data = {"application": {"loan_type": loan_type, "amount": float(amount)},
                "score": {"grade": grade} if grade else {}, "service_errors": [],
                "verification": {"outcome": "passed" if passed else "failed"}}
        route = _table_route(data)
        assert route == _route(data), (loan_type, grade, amount, passed)
        seen.setdefault(loan_type, set()).add(route)
    # Each type's own thresholds, not one shared set: business is never automatic.
    assert seen["business"] == {"manual", "two_level", "auto_decline"}
    assert seen["personal"] == seen["micro"] == {"manual", "two_level", "auto_decline",
                                                 "auto_approve"}
    assert _table_route({"application": {"loan_type": "micro", "amount": 15_000.0},
                         "score": {"grade": "A"}, "service_errors": [],
                         "verification": {"outcome": "passed"}}) == "manual"
