"""The BPMN engine: parse a diagram once, then step one process instance.

This module (with its siblings in bpmn/) is the only code that imports SpiffWorkflow.
The Temporal workflow drives a `ProcessInstance`: it asks for ready service tasks and runs
them as activities, announces ready user tasks, waits for decisions and timers, and feeds
results back. Nothing here performs I/O or reads the system clock inside a workflow:
time and ids come from the `Clock` the caller installs (see clock.py). Compiling lives in
compiling.py, run-time errors in engine_errors.py, the record of steps in steps.py and
the task-tree walks in tree.py; their public names are all importable from here."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.util.task import TaskState

from bpmn import clock as _clock
from bpmn import spiff_tuning, tree
from bpmn import timers as _timers
from bpmn.compile_checks import DefinitionError as DefinitionError
from bpmn.compile_checks import executable_process_ids as executable_process_ids
from bpmn.compiling import CompiledProcess as CompiledProcess
from bpmn.compiling import compile_definition as compile_definition
from bpmn.compiling import compiled as compiled
from bpmn.compiling import definition_sha256 as definition_sha256
from bpmn.engine_errors import EngineError as EngineError
from bpmn.engine_errors import engine_error
from bpmn.script_env import RestrictedScriptEngine
from bpmn.spiff_parser import ExternalServiceTask
from bpmn.steps import CompletedStep as CompletedStep
from bpmn.steps import is_element, new_steps

_clock.install()
spiff_tuning.install()
# Spiff walks its task tree recursively: a chain of a few hundred sequential elements
# overflows the default limit (RecursionError). Diagrams are capped in size at deploy.
if sys.getrecursionlimit() < 20_000:
    sys.setrecursionlimit(20_000)
tree.lift_task_depth_limit()


@dataclass(frozen=True)
class ServiceCall:
    element_id: str
    name: str
    operation: str
    occurrence: int
    extensions: Mapping[str, str]


@dataclass(frozen=True)
class UserTaskView:
    element_id: str
    name: str
    lane: str | None
    occurrence: int
    extensions: Mapping[str, str]


class ProcessInstance:
    """One process instance, stepped by its owner. Not thread-safe; no I/O."""

    def __init__(self, process: CompiledProcess, data: Mapping[str, Any], clock: _clock.Clock):
        self.process = process
        self.clock = clock
        self._occurrences: dict[str, int] = {}
        self._occurrence_of: dict[Any, int] = {}
        self._seen_done: set[Any] = set()
        self._step_counts: dict[str, int] = {}
        # Ready manual tasks, read many times between two steps: cleared whenever the
        # engine may have moved.
        self._ready: list[Any] | None = None
        self.steps: list[CompletedStep] = []
        self._held: dict[tuple[str, int], _timers.Held] = {}
        self._released = False
        engine = RestrictedScriptEngine(process.allow_scripts)
        with _clock.use(clock):
            try:
                self.workflow = tree.LoanflowWorkflow(
                    process.spec, process.subprocess_specs, script_engine=engine
                )
            except Exception as err:
                raise engine_error(err) from None
            start = self.workflow.get_next_task(state=TaskState.READY, manual=False)
            if start is not None:
                start.data.update(dict(data))
            else:
                self.workflow.data.update(dict(data))

    # -- stepping ------------------------------------------------------------------------

    def advance(self) -> None:
        """Run everything the engine can run by itself (gateways, rules, events)."""
        self._ready = None
        with _clock.use(self.clock):
            try:
                self.workflow.refresh_timers()
                self.workflow.do_engine_steps()
            except Exception as err:  # never a bare TypeError: that would retry for ever
                raise engine_error(err) from None
            finally:
                self._ready = None
        self._collect_steps()

    def _collect_steps(self) -> None:
        completed = tree.walk(self.workflow.task_tree, TaskState.COMPLETED)
        self.steps.extend(new_steps(completed, self._seen_done, self._step_counts))

    def _occurrence(self, task: Any) -> int:
        if task.id not in self._occurrence_of:
            bpmn_id = task.task_spec.bpmn_id
            self._occurrences[bpmn_id] = self._occurrences.get(bpmn_id, 0) + 1
            self._occurrence_of[task.id] = self._occurrences[bpmn_id]
        return self._occurrence_of[task.id]

    def _ready_manual(self) -> list[Any]:
        if self._released:
            return []
        if self._ready is None:
            ready = tree.walk(self.workflow.task_tree, TaskState.READY, manual=True)
            self._ready = [t for t in ready if getattr(t.task_spec, "bpmn_id", None)]
        return self._ready

    def ready_service_calls(self) -> list[ServiceCall]:
        calls = []
        for t in self._ready_manual():
            spec = t.task_spec
            if isinstance(spec, ExternalServiceTask):
                ext = dict(spec.loanflow)
                operation = ext.get("activity") or ext.get("external") or ""
                calls.append(
                    ServiceCall(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, operation,
                                self._occurrence(t), ext)
                )
        return calls

    def ready_user_tasks(self) -> list[UserTaskView]:
        views = []
        for t in self._ready_manual():
            spec = t.task_spec
            if isinstance(spec, ExternalServiceTask):
                continue
            views.append(
                UserTaskView(
                    spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, spec.lane,
                    self._occurrence(t), dict(getattr(spec, "loanflow", {}) or {}),
                )
            )
        return views

    def _find_ready(self, element_id: str, occurrence: int) -> Any:
        for t in self._ready_manual():
            if t.task_spec.bpmn_id == element_id and self._occurrence(t) == occurrence:
                return t
        raise EngineError(element_id, f"no open task #{occurrence} for this element")

    def task_data(self, element_id: str, occurrence: int) -> dict[str, Any]:
        """A copy of the data a ready task sees (what its activity or approver gets)."""
        return dict(self._find_ready(element_id, occurrence).data)

    def is_ready(self, element_id: str, occurrence: int) -> bool:
        try:
            self._find_ready(element_id, occurrence)
        except EngineError:
            return False
        return True

    def complete(self, element_id: str, occurrence: int, output: Mapping[str, Any]) -> None:
        """Finish a service or user task with what it produced, then step on."""
        self.complete_many([(element_id, occurrence, output)])

    def complete_many(self, results: Sequence[tuple[str, int, Mapping[str, Any]]]) -> None:
        """Finish several tasks (parallel branches' results, in this order), then step on
        once. A task that is not ready once the earlier ones are finished gets the
        engine's steps first, as if each had been completed on its own."""
        for element_id, occurrence, output in results:
            if not self.is_ready(element_id, occurrence):
                self.advance()
            task = self._find_ready(element_id, occurrence)
            self._ready = None
            with _clock.use(self.clock):
                task.data.update(dict(output))
                try:
                    task.run()
                except Exception as err:
                    raise engine_error(err) from None
                finally:
                    self._ready = None
        self.advance()

    # -- waiting and finishing -----------------------------------------------------------

    def next_timer(self) -> datetime | None:
        """The earliest deadline of a waiting timer, if any."""
        deadlines = []
        for event in self.workflow.waiting_events():
            if "Timer" not in event.event_type and "Time" not in event.event_type:
                continue
            value = event.value
            if isinstance(value, dict):
                value = value.get("next")
            if isinstance(value, str):
                try:
                    moment = datetime.fromisoformat(value)
                except ValueError:
                    continue
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                if moment < _timers.HELD:  # held timers wait for their task to resume
                    deadlines.append(moment)
        return min(deadlines) if deadlines else None

    def hold_timers(self, element_id: str, occurrence: int) -> None:
        """Stop the boundary timers of a ready user task (it waits on someone else)."""
        key = (element_id, occurrence)
        if key not in self._held:
            self._held[key] = _timers.hold(self._find_ready(element_id, occurrence))
            self._ready = None

    def resume_timers(self, element_id: str, occurrence: int, delay: timedelta) -> None:
        """Restart held timers, each as much later as they were held."""
        held = self._held.pop((element_id, occurrence), None)
        if held:
            _timers.resume(self.workflow, held, delay)
            self._ready = None

    def is_completed(self) -> bool:
        return bool(self.workflow.is_completed()) and not self._ready_manual()

    def waiting_on_something(self) -> bool:
        return bool(self._ready_manual() or self.workflow.waiting_events())

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.workflow.data)

    def final_data(self) -> dict[str, Any]:
        """Data of the last completed end event (what the process ended with)."""
        ends = [t for t in tree.walk(self.workflow.task_tree, TaskState.COMPLETED)
                if isinstance(t.task_spec, EndEvent)]
        merged: dict[str, Any] = dict(self.workflow.data)
        if ends:
            merged.update(max(ends, key=lambda t: t.last_state_change).data)
        return merged

    def end_events(self) -> list[tuple[str, str, Mapping[str, str], bool]]:
        """(element id, name, extensions, is_error) of every end event reached."""
        out: list[tuple[str, str, Mapping[str, str], bool]] = []
        for t in tree.walk(self.workflow.task_tree, TaskState.COMPLETED):
            spec = t.task_spec
            if isinstance(spec, EndEvent) and getattr(spec, "bpmn_id", None):
                is_error = isinstance(getattr(spec, "event_definition", None),
                                      ErrorEventDefinition)
                out.append((spec.bpmn_id, spec.bpmn_name or spec.bpmn_id,
                            dict(getattr(spec, "loanflow", {}) or {}), is_error))
        return out

    def release(self) -> None:
        """Let go of Spiff's task tree once the process is over. Its tasks and its
        workflows point at one another, so otherwise only Python's cycle collector frees
        them, and a worker holds many. The steps taken stay; nothing is current any more,
        and the instance can no longer be stepped."""
        if not self.is_completed():
            raise EngineError("process", "an instance is released only once it has ended")
        top = self.workflow
        for wf in [top, *top.subprocesses.values()]:
            wf.tasks.clear()
            wf.last_task = None
        top.subprocesses.clear()
        top.task_tree = None
        top.event_manager = None  # it points back at the workflow
        self._released = True

    def current_elements(self) -> list[str]:
        if self._released:
            return []
        out = []
        for t in tree.walk(self.workflow.task_tree,
                           TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            if is_element(t) or isinstance(t.task_spec, CatchingEvent | UserTaskMixin):
                bpmn_id = getattr(t.task_spec, "bpmn_id", None)
                if bpmn_id:
                    out.append(bpmn_id)
        return sorted(set(out))
