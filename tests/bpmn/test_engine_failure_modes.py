"""The failure modes of plain SpiffWorkflow 3.2.0 listed in the corpus README
(tests/fixtures/corpus/README.md), each checked on loanflow's engine directly:
bpmn.engine with the system clock, no Temporal. Diagrams are built here, small and to
the point."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from SpiffWorkflow.util.task import TaskState

from bpmn import safe_eval
from bpmn.clock import SystemClock
from bpmn.engine import DefinitionError, EngineError, ProcessInstance, compile_definition
from bpmn.validate import validate

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
T = TypeVar("T")


def diagram(body: str, definitions: str = "", process_id: str = "p",
            encoding: str = "UTF-8") -> str:
    return (f'<?xml version="1.0" encoding="{encoding}"?>\n'
            f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" '
            f'targetNamespace="https://loanflow.dev/tests">{definitions}'
            f'<bpmn:process id="{process_id}" isExecutable="true">{body}</bpmn:process>'
            '</bpmn:definitions>')


def flow(fid: str, source: str, target: str, condition: str | None = None) -> str:
    cond = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">{cond}' \
           "</bpmn:sequenceFlow>"


def script(sid: str, code: str) -> str:
    return f'<bpmn:scriptTask id="{sid}"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>'


def run(xml: str | bytes, data: dict[str, Any] | None = None, dmn: list[bytes] | None = None,
        max_rounds: int = 10_000) -> ProcessInstance:
    """Compile, start and drive to the end: service calls return nothing, user tasks
    are approved."""
    proc = compile_definition(xml if isinstance(xml, bytes) else xml.encode(), dmn or [],
                              allow_scripts=True)
    inst = ProcessInstance(proc, data or {}, SystemClock())
    inst.advance()
    for _ in range(max_rounds):
        if inst.is_completed():
            return inst
        calls = inst.ready_service_calls()
        users = inst.ready_user_tasks()
        if not calls and not users:
            break
        for c in calls:
            inst.complete(c.element_id, c.occurrence, {})
        if users:
            inst.complete(users[0].element_id, users[0].occurrence, {"decision": "approve"})
    raise AssertionError(f"stuck at {inst.current_elements()}")


def in_thread(fn: Callable[[], T], timeout: float = 60) -> T:
    """As the worker runs workflow code: on a thread, and never waited on for ever."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result(timeout=timeout)


def ran(inst: ProcessInstance, element_id: str) -> int:
    return sum(1 for s in inst.steps if s.element_id == element_id)


# --- a loop of ~500 turns ends with a READY task left while is_completed() says True ----


def test_a_loop_of_520_turns_reaches_its_end_and_leaves_nothing_ready():
    turns = 520  # Spiff's task walk stopped at depth 1,000: two levels per turn
    xml = diagram(
        '<bpmn:startEvent id="start"/>' + flow("f0", "start", "init") + script("init", "i = 0")
        + flow("f1", "init", "turn") + script("turn", "i = i + 1") + flow("f2", "turn", "again")
        + '<bpmn:exclusiveGateway id="again" default="f_out"/>'
        + flow("f_back", "again", "turn", f"i &lt; {turns}") + flow("f_out", "again", "end")
        + '<bpmn:endEvent id="end"/>'
    )
    inst = run(xml)
    assert inst.is_completed()
    assert inst.workflow.get_tasks(state=TaskState.READY) == []
    assert inst.workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK) == []
    assert ran(inst, "turn") == turns
    assert [e[0] for e in inst.end_events()] == ["end"]
    assert inst.final_data()["i"] == turns


# --- element ids `Start` and `End` collide with Spiff's internal names ------------------


def test_elements_with_the_ids_start_and_end_run():
    xml = diagram(
        '<bpmn:startEvent id="Start" name="Start"/>' + flow("f1", "Start", "Root")
        + '<bpmn:userTask id="Root" name="Review"/>' + flow("f2", "Root", "End")
        + '<bpmn:endEvent id="End" name="End"/>'
    )
    assert validate(xml.encode(), strict=False) == []
    inst = run(xml)
    assert inst.is_completed()
    assert [s.element_id for s in inst.steps] == ["Start", "Root", "End"]
    assert [e[0] for e in inst.end_events()] == ["End"]


# --- a chain of 300-500 sequential nodes raises RecursionError --------------------------


def test_a_chain_of_500_sequential_tasks_runs_on_a_worker_thread():
    n = 500
    body = '<bpmn:startEvent id="start"/>' + flow("f_start", "start", "t0")
    for i in range(n):
        nxt = f"t{i + 1}" if i < n - 1 else "end"
        body += script(f"t{i}", f"step = {i}") + flow(f"f{i}", f"t{i}", nxt)
    body += '<bpmn:endEvent id="end"/>'
    inst = in_thread(lambda: run(diagram(body)))
    assert inst.is_completed()
    assert sum(1 for s in inst.steps if s.kind == "scriptTask") == n
    assert inst.final_data()["step"] == n - 1


# --- a self-recursive call activity hangs ------------------------------------------------


CALLS_ITSELF = diagram(
    '<bpmn:startEvent id="start"/>' + flow("f1", "start", "again")
    + '<bpmn:callActivity id="again" calledElement="p"/>' + flow("f2", "again", "end")
    + '<bpmn:endEvent id="end"/>'
)
PING = ('<bpmn:process id="pong" isExecutable="true"><bpmn:startEvent id="pong_start"/>'
        + flow("g1", "pong_start", "call_ping")
        + '<bpmn:callActivity id="call_ping" calledElement="ping"/>'
        + flow("g2", "call_ping", "pong_end") + '<bpmn:endEvent id="pong_end"/></bpmn:process>')
CALLS_THROUGH_ANOTHER = diagram(
    '<bpmn:startEvent id="start"/>' + flow("f1", "start", "call_pong")
    + '<bpmn:callActivity id="call_pong" calledElement="pong"/>' + flow("f2", "call_pong", "end")
    + '<bpmn:endEvent id="end"/>', process_id="ping",
).replace("</bpmn:definitions>", PING + "</bpmn:definitions>")


@pytest.mark.parametrize(("xml", "element", "chain"), [
    (CALLS_ITSELF, "again", "p -> p"),
    (CALLS_THROUGH_ANOTHER, "call_ping", "ping -> pong -> ping"),
], ids=["itself", "through-another"])
def test_a_recursive_call_activity_is_refused_at_deploy_not_hung(xml, element, chain):
    def compile_it() -> DefinitionError:
        with pytest.raises(DefinitionError) as err:
            compile_definition(xml.encode())
        return err.value

    err = in_thread(compile_it, timeout=20)
    assert err.problems[0][0] == element
    assert chain in err.problems[0][1] and "recursi" in err.problems[0][1]
    assert any(p.element_id == element for p in validate(xml.encode(), strict=False))


# --- time grows about quadratically with parallel fan-out -------------------------------


def fan_out(branches: int, kind: str) -> str:
    body = ('<bpmn:startEvent id="start"/>' + flow("f_start", "start", "split")
            + '<bpmn:parallelGateway id="split"/><bpmn:parallelGateway id="join"/>')
    for i in range(branches):
        task = script(f"b{i}", f"x{i} = {i}") if kind == "script" else \
            f'<bpmn:serviceTask id="b{i}" camunda:topic="branch"/>'
        body += task + flow(f"in{i}", "split", f"b{i}") + flow(f"out{i}", f"b{i}", "join")
    return diagram(body + flow("f_end", "join", "end") + '<bpmn:endEvent id="end"/>')


@pytest.mark.parametrize("kind", ["script", "service"])
def test_a_fan_out_of_300_parallel_branches_completes(kind, record_property):
    branches = 300
    xml = fan_out(branches, kind)
    began = time.perf_counter()
    inst = run(xml)
    seconds = time.perf_counter() - began
    record_property(f"fan_out_{branches}_{kind}_seconds", round(seconds, 2))
    print(f"fan-out of {branches} {kind} branches: {seconds:.2f} s")  # reported, not asserted
    assert inst.is_completed()
    assert {s.element_id for s in inst.steps} >= {f"b{i}" for i in range(branches)}
    assert ran(inst, "join") == 1 and ran(inst, "end") == 1


# --- duplicate element ids pass silently -----------------------------------------------


def test_duplicate_ids_are_refused_naming_the_id():
    xml = diagram(
        '<bpmn:startEvent id="start"/>' + flow("f1", "start", "twice")
        + '<bpmn:userTask id="twice"/>' + flow("f2", "twice", "end")
        + '<bpmn:task id="twice"/><bpmn:endEvent id="end"/>'
    ).encode()
    with pytest.raises(DefinitionError) as err:
        compile_definition(xml)
    assert err.value.problems == [("twice", "this id is used by more than one element")]
    assert [(p.element_id, p.reason) for p in validate(xml, strict=False)] == \
        [("twice", "this id is used by more than one element")]


# --- files are opened as text: UTF-16 and Latin-1 diagrams fail --------------------------


@pytest.mark.parametrize(("encoding", "name"), [
    ("UTF-16", "Prüfung der Unterlagen / 审批"),
    ("ISO-8859-1", "Prüfung der Unterlagen (Größe, Straße)"),
])
def test_utf16_and_latin1_diagrams_parse_and_run(encoding, name):
    xml = diagram(
        '<bpmn:startEvent id="start"/>' + flow("f1", "start", "review")
        + f'<bpmn:userTask id="review" name="{name}"/>' + flow("f2", "review", "end")
        + '<bpmn:endEvent id="end" name="Fertig"/>', encoding=encoding,
    ).encode(encoding)
    assert validate(xml, strict=False) == []
    inst = run(xml)
    assert inst.is_completed()
    assert next(s.name for s in inst.steps if s.element_id == "review") == name


# --- a `dataStore` element rejects the whole file ----------------------------------------


def test_a_data_store_does_not_reject_the_file():
    xml = diagram(
        '<bpmn:startEvent id="start"/>' + flow("f1", "start", "book")
        + '<bpmn:scriptTask id="book"><bpmn:property id="p_in" name="__targetRef_placeholder"/>'
        '<bpmn:dataInputAssociation id="read"><bpmn:sourceRef>ledger_ref</bpmn:sourceRef>'
        '<bpmn:targetRef>p_in</bpmn:targetRef></bpmn:dataInputAssociation>'
        '<bpmn:dataOutputAssociation id="write"><bpmn:targetRef>ledger_ref</bpmn:targetRef>'
        '</bpmn:dataOutputAssociation><bpmn:script>booked = True</bpmn:script></bpmn:scriptTask>'
        + flow("f2", "book", "end") + '<bpmn:endEvent id="end"/>'
        + '<bpmn:dataStoreReference id="ledger_ref" dataStoreRef="ledger"/>',
        definitions='<bpmn:dataStore id="ledger" name="General ledger" isUnlimited="true"/>',
    )
    assert validate(xml.encode(), strict=False) == []
    inst = run(xml)
    assert inst.is_completed() and inst.final_data()["booked"] is True


# --- several error paths raise the wrong error (TypeError, NameError, IndexError) --------


def gateway(condition: str) -> str:
    return diagram(
        '<bpmn:startEvent id="start"/>' + flow("f1", "start", "gw")
        + '<bpmn:exclusiveGateway id="gw" default="f3"/>' + flow("f2", "gw", "a", condition)
        + flow("f3", "gw", "b") + '<bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>'
    )


def catching(definition: str) -> str:
    return diagram(
        '<bpmn:startEvent id="start"/>' + flow("f1", "start", "wait")
        + f'<bpmn:intermediateCatchEvent id="wait">{definition}</bpmn:intermediateCatchEvent>'
        + flow("f2", "wait", "end") + '<bpmn:endEvent id="end"/>'
    )


def ending(definition: str) -> str:
    return diagram('<bpmn:startEvent id="start"/>' + flow("f1", "start", "end")
                   + f'<bpmn:endEvent id="end">{definition}</bpmn:endEvent>')


def one_task(task: str) -> str:
    return diagram('<bpmn:startEvent id="start"/>' + flow("f1", "start", "t") + task
                   + flow("f2", "t", "end") + '<bpmn:endEvent id="end"/>')


AGE_TABLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="{DMN_NS}" id="ages" name="ages" namespace="https://loanflow.dev/tests">
  <decision id="age_band" name="Age band">
    <decisionTable id="table">
      <input id="in_age" label="Age"><inputExpression id="ie" typeRef="integer"/></input>
      <output id="out_band" name="band" typeRef="string"/>
      <rule id="r1"><inputEntry id="e1"><text>&lt; 30</text></inputEntry>
        <outputEntry id="o1"><text>"young"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>""".encode()
NO_DECISION = f'<definitions xmlns="{DMN_NS}" id="d" name="d" namespace="n"/>'.encode()
RULE_TASK = one_task('<bpmn:businessRuleTask id="t" camunda:decisionRef="age_band"/>')

# (diagram, decision tables, error class, element named, words of the message)
ERROR_PATHS: dict[str, tuple[str, list[bytes], type[Exception], str, str]] = {
    # Spiff: TypeError from raise_validation_exception(..., node=...) / AssertionError
    "undefined message": (catching('<bpmn:messageEventDefinition messageRef="nope"/>'), [],
                          DefinitionError, "wait", "message 'nope', which the diagram"),
    "undefined signal": (catching('<bpmn:signalEventDefinition signalRef="nope"/>'), [],
                         DefinitionError, "wait", "signal 'nope'"),
    "undefined error": (ending('<bpmn:errorEventDefinition errorRef="nope"/>'), [],
                        DefinitionError, "end", "error 'nope'"),
    "undefined escalation": (ending('<bpmn:escalationEventDefinition escalationRef="nope"/>'),
                             [], DefinitionError, "end", "escalation 'nope'"),
    # Spiff: IndexError for a DMN document without a decision
    "table without decision": (RULE_TASK, [NO_DECISION], DefinitionError, "decision table",
                               "no decision"),
    # Spiff: KeyError for a business rule task without camunda:decisionRef
    "rule task naming no table": (one_task('<bpmn:businessRuleTask id="t"/>'), [],
                                  DefinitionError, "t", "names no decision table"),
    # Spiff: NameError, TypeError, IndexError from conditions
    "condition on missing data": (gateway("amount &gt; 5"), [], EngineError, "gw",
                                  "unknown name 'amount'"),
    "condition comparing text and number": (gateway('1 &gt; "x"'), [], EngineError, "gw",
                                            "not supported between"),
    "condition indexing past the end": (gateway("[][3] == 1"), [], EngineError, "gw",
                                        "no item 3"),
    "no condition holds and no default": (
        diagram('<bpmn:startEvent id="start"/>' + flow("f1", "start", "gw")
                + '<bpmn:exclusiveGateway id="gw"/>' + flow("f2", "gw", "a", "1 == 2")
                + flow("f3", "gw", "b", "1 == 3") + '<bpmn:endEvent id="a"/>'
                + '<bpmn:endEvent id="b"/>'), [], EngineError, "gw", "No conditions"),
    # Spiff: KeyError 'Age' for a table input known only by its label
    "table input missing from the data": (RULE_TASK, [AGE_TABLE], EngineError, "t",
                                          "no data named 'Age'"),
    # Spiff: a bare TypeError / Exception out of a hook (a workflow task retried for ever)
    "multi-instance count that is text": (
        one_task('<bpmn:scriptTask id="t"><bpmn:multiInstanceLoopCharacteristics>'
                 '<bpmn:loopCardinality>"three"</bpmn:loopCardinality>'
                 '</bpmn:multiInstanceLoopCharacteristics><bpmn:script>x = 1</bpmn:script>'
                 '</bpmn:scriptTask>'), [], EngineError, "t", "cannot run"),
    "timer that is no duration": (
        one_task('<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition>'
                 '<bpmn:timeDuration>"soon"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                 '</bpmn:intermediateCatchEvent>'), [], EngineError, "t", "Invalid duration"),
    "script reading missing data": (one_task(script("t", "y = x + 1")), [], EngineError, "t",
                                    "unknown name 'x'"),
    # Plain Spiff: `while True: pass` blocks the engine for ever
    "script that never ends": (one_task(script("t", "while True:\n    pass")), [], EngineError,
                               "t", "steps"),
    # Plain Spiff: conditions run with full privileges
    "condition importing a module": (gateway("__import__('os').getcwd() != ''"), [],
                                     EngineError, "gw", "'__import__' is not allowed"),
}


@pytest.mark.parametrize("case", sorted(ERROR_PATHS))
def test_error_paths_give_a_message_naming_the_element(case):
    xml, dmn, error, element, words = ERROR_PATHS[case]
    with pytest.raises(error) as err:  # nothing else: no TypeError, NameError, IndexError
        in_thread(lambda: run(xml, dmn=dmn), timeout=30)
    problems = err.value.problems if isinstance(err.value, DefinitionError) else \
        [(err.value.element_id, err.value.reason)]  # type: ignore[attr-defined]
    assert any(el == element and words in why for el, why in problems), problems


# --- what the corpus needed from the restricted evaluator -------------------------------


def test_scripts_may_ask_which_data_exists_and_print_to_nowhere():
    assert safe_eval.evaluate("'x' in vars() or 'x' in globals()", {"x": 1}) is True
    assert safe_eval.evaluate("'y' in locals()", {"x": 1}) is False
    scope: dict[str, Any] = {"x": 1}
    safe_eval.execute("print(x)\nseen = sorted(vars())", scope)
    assert scope["seen"] == ["x"]
    with pytest.raises(safe_eval.ExpressionError):
        safe_eval.execute("vars = 1", {})
