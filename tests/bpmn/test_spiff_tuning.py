"""bpmn/spiff_tuning.py replaces three SpiffWorkflow functions with faster ones: each is
held here to the original it replaces, on the same inputs."""

from __future__ import annotations

import copy
import itertools
import logging
import random
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import SpiffWorkflow.task as spiff_task
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from SpiffWorkflow.util.task import TaskState

import bpmn.engine  # noqa: F401  (importing the engine installs the tuning)
from bpmn import safe_eval, spiff_tuning
from bpmn.script_env import RestrictedScriptEngine
from bpmn.xml import XmlRefused, parse_document
from tests.bpmn.test_engine_failure_modes import diagram, flow, run, script

ROOT = Path(__file__).resolve().parents[2]
DMN_FILES = sorted([ROOT / "bpmn" / "diagrams" / "approval_route.dmn",
                    *(ROOT / "tests" / "fixtures").rglob("*.dmn")])
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_STRING = re.compile(r"\"([^\"]*)\"|'([^']*)'")
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def test_the_tuning_is_installed():
    from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

    assert DMNEngine.decide is spiff_tuning.decide_once
    assert spiff_task.Task._set_state is spiff_tuning.set_state
    assert TaskState.get_name(TaskState.READY) == "READY"


def test_every_state_and_mask_has_the_original_name():
    for value in [*range(0, 1100), -1, 2**20]:
        assert TaskState.get_name(value) == spiff_tuning.ORIGINAL_GET_NAME(value), value
    assert TaskState.get_name(TaskState.FINISHED_MASK) == "FINISHED_MASK"
    assert TaskState.get_name(TaskState.READY | TaskState.WAITING) == "WAITING|READY"


# -- logging -------------------------------------------------------------------------

def _logged_run(caplog: pytest.LogCaptureFixture, level: int) -> list[tuple[Any, ...]]:
    body = ('<bpmn:startEvent id="start"/>' + script("s1", "x = 1") + script("s2", "y = x + 1")
            + '<bpmn:endEvent id="end"/>' + flow("f1", "start", "s1") + flow("f2", "s1", "s2")
            + flow("f3", "s2", "end"))
    caplog.clear()
    with caplog.at_level(level, logger="spiff.task"):
        inst = run(diagram(body))
    assert inst.is_completed()
    return [(r.levelno, r.getMessage(), getattr(r, "task_spec", None), getattr(r, "state", None),
             "elapsed" in r.__dict__)
            for r in caplog.records if r.name == "spiff.task"]


@pytest.mark.parametrize("level", [logging.DEBUG, logging.INFO])
def test_state_changes_are_logged_as_spiff_logs_them(caplog, monkeypatch, level):
    tuned = _logged_run(caplog, level)
    monkeypatch.setattr(spiff_task.Task, "_set_state", spiff_tuning.ORIGINAL_SET_STATE)
    original = _logged_run(caplog, level)
    assert tuned == original
    assert any(msg == "State changed to COMPLETED" and spec == "s2" and has_elapsed
               for _, msg, spec, _, has_elapsed in tuned)


def test_nothing_is_built_when_the_logger_is_off(caplog, monkeypatch):
    calls = []
    real = spiff_task.Task.collect_log_extras
    monkeypatch.setattr(spiff_task.Task, "collect_log_extras",
                        lambda self, *a: calls.append(1) or real(self, *a))
    with caplog.at_level(logging.WARNING, logger="spiff.task"):
        run(diagram('<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>'
                    + flow("f1", "start", "end")))
    assert calls == []
    with caplog.at_level(logging.INFO, logger="spiff.task"):
        run(diagram('<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>'
                    + flow("f1", "start", "end")))
    assert calls


def test_workflow_log_records_are_spiffs_and_the_task_list_is_built_only_for_them(
        caplog, monkeypatch):
    import SpiffWorkflow.workflow as spiff_workflow

    body = ('<bpmn:startEvent id="start"/>' + script("s1", "x = 1") + '<bpmn:endEvent id="end"/>'
            + flow("f1", "start", "s1") + flow("f2", "s1", "end"))

    def records() -> list[tuple[str, Any, Any, int]]:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="spiff.workflow"):
            run(diagram(body))
        return [(r.getMessage(), r.workflow_spec, r.completed, len(r.tasks))
                for r in caplog.records if r.name == "spiff.workflow"]

    tuned = records()
    monkeypatch.setattr(spiff_workflow.Workflow, "collect_log_extras",
                        spiff_tuning.ORIGINAL_WORKFLOW_EXTRAS)
    assert tuned == records()
    assert [m for m, *_ in tuned] == ["Initialized workflow", "Workflow completed"]
    monkeypatch.undo()
    inst = run(diagram(body))
    walks = []
    real = spiff_workflow.Workflow.get_tasks
    monkeypatch.setattr(spiff_workflow.Workflow, "get_tasks",
                        lambda self, *a, **k: walks.append(1) or real(self, *a, **k))
    with caplog.at_level(logging.WARNING, logger="spiff.workflow"):
        quiet = inst.workflow.collect_log_extras()
    assert walks == [] and "tasks" not in quiet
    with caplog.at_level(logging.INFO, logger="spiff.workflow"):
        assert inst.workflow.collect_log_extras() == \
            spiff_tuning.ORIGINAL_WORKFLOW_EXTRAS(inst.workflow)
    assert quiet == {k: v for k, v in spiff_tuning.ORIGINAL_WORKFLOW_EXTRAS(inst.workflow).items()
                     if k != "tasks"}


# -- DMN -----------------------------------------------------------------------------

def _engines(xml: bytes) -> list[Any]:
    parser = BpmnDmnParser()
    parser.add_dmn_xml(parse_document(xml, "decision table"), filename="t.dmn")
    return [parser.get_engine(ref, None) for ref in parser.dmn_parsers]


def _task(data: dict[str, Any]) -> Any:
    workflow = SimpleNamespace(script_engine=RestrictedScriptEngine(),
                               spec=SimpleNamespace(file="t.dmn"))
    workflow.top_workflow = workflow
    return SimpleNamespace(data=data, workflow=workflow,
                           task_spec=SimpleNamespace(bpmn_name="decide", bpmn_id="decide"))


def _outcome(decide: Any, engine: Any, data: dict[str, Any]) -> tuple[Any, ...]:
    task = _task(data)
    try:
        rules = decide(engine, task)
    except Exception as err:  # both must fail the same way
        return ("error", type(err).__name__, getattr(err, "error_type", None), str(err),
                getattr(err, "__notes__", None), data)
    return ("rules", [r.row_number for r in rules], data)


def _candidates(engine: Any, column: int) -> list[Any]:
    values: list[Any] = [None, True, False, "", "x", -1, 0, 1, 10**9]
    for rule in engine.decision_table.rules:
        for text in rule.inputEntries[column].lhs:
            if not text:
                continue
            for n in _NUMBER.findall(_STRING.sub("", text)):
                x = float(n)
                values += [x - 1, x, x + 1, int(x)]
            values += [a or b for a, b in _STRING.findall(text)]
    return values


def _put(data: dict[str, Any], expression: str, value: Any) -> None:
    """Data in which the input expression (a name or dotted path) reads `value`."""
    try:
        node = safe_eval.parse_expression(expression).body
    except safe_eval.ExpressionError:
        return
    path: list[str] = []
    while isinstance(node, safe_eval.ast.Attribute):
        path.insert(0, node.attr)
        node = node.value
    if not isinstance(node, safe_eval.ast.Name):
        for name in safe_eval.names_used(node):
            data.setdefault(name, value)
        return
    keys = [node.id, *path]
    target = data
    for key in keys[:-1]:
        inner = target.get(key)
        if not isinstance(inner, dict):
            inner = target[key] = {}
        target = inner
    target[keys[-1]] = value


def _samples(engine: Any, count: int, seed: int) -> list[dict[str, Any]]:
    inputs = [e.input.expression for e in engine.decision_table.rules[0].inputEntries] \
        if engine.decision_table.rules else []
    columns = [_candidates(engine, i) for i in range(len(inputs))]
    rng = random.Random(seed)
    samples: list[dict[str, Any]] = [{}]
    for _ in range(count):
        data: dict[str, Any] = {}
        for expression, pool in zip(inputs, columns, strict=True):
            if expression and rng.random() > 0.03:  # now and then a name is missing
                _put(data, expression, rng.choice(pool))
        samples.append(data)
    return samples


def _readable(path: Path) -> bool:
    """Whether loanflow would read this file as decision tables at all: the corpus also
    holds hostile samples (entity expansion, external entities, broken XML) and a DMN
    file without a table."""
    try:
        root = parse_document(path.read_bytes(), "decision table")
    except XmlRefused:
        return False
    return bool(root.xpath("//*[local-name()='decisionTable']"))


TABLES = [p for p in DMN_FILES if _readable(p)]


def test_the_files_left_out_are_the_corpus_samples_loanflow_refuses():
    left_out = sorted(p.name for p in DMN_FILES if p not in TABLES)
    assert left_out == ["dmn-billion-laughs.dmn", "dmn-no-decision.dmn",
                        "dmn-not-well-formed.dmn", "dmn-xxe-local-file.dmn"]
    assert len(TABLES) >= 20


@pytest.mark.parametrize("path", TABLES, ids=lambda p: p.name)
def test_decisions_match_spiffs_on_every_table(path):
    engines = _engines(path.read_bytes())
    assert engines
    for n, engine in enumerate(engines):
        for data in _samples(engine, 150, seed=n):
            expected = _outcome(spiff_tuning.ORIGINAL_DECIDE, engine, _copy(data))
            assert _outcome(spiff_tuning.decide_once, engine, _copy(data)) == expected, data


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)


def test_the_shipped_table_takes_the_fast_path_for_every_entry():
    (engine,) = _engines((ROOT / "bpmn" / "diagrams" / "approval_route.dmn").read_bytes())
    plans = spiff_tuning._table_plan(engine.decision_table, RestrictedScriptEngine())
    assert plans is not None
    kinds = {plan[0] for rule in plans for _, entries in rule for plan in entries}
    assert kinds <= {"true", "question", "compare"}, kinds
    assert "compare" in kinds and "question" in kinds


def _table(inputs: list[str], rows: list[list[str]], policy: str = "COLLECT") -> bytes:
    cols = "".join(f'<input id="i{n}"><inputExpression id="e{n}"><text>{t}</text>'
                   "</inputExpression></input>" for n, t in enumerate(inputs))
    rules = "".join(
        f'<rule id="r{r}">'
        + "".join(f'<inputEntry id="r{r}i{c}"><text>{t}</text></inputEntry>'
                  for c, t in enumerate(row))
        + f'<outputEntry id="r{r}o"><text>{r}</text></outputEntry></rule>'
        for r, row in enumerate(rows))
    return (f'<definitions xmlns="{DMN_NS}" id="d" name="d" namespace="t">'
            f'<decision id="dec" name="dec"><decisionTable id="t" hitPolicy="{policy}">'
            f'{cols}<output id="o" name="out"/>{rules}</decisionTable></decision>'
            "</definitions>").encode()


def _both(xml: bytes, data: dict[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    (engine,) = _engines(xml)
    return (_outcome(spiff_tuning.decide_once, engine, _copy(data)),
            _outcome(spiff_tuning.ORIGINAL_DECIDE, engine, _copy(data)))


def test_a_glued_entry_keeps_spiffs_precedence():
    # Spiff reads `a or b` + `&gt; 3` as `a or (b > 3)`: with a = 2 that is 2, a match;
    # `(a or b) > 3` would be False. The fast form is refused for this entry.
    xml = _table(["a or b"], [["&gt; 3"], ["&lt; 3"]])
    tuned, original = _both(xml, {"a": 2, "b": 1})
    assert tuned == original == ("rules", [1, 2], {"a": 2, "b": 1})
    (engine,) = _engines(xml)
    plans = spiff_tuning._table_plan(engine.decision_table, RestrictedScriptEngine())
    assert plans is not None and plans[0][0][1] == [spiff_tuning._SPIFF]


def test_an_input_that_changes_data_is_evaluated_as_often_as_spiff_does():
    xml = _table(["items.append(1) or len(items)"], [["1"], ["2"], ["&gt; 2"], ["3"]])
    tuned, original = _both(xml, {"items": []})
    assert tuned == original
    assert original[2]["items"] == [1, 1, 1, 1]  # once per rule, as Spiff evaluates it


def test_entries_across_columns_and_errors_match():
    xml = _table(["amount", "kind", "score.band"],
                 [["&lt;= 1000", '"a", "b"', "-"],
                  ["? &gt; 1000 and ? &lt; 5000", "-", '"x"'],
                  ["-", 'in ["a"]', "&gt;= 2"],
                  ['"1"', "-", "-"]])
    cases = [{"amount": 500, "kind": "a", "score": {"band": 3}},
             {"amount": 2000, "kind": "b", "score": {"band": "x"}},
             {"amount": 9000, "kind": "a", "score": {"band": 1}},
             {"amount": "1", "kind": "z", "score": {"band": 2}},
             {"amount": 2000, "kind": "b", "score": {}},  # a missing field: an error
             {"kind": "a"}]
    for data in cases:
        tuned, original = _both(xml, data)
        assert tuned == original, data
    assert _both(xml, {"kind": "a"})[0][0] == "error"


def test_the_step_budget_covers_the_input_as_spiffs_expression_does():
    # Each side alone is within the budget, the two together are not: Spiff's
    # `(input) == (entry)` fails, and so must the fast evaluation.
    heavy = "len([i for i in range(300) for j in range({n})])"
    xml = _table([heavy.format(n=350)], [[heavy.format(n=350)]])
    tuned, original = _both(xml, {})
    assert original[0] == "error" and original[2] == "ExpressionError"
    assert tuned == original
    # each side alone is fine
    xml = _table([heavy.format(n=350)], [["&gt; 0"]])
    assert _both(xml, {})[0] == _both(xml, {})[1] == ("rules", [1], {})


def test_an_entry_that_reads_all_the_data_sees_only_the_data():
    # `len(vars())` counts the names in the data; the input's value must not be one.
    xml = _table(["x"], [["len(vars())"], ["&gt;= len(vars())"], ["? == len(vars()) - 1"]])
    for data in ({"x": 1}, {"x": 2, "y": 0}, {"x": 3, "y": 0}):
        tuned, original = _both(xml, data)
        assert tuned == original, data
    assert _both(xml, {"x": 1})[1] == ("rules", [1, 2, 3], {"x": 1})


def test_unique_stops_at_the_first_match_and_collect_does_not():
    rows = [["&gt; 0"], ["&gt; 1"], ["&gt; 2"]]
    for policy, expected in (("UNIQUE", [1]), ("COLLECT", [1, 2, 3])):
        tuned, original = _both(_table(["x"], rows, policy), {"x": 5})
        assert tuned == original == ("rules", expected, {"x": 5})


def test_questions_inside_quotes_are_text():
    xml = _table(["s"], [['? == "why?"'], ['"why?"']])
    for value in ("why?", "why"):
        tuned, original = _both(xml, {"s": value})
        assert tuned == original


def test_many_random_entries_agree():
    ops = ["&gt; 3", "&lt;= 2", "3", "? &gt; 1 and ? &lt; 4", "in [1, 2]", "not in [3]",
           "== 2", "!= 1", "-", "? % 2 == 0", "+ 1 &gt; 3", "* 2 == 4", "if x else 0",
           "[0] == 1", ".upper() == 'A'", "or True", "is None"]
    rng = random.Random(7)
    for inputs in itertools.product(["x", "x + 1", "(x)", "len(s) if s else x", "d.k", "x or y"],
                                    repeat=1):
        rows = [[rng.choice(ops)] for _ in range(8)]
        xml = _table(list(inputs), rows)
        for x, y in itertools.product([0, 1, 2, 3, 5, "a", [1], None], [0, 4]):
            data = {"x": x, "y": y, "s": "ab", "d": {"k": x}}
            tuned, original = _both(xml, data)
            assert tuned == original, (inputs, rows, data)
