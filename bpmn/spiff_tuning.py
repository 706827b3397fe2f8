"""SpiffWorkflow's hot spots, replaced by versions that give the same results.

A loan application is stepped inside a Temporal workflow activation, so the engine's CPU
is the worker's CPU. Profiling one personal-loan application through the engine showed
places where Spiff does work whose result nobody reads, or does it again:

- `TaskState.get_name` builds a dict of nine names on every call. The replacement reads
  a table that the original function filled for every value from 0 to 511 (all states and
  masks); other values still go to the original.
- `Task._set_state` formats a log line and collects its extras (a dict of ten fields)
  on every state change, and the `spiff.task` logger then drops it. The replacement
  builds them only when that logger is enabled for the level, and logs the same text with
  the same extras when it is.
- `Workflow.collect_log_extras` lists every task id of the tree (a walk of the whole
  tree) whenever the `spiff.workflow` logger's own level is below INFO, as it is when
  unset, and its callers then log at INFO into a logger that drops the record. The
  replacement leaves the list out when that logger is not enabled for INFO, and is the
  original when it is.
- `DMNEngine.decide` evaluates each rule entry as a new expression that repeats the
  input expression (`(amount) == (5000)`), so a table of R rules evaluates its inputs R
  times. The replacement evaluates each input expression at most once per decision and
  compares its value with each entry. It does so only where that is exact:
  - the script engine is loanflow's restricted one, whose expressions cannot assign;
  - no input or entry of the table can change data (`append`, `extend`), so an input
    has one value for the whole decision;
  - a `?` entry is evaluated as Spiff does, with the input's value in `dmninputexpr`;
  - any other entry is used only when Spiff's own expression for it (`(input) == (entry)`
    or the input glued to the entry, `amount` + `> 5000`) parses to the same tree as the
    expression with the input's value in its place, and the value's evaluation steps are
    counted into the same step budget.
  Anything else, and any entry whose fast evaluation raises, goes through Spiff's own
  `evaluate` for that entry, so errors keep Spiff's messages and notes.

`tests/bpmn/test_spiff_tuning.py` holds each replacement to the original it replaces.
"""

from __future__ import annotations

import ast
import copy
import logging
import re
from collections.abc import Callable
from typing import Any

import SpiffWorkflow.task as spiff_task
import SpiffWorkflow.workflow as spiff_workflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from bpmn import safe_eval
from bpmn.safe_eval import ExpressionError
from bpmn.script_env import RestrictedScriptEngine

ORIGINAL_GET_NAME: Callable[[int], str] = TaskState.get_name
ORIGINAL_SET_STATE: Callable[[Any, int], None] = spiff_task.Task._set_state
ORIGINAL_WORKFLOW_EXTRAS: Callable[..., dict[str, Any]] = spiff_workflow.Workflow.collect_log_extras
ORIGINAL_DECIDE: Callable[[Any, Any], list[Any]] = DMNEngine.decide

_NAMES: tuple[str, ...] = tuple(ORIGINAL_GET_NAME(value) for value in range(512))


def get_name(cls: type, state: int) -> str:
    if type(state) is int and 0 <= state < 512:
        return _NAMES[state]
    return ORIGINAL_GET_NAME(state)


def set_state(self: Any, value: int) -> None:
    """Spiff's `Task._set_state`, with the log record built only when it is emitted."""
    logger = spiff_task.logger
    if value != self.state:
        # time.time() twice, as Spiff does (the clock shim answers both from one moment).
        elapsed = spiff_task.time.time() - self.last_state_change
        self.last_state_change = spiff_task.time.time()
        self._state = value
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                f"State changed to {TaskState.get_name(value)}",
                extra=self.collect_log_extras({"elapsed": elapsed}),
            )
    elif logger.isEnabledFor(logging.DEBUG):
        logger.debug(f"State set to {TaskState.get_name(value)}", extra=self.collect_log_extras())


def workflow_log_extras(self: Any, dct: dict[str, Any] | None = None) -> dict[str, Any]:
    """Spiff's `Workflow.collect_log_extras`; its callers all log at INFO."""
    if spiff_workflow.logger.isEnabledFor(logging.INFO):
        return ORIGINAL_WORKFLOW_EXTRAS(self, dct)
    extra = dct or {}
    extra.update({"workflow_spec": self.spec.name, "success": self.success,
                  "completed": self.completed, "root": self.task_tree.id})
    return extra


# -- DMN ---------------------------------------------------------------------------------

_PLACEHOLDER = "dmninputexpr"
# Spiff's own pattern: a '?' outside quotes stands for the input's value.
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')
_MUTATING = ("append", "extend")

_TRUE = ("true",)
_SPIFF = ("spiff",)
# ("question", the entry with dmninputexpr for '?'), ("compare", Spiff's expression with
# dmninputexpr in the input's place), _TRUE (an empty entry) or _SPIFF (Spiff evaluates it).
_EntryPlan = tuple[Any, ...]
# A rule: for each input entry, (its input expression, the plan of each of its entries).
_RulePlan = list[tuple[str, list[_EntryPlan]]]


def _parses(script_engine: Any, text: str) -> bool:
    try:
        script_engine.validate(text)
    except SyntaxError:
        return False
    return True


class _Substitute(ast.NodeTransformer):
    def __init__(self, replacement: ast.expr) -> None:
        self.replacement = replacement

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.replacement if node.id == _PLACEHOLDER else node


def _entry_plan(script_engine: Any, input_expr: str, match: str | None) -> _EntryPlan:
    if match is None:
        return _TRUE
    substituted = _QUESTION.sub(_PLACEHOLDER, match)
    if _PLACEHOLDER in substituted:
        return ("question", substituted)
    # Spiff's own steps: the input must parse; then `==` if the entry parses alone, else
    # the entry is glued to the input (`amount` + `> 5000`), if `v <entry>` parses.
    if not _parses(script_engine, input_expr):
        return _SPIFF
    if _parses(script_engine, match):
        original = f"({input_expr}) == ({match})"
        fast = f"({_PLACEHOLDER}) == ({match})"
    elif _parses(script_engine, f"v {match}"):
        original, fast = input_expr + match, _PLACEHOLDER + match
    else:
        return _SPIFF
    try:
        original_tree = safe_eval.parse_expression(original)
        fast_tree = safe_eval.parse_expression(fast)
        input_tree = safe_eval.parse_expression(input_expr)
    except ExpressionError:
        return _SPIFF
    # The fast expression is exact when it is Spiff's expression with the input's subtree
    # replaced by one name: same operators, same grouping.
    rebuilt = _Substitute(copy.deepcopy(input_tree.body)).visit(copy.deepcopy(fast_tree))
    if ast.dump(rebuilt) != ast.dump(original_tree):
        return _SPIFF
    # vars() and its kin would see the placeholder among the data.
    if any(isinstance(node, ast.Name) and node.id in safe_eval.NAMESPACE_FUNCTIONS
           for node in ast.walk(fast_tree)):
        return _SPIFF
    return ("compare", fast)


def _table_plan(table: Any, script_engine: Any) -> list[_RulePlan] | None:
    texts: list[str] = []
    plans: list[_RulePlan] = []
    for rule in table.rules:
        rule_plan: _RulePlan = []
        for entry in rule.inputEntries:
            input_expr = entry.input.expression
            if not input_expr:
                return None  # Spiff falls back to the input's label, read from the data
            texts.append(input_expr)
            texts.extend(m for m in entry.lhs if m is not None)
            rule_plan.append(
                (input_expr, [_entry_plan(script_engine, input_expr, m) for m in entry.lhs])
            )
        plans.append(rule_plan)
    if any(word in text for text in texts for word in _MUTATING):
        return None
    return plans


class _Inputs:
    """The input expressions' values for one decision, each evaluated at most once."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.values: dict[str, tuple[Any, int]] = {}
        # The data with the placeholder beside it, for the entries; each evaluation works
        # on its own copy (safe_eval copies its context), so one dict serves them all.
        self.scope = dict(data)

    def value(self, input_expr: str) -> tuple[Any, int]:
        known = self.values.get(input_expr)
        if known is None:
            known = self.values[input_expr] = safe_eval.evaluate_counted(input_expr, self.data)
        return known


def _fast(plan: _EntryPlan, input_expr: str, inputs: _Inputs) -> Any:
    value, steps = inputs.value(input_expr)
    scope = inputs.scope
    scope[_PLACEHOLDER] = value
    if plan[0] == "question":
        return safe_eval.evaluate_counted(plan[1], scope)[0]
    # Spiff evaluates the input inside the compared expression: its steps (less its
    # Expression node, and the placeholder name that stands for it) count there too.
    return safe_eval.evaluate_counted(plan[1], scope, steps_before=steps - 2)[0]


def _spiff_entry(engine: Any, rule: Any, input_expr: str, match: str, task: Any) -> Any:
    """One entry exactly as Spiff's `__check_rule` evaluates it, errors included."""
    try:
        return engine.evaluate(input_expr, match, task)
    except SpiffWorkflowException as se:
        se.add_note(f"Rule failed on row {rule.row_number}")
        raise se
    except Exception as e:
        error = WorkflowTaskException(str(e), task=task, exception=e)
        error.add_note(f"Failed to execute DMN Rule on row {rule.row_number}")
        raise error  # noqa: B904 (as Spiff raises it: the cause is its context)


def decide_once(self: Any, task: Any) -> list[Any]:
    """Spiff's `DMNEngine.decide`, with each input expression evaluated once."""
    script_engine = task.workflow.script_engine
    if not isinstance(script_engine, RestrictedScriptEngine):
        return ORIGINAL_DECIDE(self, task)
    table = self.decision_table
    # A parsed table does not change: its plan is made once, on first use.
    if not hasattr(self, "_loanflow_plan"):
        self._loanflow_plan = _table_plan(table, script_engine)
    plans: list[_RulePlan] | None = self._loanflow_plan
    if plans is None:
        return ORIGINAL_DECIDE(self, task)
    unique = table.hit_policy == HitPolicy.UNIQUE.value
    inputs = _Inputs(task.data)
    rules = []
    for rule, rule_plan in zip(table.rules, plans, strict=True):
        if _rule_matches(self, rule, rule_plan, inputs, task):
            rules.append(rule)
            if unique:
                return rules
    return rules


def _rule_matches(
    engine: Any, rule: Any, rule_plan: _RulePlan, inputs: _Inputs, task: Any
) -> bool:
    for (input_expr, entry_plans), entry in zip(rule_plan, rule.inputEntries, strict=True):
        for plan, match in zip(entry_plans, entry.lhs, strict=True):
            if plan is _TRUE:
                continue
            if plan is _SPIFF:
                ok = _spiff_entry(engine, rule, input_expr, match, task)
            else:
                try:
                    ok = _fast(plan, input_expr, inputs)
                except Exception:
                    ok = _spiff_entry(engine, rule, input_expr, match, task)
            if not ok:
                return False
    return True


_installed = False


def install() -> None:
    """Put the replacements in place (idempotent)."""
    global _installed
    if _installed:
        return
    TaskState.get_name = classmethod(get_name)  # type: ignore[assignment,method-assign]
    spiff_task.Task._set_state = set_state  # type: ignore[method-assign]
    spiff_workflow.Workflow.collect_log_extras = workflow_log_extras  # type: ignore[method-assign]
    DMNEngine.decide = decide_once  # type: ignore[method-assign]
    _installed = True
