"""The steps a process instance has taken: each finished diagram element, with when, how
it came out and (for a decision table) what it saw."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass
class CompletedStep:
    element_id: str
    name: str
    kind: str
    at: datetime
    outcome: str = ""
    occurrence: int = 1
    inputs: dict[str, Any] | None = None


KIND_BY_CLASS = {
    "ExternalServiceTask": "serviceTask",
    "UserTask": "userTask",
    "BusinessRuleTask": "businessRuleTask",
    "ExclusiveGateway": "gateway",
    "InclusiveGateway": "gateway",
    "ParallelGateway": "gateway",
    "EndEvent": "endEvent",
    "StartEvent": "startEvent",
    "IntermediateCatchEvent": "event",
    "BoundaryEvent": "event",
    "ScriptTask": "scriptTask",
    "CallActivity": "callActivity",
}


def is_element(task: Any) -> bool:
    """Spiff adds internal tasks (Root, Start, *.EndJoin, boundary splits); skip them."""
    spec = task.task_spec
    return bool(getattr(spec, "bpmn_id", None)) and type(spec).__name__ in KIND_BY_CLASS


def new_steps(completed: Iterable[Any], seen: set[Any],
              counts: dict[str, int]) -> list[CompletedStep]:
    """Steps for the completed tasks not seen before (in the order given), numbering each
    element's occurrences."""
    out = []
    for task in completed:
        if task.id in seen or not is_element(task):
            continue
        seen.add(task.id)
        spec = task.task_spec
        occurrence = counts.get(spec.bpmn_id, 0) + 1
        counts[spec.bpmn_id] = occurrence
        out.append(CompletedStep(
            element_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            kind=KIND_BY_CLASS[type(spec).__name__],
            at=datetime.fromtimestamp(task.last_state_change, UTC),
            outcome=_outcome(task),
            occurrence=occurrence,
            inputs=_rule_inputs(task),
        ))
    return out


def _rule_inputs(task: Any) -> dict[str, Any] | None:
    """What a decision table saw (its inputs are hashed into the decision record)."""
    if type(task.task_spec).__name__ != "BusinessRuleTask" or task.parent is None:
        return None
    return dict(task.parent.data)


def _outcome(task: Any) -> str:
    spec, data = task.task_spec, task.data
    kind = KIND_BY_CLASS[type(spec).__name__]
    if kind == "userTask":
        return str(data.get("decision") or "done")
    if kind == "businessRuleTask":
        table = getattr(getattr(spec, "dmnEngine", None), "decision_table", None)
        names = [o.name for o in getattr(table, "outputs", []) if getattr(o, "name", None)]
        return ", ".join(f"{n}={data.get(n)}" for n in names) or "decided"
    if kind == "endEvent":
        return str(getattr(spec, "loanflow", {}).get("outcome") or spec.bpmn_name or "ended")
    return "done"
