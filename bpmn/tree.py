"""Walking SpiffWorkflow's task tree, fast and in Spiff's own order.

Spiff finds tasks by walking its whole task tree with a general-purpose iterator (a
filter object, depth bookkeeping, list concatenation per node). It walks several times
per step: for ready tasks in every engine-step round, for waiting tasks after every
completion, for a join's inputs. Inside a Temporal workflow that is most of what the
engine costs, and the workflow sandbox makes each of those Python calls dearer still.

`walk` visits exactly the tasks Spiff's `BpmnTaskIterator` visits, in the same
depth-first order (the order decides which ready task runs first, and so the order of
the commands a workflow issues), and reads each task's state at the moment Spiff would:
after its children are taken and before the caller acts on it. `LoanflowWorkflow` uses
it for the queries it can answer and leaves every other query to Spiff."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator, TaskState

_PREDICTED: int = TaskState.PREDICTED_MASK
_DEFINITE: int = TaskState.DEFINITE_MASK
_FINISHED: int = TaskState.FINISHED_MASK
_MAYBE: int = TaskState.MAYBE
_FUTURE: int = TaskState.FUTURE
_COMPLETED: int = TaskState.COMPLETED
_WAITING: int = TaskState.WAITING
_NOT_FINISHED: int = TaskState.NOT_FINISHED_MASK

# The filters `walk` answers itself; any other keyword goes to Spiff's iterator.
_FAST_KEYS = frozenset({"state", "manual", "spec_name", "skip_subprocesses"})


def lift_task_depth_limit() -> None:
    """Spiff walks its task tree with a depth cap of 1,000 (TaskIterator's max_depth).
    Every loop turn nests the tree deeper, so after ~500 turns the next READY task is
    beyond the cap: nothing sees it and is_completed() says True with the end never
    reached. The walk is iterative (no stack), so the cap is lifted."""
    for cls in (TaskIterator, BpmnTaskIterator):
        init = cls.__init__
        names = [n for n, p in inspect.signature(init).parameters.items()
                 if p.kind is p.POSITIONAL_OR_KEYWORD]
        defaults = list(init.__defaults__ or ())
        at = names.index("max_depth") - (len(names) - len(defaults))
        defaults[at] = sys.maxsize
        init.__defaults__ = tuple(defaults)


def _min_state(state: int) -> int:
    """Below which state a task's children cannot match (as Spiff's iterator decides)."""
    if state & _PREDICTED:
        return _MAYBE
    if state & _DEFINITE:
        return _FUTURE
    return _COMPLETED


def walk(
    start: Any,
    state: int = TaskState.ANY_MASK,
    manual: bool | None = None,
    spec_name: str | None = None,
    skip_subprocesses: bool = False,
) -> Iterator[Any]:
    """Tasks under `start` (itself included) that match, as BpmnTaskIterator yields
    them: depth first, into running subprocesses (and finished ones when the state asked
    for includes finished states), lazily."""
    min_state = _min_state(state)
    into_finished = not state <= _FINISHED
    subprocesses = start.workflow.top_workflow.subprocesses
    stack = [start]
    pop, extend = stack.pop, stack.extend
    while stack:
        task = pop()
        task_state = task._state
        sub = subprocesses.get(task.id) if subprocesses else None
        if sub is None:
            if task._children and task_state >= min_state:
                tasks = task.workflow.tasks
                extend([tasks.get(c) for c in reversed(task._children)])
        else:
            nxt = task.children
            if not skip_subprocesses and (into_finished or task_state < _FINISHED):
                nxt.insert(0, sub.task_tree)
            nxt.reverse()
            extend(nxt)
        if task_state & state and (manual is None or task.task_spec.manual == manual) \
                and (spec_name is None or task.task_spec.name == spec_name):
            yield task


def walk_plain(start: Any, state: int) -> Iterator[Any]:
    """As Spiff's plain TaskIterator: depth first, never into subprocesses, lazily."""
    min_state = _min_state(state)
    tasks = start.workflow.tasks
    stack = [start]
    pop, extend = stack.pop, stack.extend
    while stack:
        task = pop()
        task_state = task._state
        if task._children and task_state >= min_state:
            extend([tasks.get(c) for c in reversed(task._children)])
        if task_state & state:
            yield task


class LoanflowWorkflow(BpmnWorkflow):  # type: ignore[misc]
    """BpmnWorkflow whose task queries take the fast walk where they can."""

    def get_tasks_iterator(self, first_task: Any = None, **kwargs: Any) -> Any:
        if kwargs.keys() <= _FAST_KEYS:
            return walk(first_task or self.task_tree, **kwargs)
        return super().get_tasks_iterator(first_task, **kwargs)

    def update_waiting_tasks(self) -> None:
        for task in walk_plain(self.task_tree, _WAITING):
            task.task_spec._update(task)

    def is_completed(self) -> bool:
        done = bool(getattr(self, "completed", False))
        if not done and next(walk_plain(self.task_tree, _NOT_FINISHED), None) is None:
            self.completed = done = True
        return done
