"""What compile_definition checks around Spiff's parser.

Spiff accepts some broken diagrams silently (a duplicate id replaces the first element),
crashes on others (a dangling message reference, an element named like one of its own
tasks) and hangs on one (a call activity calling its own process). Each is caught here,
before or right after parsing, and reported as a DefinitionError naming the element."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from bpmn.spiff_parser import CAMUNDA_NS
from bpmn.xml import BPMN_NS, DMN_NAMESPACES


class DefinitionError(Exception):
    """A diagram that cannot be compiled; `problems` name the element and the reason."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{el}: {why}" for el, why in self.problems))


def executable_process_ids(root: etree._Element) -> list[str]:
    procs = root.findall(f"{{{BPMN_NS}}}process")
    ids = [str(p.get("id")) for p in procs if p.get("isExecutable", "true") != "false"]
    return ids or [str(p.get("id")) for p in procs]


def check_documents(root: etree._Element, dmn_roots: Sequence[etree._Element],
                    extra_roots: Sequence[etree._Element]) -> list[str]:
    """Refuse what the parser must not see; returns the executable process ids."""
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
    return ids


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


def rename_reserved_ids(roots: Sequence[etree._Element]) -> dict[str, str]:
    """Give flow nodes whose id is one of Spiff's internal names a private id for the
    parser (references follow); returns {private id: id in the diagram}."""
    return {k: v for root in roots for k, v in _rename_reserved_ids(root).items()}


def _rename_reserved_ids(root: etree._Element) -> dict[str, str]:
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


def restore_reserved_ids(specs: Sequence[Any], renamed: Mapping[str, str]) -> None:
    """Outside the parser an element keeps the id it has in the diagram."""
    if not renamed:
        return
    for proc_spec in specs:
        for task_spec in proc_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            if isinstance(bpmn_id, str) and bpmn_id in renamed:
                task_spec.bpmn_id = renamed[bpmn_id]


def refuse_recursive_calls(pid: str, spec: Any, subprocess_specs: Mapping[str, Any]) -> None:
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
