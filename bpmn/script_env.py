"""The script environment Spiff calls for every expression, DMN entry and script: all of
them go through the restricted evaluator, never Python's eval or exec."""

from __future__ import annotations

import ast
import functools
import re
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from bpmn import safe_eval
from bpmn.safe_eval import ExpressionError

# ISO 8601 durations, date-times and repeating intervals, as Camunda writes timer
# definitions without quotes (PT5M, R3/PT10M, 2026-01-01T09:00:00Z).
_ISO_LITERAL = re.compile(r"^(R\d*/)?(P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}[0-9T:.+\-Z]*)(/\S+)?$")


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    def __init__(self, allow_scripts: bool = False) -> None:
        super().__init__({})
        self.allow_scripts = allow_scripts

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        scope = dict(context)
        scope.update(external_context or {})
        source = expression.strip()
        try:
            return safe_eval.evaluate(source, scope)
        except ExpressionError:
            if _ISO_LITERAL.match(source):
                return source
            raise

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        if not self.allow_scripts:
            raise ExpressionError("script tasks are not run by loanflow; use a service task")
        scope = context
        for key, value in (external_context or {}).items():
            scope.setdefault(key, value)
        safe_eval.execute(script, scope)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ExpressionError("services are called by the workflow, not from scripts")


class RestrictedScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """Spiff's script engine over the restricted environment. Spiff's DMN engine asks
    `validate` (does the text parse?) for every rule entry of every evaluation: the
    answer is kept per text."""

    def __init__(self, allow_scripts: bool = False) -> None:
        super().__init__(environment=RestrictedEnvironment(allow_scripts))

    def validate(self, expression: str) -> None:
        refused = _syntax_error(expression)
        if refused is not None:
            raise SyntaxError(*refused.args)


@functools.lru_cache(maxsize=4096)
def _syntax_error(text: str) -> SyntaxError | None:
    try:
        ast.parse(text)
    except SyntaxError as err:
        return err
    return None
