"""The BPMN engine: parse a diagram once, then step one process instance.

This module (with its siblings in bpmn/) is the only code that imports SpiffWorkflow.
The Temporal workflow drives a `ProcessInstance`: it asks for ready service tasks and runs
them as activities, announces ready user tasks, waits for decisions and timers, and feeds
results back. Nothing here performs I/O or reads the system clock inside a workflow:
time and ids come from the `Clock` the caller installs (see clock.py)."""

from __future__ import annotations

import hashlib
import inspect
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskIterator, TaskState

from bpmn import clock as _clock
from bpmn import compile_checks as checks
from bpmn import timers as _timers
from bpmn.compile_checks import DefinitionError as DefinitionError
from bpmn.compile_checks import executable_process_ids as executable_process_ids
from bpmn.safe_eval import ExpressionError
from bpmn.script_env import RestrictedEnvironment
from bpmn.spiff_parser import ExternalServiceTask, LoanflowParser
from bpmn.xml import XmlRefused, parse_document, strip_layout

_clock.install()
# Spiff walks its task tree recursively: a chain of a few hundred sequential elements
# overflows the default limit (RecursionError). Diagrams are capped in size at deploy.
if sys.getrecursionlimit() < 20_000:
    sys.setrecursionlimit(20_000)


def _lift_task_depth_limit() -> None:
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


_lift_task_depth_limit()


class EngineError(Exception):
    """A problem in a diagram at run time, tied to the element where it happened."""

    def __init__(self, element_id: str, reason: str) -> None:
        super().__init__(f"{element_id}: {reason}")
        self.element_id = element_id
        self.reason = reason


# --- compiled definitions --------------------------------------------------------------


@dataclass
class CompiledProcess:
    sha256: str
    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    allow_scripts: bool


def definition_sha256(bpmn_xml: bytes | str, dmn_xml: Sequence[bytes | str] = ()) -> str:
    h = hashlib.sha256()
    for part in (bpmn_xml, *dmn_xml):
        raw = part.encode("utf-8") if isinstance(part, str) else part
        h.update(hashlib.sha256(raw).digest())
    return h.hexdigest()


def compile_definition(
    bpmn_xml: bytes | str,
    dmn_xml: Sequence[bytes | str] = (),
    process_id: str | None = None,
    allow_scripts: bool = False,
    extra_bpmn: Sequence[bytes | str] = (),
) -> CompiledProcess:
    """Parse (hardened) and build the Spiff spec; raise DefinitionError on any problem."""
    try:
        root = strip_layout(parse_document(bpmn_xml))
        dmn_roots = [parse_document(d, "decision table") for d in dmn_xml]
        extra_roots = [strip_layout(parse_document(b)) for b in extra_bpmn]
    except XmlRefused as err:
        raise DefinitionError([("document", str(err))]) from None
    ids = checks.check_documents(root, dmn_roots, extra_roots)
    pid = process_id or ids[0]
    renamed = checks.rename_reserved_ids([root, *extra_roots])
    parser = LoanflowParser()
    try:
        parser.add_bpmn_xml(root, filename="diagram.bpmn")
        for extra in extra_roots:
            parser.add_bpmn_xml(extra, filename="called.bpmn")
        for d in dmn_roots:
            parser.add_dmn_xml(d, filename="decision.dmn")
        spec = parser.get_spec(pid)
        subprocess_specs = parser.get_subprocess_specs(pid)
    except ValidationException as err:
        element = getattr(err, "id", None) or getattr(err, "name", None) or pid
        raise DefinitionError([(renamed.get(str(element), str(element)), _first_line(err))]) \
            from None
    except (SpiffWorkflowException, KeyError, TypeError, AttributeError, ValueError,
            IndexError, AssertionError) as err:
        raise DefinitionError([(pid, f"{type(err).__name__}: {_first_line(err)}")]) from None
    checks.restore_reserved_ids([spec, *subprocess_specs.values()], renamed)
    checks.refuse_recursive_calls(pid, spec, subprocess_specs)
    sha = definition_sha256(bpmn_xml, dmn_xml)
    return CompiledProcess(sha, pid, spec, subprocess_specs, allow_scripts)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


_cache: dict[tuple[str, str | None, bool], CompiledProcess] = {}
_cache_lock = threading.Lock()


def compiled(
    sha256: str,
    load: Callable[[], tuple[str, list[str]]],
    process_id: str | None = None,
    allow_scripts: bool = False,
) -> CompiledProcess:
    """Parse once per sha256 (per worker process) and reuse the spec."""
    key = (sha256, process_id, allow_scripts)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    bpmn_xml, dmn_xml = load()
    proc = compile_definition(bpmn_xml, dmn_xml, process_id, allow_scripts)
    if proc.sha256 != sha256:
        raise DefinitionError([("document", f"content hash {proc.sha256} != pinned {sha256}")])
    with _cache_lock:
        _cache[key] = proc
    return proc


# --- a running instance ----------------------------------------------------------------


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


@dataclass
class CompletedStep:
    element_id: str
    name: str
    kind: str
    at: datetime
    outcome: str = ""
    occurrence: int = 1
    inputs: dict[str, Any] | None = None


_KIND_BY_CLASS = {
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


def _is_element(task: Any) -> bool:
    """Spiff adds internal tasks (Root, Start, *.EndJoin, boundary splits); skip them."""
    spec = task.task_spec
    return bool(getattr(spec, "bpmn_id", None)) and type(spec).__name__ in _KIND_BY_CLASS


def _tasks(workflow: Any, state: int, manual: bool | None = None) -> list[Any]:
    """`workflow.get_tasks(state=..., manual=...)`, in the same depth-first order (which
    orders the commands a workflow issues), without the per-task bookkeeping of Spiff's
    iterator: the instance asks this several times per step."""
    if state & TaskState.PREDICTED_MASK:
        min_state = TaskState.MAYBE
    elif state & TaskState.DEFINITE_MASK:
        min_state = TaskState.FUTURE
    else:
        min_state = TaskState.COMPLETED
    into_finished = not state <= TaskState.FINISHED_MASK
    subprocesses = workflow.subprocesses
    out = []
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        task_state = task.state
        if task_state & state and (manual is None or task.task_spec.manual == manual):
            out.append(task)
        sub = subprocesses.get(task.id)
        if sub is None:
            if task._children and task_state >= min_state:
                stack.extend(reversed(task.children))
            continue
        nxt = task.children
        if into_finished or task_state < TaskState.FINISHED_MASK:
            nxt.insert(0, sub.task_tree)
        stack.extend(reversed(nxt))
    return out


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
        engine = PythonScriptEngine(environment=RestrictedEnvironment(process.allow_scripts))
        with _clock.use(clock):
            try:
                self.workflow = BpmnWorkflow(
                    process.spec, process.subprocess_specs, script_engine=engine
                )
            except Exception as err:
                raise _engine_error(err) from None
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
                raise _engine_error(err) from None
            finally:
                self._ready = None
        self._collect_steps()

    def _collect_steps(self) -> None:
        for task in _tasks(self.workflow, TaskState.COMPLETED):
            if task.id in self._seen_done or not _is_element(task):
                continue
            self._seen_done.add(task.id)
            spec = task.task_spec
            occurrence = self._step_counts.get(spec.bpmn_id, 0) + 1
            self._step_counts[spec.bpmn_id] = occurrence
            self.steps.append(
                CompletedStep(
                    element_id=spec.bpmn_id,
                    name=spec.bpmn_name or spec.bpmn_id,
                    kind=_KIND_BY_CLASS[type(spec).__name__],
                    at=datetime.fromtimestamp(task.last_state_change, UTC),
                    outcome=_outcome(task),
                    occurrence=occurrence,
                    inputs=_rule_inputs(task),
                )
            )

    def _occurrence(self, task: Any) -> int:
        if task.id not in self._occurrence_of:
            bpmn_id = task.task_spec.bpmn_id
            self._occurrences[bpmn_id] = self._occurrences.get(bpmn_id, 0) + 1
            self._occurrence_of[task.id] = self._occurrences[bpmn_id]
        return self._occurrence_of[task.id]

    def _ready_manual(self) -> list[Any]:
        if self._ready is None:
            self._ready = [t for t in _tasks(self.workflow, TaskState.READY, manual=True)
                           if getattr(t.task_spec, "bpmn_id", None)]
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
        task = self._find_ready(element_id, occurrence)
        self._ready = None
        with _clock.use(self.clock):
            task.data.update(dict(output))
            try:
                task.run()
            except Exception as err:
                raise _engine_error(err) from None
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
        ends = [t for t in _tasks(self.workflow, TaskState.COMPLETED)
                if isinstance(t.task_spec, EndEvent)]
        merged: dict[str, Any] = dict(self.workflow.data)
        if ends:
            merged.update(max(ends, key=lambda t: t.last_state_change).data)
        return merged

    def end_events(self) -> list[tuple[str, str, Mapping[str, str], bool]]:
        """(element id, name, extensions, is_error) of every end event reached."""
        out: list[tuple[str, str, Mapping[str, str], bool]] = []
        for t in _tasks(self.workflow, TaskState.COMPLETED):
            spec = t.task_spec
            if isinstance(spec, EndEvent) and getattr(spec, "bpmn_id", None):
                is_error = isinstance(getattr(spec, "event_definition", None),
                                      ErrorEventDefinition)
                out.append((spec.bpmn_id, spec.bpmn_name or spec.bpmn_id,
                            dict(getattr(spec, "loanflow", {}) or {}), is_error))
        return out

    def current_elements(self) -> list[str]:
        out = []
        for t in _tasks(self.workflow, TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            if _is_element(t) or isinstance(t.task_spec, CatchingEvent | UserTaskMixin):
                bpmn_id = getattr(t.task_spec, "bpmn_id", None)
                if bpmn_id:
                    out.append(bpmn_id)
        return sorted(set(out))


def _rule_inputs(task: Any) -> dict[str, Any] | None:
    """What a decision table saw (its inputs are hashed into the decision record)."""
    if type(task.task_spec).__name__ != "BusinessRuleTask" or task.parent is None:
        return None
    return dict(task.parent.data)


def _outcome(task: Any) -> str:
    spec, data = task.task_spec, task.data
    kind = _KIND_BY_CLASS[type(spec).__name__]
    if kind == "userTask":
        return str(data.get("decision") or "done")
    if kind == "businessRuleTask":
        table = getattr(getattr(spec, "dmnEngine", None), "decision_table", None)
        names = [o.name for o in getattr(table, "outputs", []) if getattr(o, "name", None)]
        return ", ".join(f"{n}={data.get(n)}" for n in names) or "decided"
    if kind == "endEvent":
        return str(getattr(spec, "loanflow", {}).get("outcome") or spec.bpmn_name or "ended")
    return "done"


def _engine_error(err: Exception) -> EngineError:
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
        reason = _first_line(err)
    else:
        reason = f"cannot run: {_first_line(err)}"
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
