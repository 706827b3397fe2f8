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
from datetime import UTC, datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskIterator, TaskState

from bpmn import clock as _clock
from bpmn.safe_eval import ExpressionError
from bpmn.script_env import RestrictedEnvironment
from bpmn.xml import BPMN_NS, DMN_NAMESPACES, LOANFLOW_NS, XmlRefused, parse_document, strip_layout

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

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


class EngineError(Exception):
    """A problem in a diagram at run time, tied to the element where it happened."""

    def __init__(self, element_id: str, reason: str) -> None:
        super().__init__(f"{element_id}: {reason}")
        self.element_id = element_id
        self.reason = reason


class DefinitionError(Exception):
    """A diagram that cannot be compiled; `problems` name the element and the reason."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{el}: {why}" for el, why in self.problems))


# --- specs with what loanflow reads from the diagram -----------------------------------


def _extensions(node: etree._Element) -> dict[str, str]:
    """loanflow:* attributes, plus the Camunda/Spiff ways of naming a service."""
    out = {
        etree.QName(k).localname: v
        for k, v in node.attrib.items()
        if isinstance(k, str) and k.startswith(f"{{{LOANFLOW_NS}}}")
    }
    for attr in ("topic", "class", "delegateExpression", "expression", "type"):
        value = node.get(f"{{{CAMUNDA_NS}}}{attr}")
        if value and "activity" not in out:
            out["external"] = value
    spiff_op = node.find(f".//{{{SPIFF_NS}}}serviceTaskOperator")
    if spiff_op is not None and spiff_op.get("id"):
        out.setdefault("external", str(spiff_op.get("id")))
    return out


class _StandardLoopMixin:
    """Standard BPMN multi-instance (loopDataInputRef / inputDataItem) where the Camunda
    parser only knows camunda:collection and would refuse the element."""

    node: etree._Element

    def _add_multiinstance_task(self, loop_characteristics: etree._Element) -> None:
        camunda = loop_characteristics.get(f"{{{CAMUNDA_NS}}}collection") is not None
        standard = loop_characteristics.find(f"{{{BPMN_NS}}}loopDataInputRef") is not None
        if standard and not camunda:
            TaskParser._add_multiinstance_task(self, loop_characteristics)
        else:
            super()._add_multiinstance_task(loop_characteristics)  # type: ignore[misc]


class ExternalServiceTask(ServiceTask):  # type: ignore[misc]
    """A service task run by the workflow as an activity, not inside the engine."""

    def __init__(self, wf_spec: Any, bpmn_id: str, extensions: dict[str, str], **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = True
        self.loanflow = extensions

    def _run_hook(self, my_task: Any) -> bool:
        return True


class ServiceTaskParser(_StandardLoopMixin, CamundaTaskParser):  # type: ignore[misc]
    def create_task(self) -> ExternalServiceTask:
        return ExternalServiceTask(
            self.spec, self.bpmn_id, extensions=_extensions(self.node), **self.bpmn_attributes
        )


class _TaggedParserMixin(_StandardLoopMixin):
    """Keeps loanflow:* attributes of every element on its spec."""

    node: etree._Element

    def create_task(self) -> Any:
        task = super().create_task()  # type: ignore[misc]
        task.loanflow = _extensions(self.node)
        return task


def _tagged(parser_cls: type) -> type:
    return type(f"Tagged{parser_cls.__name__}", (_TaggedParserMixin, parser_cls), {})


class LoanflowParser(CamundaParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES = {
        **{
            tag: (_tagged(p), s)
            for tag, (p, s) in CamundaParser.OVERRIDE_PARSER_CLASSES.items()
        },
        f"{{{BPMN_NS}}}serviceTask": (ServiceTaskParser, ExternalServiceTask),
        f"{{{BPMN_NS}}}sendTask": (ServiceTaskParser, ExternalServiceTask),
    }

    def _add_data_stores(self, bpmn: etree._Element) -> None:
        """A data store is an outside system: loanflow reaches those through service
        tasks, so associations with one document the diagram and move no data. Spiff
        would refuse the whole file for want of an implementation class."""
        for node in bpmn.iter(f"{{{BPMN_NS}}}dataStore"):
            store_id = node.get("id")
            if store_id:
                self.data_stores[store_id] = _DocumentedDataStore(
                    store_id, node.get("name") or store_id
                )


class _DocumentedDataStore(BpmnDataStoreSpecification):  # type: ignore[misc]
    def get(self, my_task: Any, **kwargs: Any) -> None:
        return None

    def set(self, my_task: Any, **kwargs: Any) -> None:
        return None


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


def executable_process_ids(root: etree._Element) -> list[str]:
    procs = root.findall(f"{{{BPMN_NS}}}process")
    ids = [str(p.get("id")) for p in procs if p.get("isExecutable", "true") != "false"]
    return ids or [str(p.get("id")) for p in procs]


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
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise DefinitionError([("document", "not a BPMN 2.0 document (no bpmn:definitions)")])
    for d in dmn_roots:
        if etree.QName(d).namespace not in DMN_NAMESPACES:
            raise DefinitionError([("decision table", "not a DMN document")])
    ids = executable_process_ids(root)
    if not ids:
        raise DefinitionError([("document", "no process in the diagram")])
    duplicates = _duplicate_ids([root, *extra_roots])
    if duplicates:
        raise DefinitionError([(d, "this id is used by more than one element") for d in duplicates])
    problems = _dangling_event_refs([root, *extra_roots])
    problems += [(str(el.get("id", "?")), "business rule task names no decision table "
                                          "(camunda:decisionRef)")
                 for r in (root, *extra_roots) for el in r.iter(f"{{{BPMN_NS}}}businessRuleTask")
                 if el.get(f"{{{CAMUNDA_NS}}}decisionRef") is None]
    problems += [("decision table", "no decision in the DMN document") for d in dmn_roots
                 if d.find(f"{{{etree.QName(d).namespace}}}decision") is None]
    if problems:
        raise DefinitionError(problems)
    pid = process_id or ids[0]
    renamed = {**_rename_reserved_ids(root), **{k: v for r in extra_roots
                                               for k, v in _rename_reserved_ids(r).items()}}
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
    _restore_reserved_ids([spec, *subprocess_specs.values()], renamed)
    _refuse_recursive_calls(pid, spec, subprocess_specs)
    sha = definition_sha256(bpmn_xml, dmn_xml)
    return CompiledProcess(sha, pid, spec, subprocess_specs, allow_scripts)


def _duplicate_ids(roots: Sequence[etree._Element]) -> list[str]:
    """Spiff keys its specs by id: a second element with the same id silently replaces
    the first (unless its XSD validator is on), so duplicates are refused here."""
    dups: list[str] = []
    for root in roots:  # ids are unique per document; called diagrams may repeat them
        seen: set[str] = set()
        for el in root.iter():
            if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN_NS:
                continue
            id_ = el.get("id")
            if id_ is not None and id_ in seen and id_ not in dups:
                dups.append(id_)
            seen.add(id_ or "")
    return dups


_EVENT_REFS = {"messageRef": "message", "signalRef": "signal", "errorRef": "error",
               "escalationRef": "escalation"}


def _dangling_event_refs(roots: Sequence[etree._Element]) -> list[tuple[str, str]]:
    """An event naming a message, signal, error or escalation the diagram does not
    define: Spiff's own check for this crashes (TypeError, AssertionError)."""
    defined = {(etree.QName(el).localname, el.get("id")) for r in roots for el in r
               if isinstance(el.tag, str)}
    problems = []
    for root in roots:
        for el in root.iter(f"{{{BPMN_NS}}}*"):
            if not etree.QName(el).localname.endswith("EventDefinition"):
                continue
            for attr, kind in _EVENT_REFS.items():
                ref = el.get(attr)
                if ref is not None and (kind, ref) not in defined:
                    owner = el.getparent()
                    element = owner.get("id", "?") if owner is not None else "?"
                    problems.append((element, f"refers to {kind} '{ref}', which the diagram "
                                              f"does not define"))
    return problems


# Names Spiff gives its own tasks in every process spec: an element with one of these ids
# would replace them ("No output task connected").
_RESERVED_IDS = frozenset({"Start", "End", "Root"})
_REF_ATTRS = ("sourceRef", "targetRef", "attachedToRef", "default", "bpmnElement")
_REF_TEXTS = frozenset({"incoming", "outgoing", "flowNodeRef"})
_SCOPES = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})


def _rename_reserved_ids(root: etree._Element) -> dict[str, str]:
    """Give flow nodes whose id is one of Spiff's internal names a private id for the
    parser (references follow); returns {private id: id in the diagram}."""
    taken = {str(el.get("id")) for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    renames: dict[str, str] = {}
    for el in root.iter(f"{{{BPMN_NS}}}*"):
        old = str(el.get("id"))
        parent = el.getparent()
        if old in _RESERVED_IDS and parent is not None and \
                not etree.QName(el).localname.startswith("data") and \
                etree.QName(parent).localname in _SCOPES:
            new = f"{old}__loanflow"
            while new in taken:
                new += "_"
            taken.add(new)
            renames[old] = new
    if not renames:
        return {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("id") in renames and el.getparent() is not None:
            el.set("id", renames[str(el.get("id"))])
        for attr in _REF_ATTRS:
            if el.get(attr) in renames:
                el.set(attr, renames[str(el.get(attr))])
        if etree.QName(el).localname in _REF_TEXTS and (el.text or "").strip() in renames:
            el.text = renames[(el.text or "").strip()]
    return {new: old for old, new in renames.items()}


def _restore_reserved_ids(specs: Sequence[Any], renamed: Mapping[str, str]) -> None:
    """Outside the parser an element keeps the id it has in the diagram."""
    if not renamed:
        return
    for proc_spec in specs:
        for task_spec in proc_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if isinstance(bpmn_id, str) and bpmn_id in renamed:
                task_spec.bpmn_id = renamed[bpmn_id]


def _refuse_recursive_calls(pid: str, spec: Any, subprocess_specs: Mapping[str, Any]) -> None:
    """A call activity that (directly or through others) calls its own process would
    expand for ever: Spiff hangs. Refuse it at deploy, naming the call activity."""
    specs = {pid: spec, **subprocess_specs}
    calls: dict[str, list[tuple[str, str]]] = {
        name: [(str(t.bpmn_id or t.name), str(t.spec)) for t in s.task_specs.values()
               if isinstance(t, SubWorkflowTask) and t.spec in specs]
        for name, s in specs.items()
    }
    path: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        path.append(name)
        for element, called in calls.get(name, []):
            if called in path:
                chain = " -> ".join([*path[path.index(called):], called])
                raise DefinitionError([(element, f"calls process '{called}' recursively "
                                                 f"({chain}); recursion is refused because "
                                                 "it never ends")])
            if called not in done:
                visit(called)
        path.pop()
        done.add(name)

    visit(pid)


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


class ProcessInstance:
    """One process instance, stepped by its owner. Not thread-safe; no I/O."""

    def __init__(self, process: CompiledProcess, data: Mapping[str, Any], clock: _clock.Clock):
        self.process = process
        self.clock = clock
        self._occurrences: dict[str, int] = {}
        self._occurrence_of: dict[Any, int] = {}
        self._seen_done: set[Any] = set()
        self.steps: list[CompletedStep] = []
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
        with _clock.use(self.clock):
            try:
                self.workflow.refresh_waiting_tasks()
                self.workflow.do_engine_steps()
            except Exception as err:  # never a bare TypeError: that would retry for ever
                raise _engine_error(err) from None
        self._collect_steps()

    def _collect_steps(self) -> None:
        for task in self.workflow.get_tasks(state=TaskState.COMPLETED):
            if task.id in self._seen_done or not _is_element(task):
                continue
            self._seen_done.add(task.id)
            spec = task.task_spec
            self.steps.append(
                CompletedStep(
                    element_id=spec.bpmn_id,
                    name=spec.bpmn_name or spec.bpmn_id,
                    kind=_KIND_BY_CLASS[type(spec).__name__],
                    at=datetime.fromtimestamp(task.last_state_change, UTC),
                    outcome=_outcome(task),
                    occurrence=sum(1 for s in self.steps if s.element_id == spec.bpmn_id) + 1,
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
        return [
            t
            for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
            if getattr(t.task_spec, "bpmn_id", None)
        ]

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
        with _clock.use(self.clock):
            task.data.update(dict(output))
            try:
                task.run()
            except Exception as err:
                raise _engine_error(err) from None
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
                deadlines.append(moment)
        return min(deadlines) if deadlines else None

    def is_completed(self) -> bool:
        return bool(self.workflow.is_completed()) and not self._ready_manual()

    def waiting_on_something(self) -> bool:
        return bool(self._ready_manual() or self.workflow.waiting_events())

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.workflow.data)

    def final_data(self) -> dict[str, Any]:
        """Data of the last completed end event (what the process ended with)."""
        ends = [
            t for t in self.workflow.get_tasks(state=TaskState.COMPLETED)
            if isinstance(t.task_spec, EndEvent)
        ]
        merged: dict[str, Any] = dict(self.workflow.data)
        if ends:
            merged.update(max(ends, key=lambda t: t.last_state_change).data)
        return merged

    def end_events(self) -> list[tuple[str, str, Mapping[str, str], bool]]:
        """(element id, name, extensions, is_error) of every end event reached."""
        out: list[tuple[str, str, Mapping[str, str], bool]] = []
        for t in self.workflow.get_tasks(state=TaskState.COMPLETED):
            spec = t.task_spec
            if isinstance(spec, EndEvent) and getattr(spec, "bpmn_id", None):
                is_error = isinstance(getattr(spec, "event_definition", None),
                                      ErrorEventDefinition)
                out.append((spec.bpmn_id, spec.bpmn_name or spec.bpmn_id,
                            dict(getattr(spec, "loanflow", {}) or {}), is_error))
        return out

    def current_elements(self) -> list[str]:
        out = []
        for t in self.workflow.get_tasks(state=TaskState.READY | TaskState.WAITING
                                         | TaskState.STARTED):
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
