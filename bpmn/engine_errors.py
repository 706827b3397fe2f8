"""Run-time errors of a diagram, each tied to the element where it happened, whatever
SpiffWorkflow raised underneath (re-exported by bpmn.engine)."""

from __future__ import annotations

from SpiffWorkflow.exceptions import SpiffWorkflowException

from bpmn.safe_eval import ExpressionError


class EngineError(Exception):
    """A problem in a diagram at run time, tied to the element where it happened."""

    def __init__(self, element_id: str, reason: str) -> None:
        super().__init__(f"{element_id}: {reason}")
        self.element_id = element_id
        self.reason = reason


def first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def engine_error(err: Exception) -> EngineError:
    """A message naming the element, whatever Spiff raised (its own exceptions, ours
    wrapped in them, or a bare TypeError from one of its hooks)."""
    spec = getattr(getattr(err, "task", None), "task_spec", None) or getattr(err, "task_spec", None)
    element = getattr(spec, "bpmn_id", None) or _failing_element(err)
    cause = _root_cause(err)
    if isinstance(cause, ExpressionError):
        reason = str(cause)
    elif isinstance(cause, KeyError):  # a DMN input named by its label, missing from the data
        reason = f"no data named {cause.args[0]!r}" if cause.args else "missing data"
    elif isinstance(err, SpiffWorkflowException):
        reason = first_line(err)
    else:
        reason = f"cannot run: {first_line(err)}"
    return EngineError(str(element), reason)


def _failing_element(err: BaseException) -> str:
    """The innermost task Spiff was working on (its hooks all name it `my_task`)."""
    element = "process"
    tb = err.__traceback__
    while tb is not None:
        task = tb.tb_frame.f_locals.get("my_task")
        bpmn_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
        if bpmn_id:
            element = str(bpmn_id)
        tb = tb.tb_next
    return element


def _root_cause(err: BaseException) -> BaseException | None:
    """Spiff wraps the error that matters (ours or a lookup) in its own, sometimes only
    as the implicit context of a re-raise."""
    seen: list[BaseException] = []
    cur: BaseException | None = err
    while cur is not None and cur not in seen and len(seen) < 10:
        seen.append(cur)
        if isinstance(cur, ExpressionError | KeyError):
            return cur
        nxt = cur.__cause__ or getattr(cur, "exception", None) or cur.__context__
        cur = nxt if isinstance(nxt, BaseException) else None
    return None
