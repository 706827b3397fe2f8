"""What changed between two versions of a process definition (BPMN + DMN), by element id.

Only what the engine runs is compared: the layout (bpmndi) is dropped before anything
else, so moving a shape is not a change. Each BPMN element is reduced to a signature:
type, name, loanflow:* and other attributes, condition text, timer and other event
definitions, its lane (the role that works it), its incoming and outgoing flows (from the
sequence flows, the truth the engine follows), loop settings, scripts, documentation.
Decision tables are compared decision by decision: hit policy, inputs, outputs, and
rules by rule id (by position where a rule has none). A business rule task whose table
changed is reported changed too, so the diagram shows where a rule change bites.

Parsed with the hardened parser of bpmn/xml.py; SpiffWorkflow is not involved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from lxml import etree

from bpmn.xml import BPMN_NS, DMN_NAMESPACES, LOANFLOW_NS, parse_document, strip_layout

B = f"{{{BPMN_NS}}}"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_PREFIXES = {LOANFLOW_NS: "loanflow", CAMUNDA_NS: "camunda",
             "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow"}
# Children read elsewhere: flows from the sequence flows, lane membership per element.
_REDUNDANT = {"incoming", "outgoing", "flowNodeRef", "childLaneSet", "laneSet"}
_EVENT_DEFS = {"timerEventDefinition", "messageEventDefinition", "signalEventDefinition",
               "errorEventDefinition", "escalationEventDefinition", "conditionalEventDefinition",
               "terminateEventDefinition", "compensateEventDefinition", "cancelEventDefinition",
               "linkEventDefinition"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ElementChange:
    """One element added, removed or changed. `document` is "bpmn" or "dmn"; a DMN
    element's `scope` is its decision id."""

    document: str
    element_id: str
    type: str
    name: str
    changes: tuple[FieldChange, ...] = ()
    scope: str = ""


@dataclass
class DefinitionDiff:
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def markers(self) -> dict[str, list[str]]:
        """BPMN element ids to colour in a diagram viewer, by kind of change."""
        def ids(items: list[ElementChange]) -> list[str]:
            return [c.element_id for c in items if c.document == "bpmn"]
        return {"added": ids(self.added), "removed": ids(self.removed),
                "changed": ids(self.changed)}


Signature = dict[str, str]


@dataclass
class _Element:
    type: str
    name: str
    signature: Signature


def diff_definitions(
    old_bpmn: bytes | str, old_dmn: Sequence[bytes | str],
    new_bpmn: bytes | str, new_dmn: Sequence[bytes | str],
) -> DefinitionDiff:
    """Raises bpmn.xml.XmlRefused for a document that cannot be read."""
    out = DefinitionDiff()
    old_dmn_els, new_dmn_els = _dmn_elements(old_dmn), _dmn_elements(new_dmn)
    old_els, new_els = _bpmn_elements(old_bpmn), _bpmn_elements(new_bpmn)
    _compare("bpmn", {("", k): v for k, v in old_els.items()},
             {("", k): v for k, v in new_els.items()}, out)
    dmn = DefinitionDiff()
    _compare("dmn", old_dmn_els, new_dmn_els, dmn)
    touched: dict[str, list[str]] = {}
    for c in (*dmn.added, *dmn.removed, *dmn.changed):
        touched.setdefault(c.scope, []).append(c.element_id)
    _mark_rule_tasks(new_els, old_els, touched, out)
    out.added += dmn.added
    out.removed += dmn.removed
    out.changed += dmn.changed
    return out


def _compare(document: str, old: dict[tuple[str, str], _Element],
             new: dict[tuple[str, str], _Element], out: DefinitionDiff) -> None:
    for key, el in new.items():
        if key not in old:
            out.added.append(ElementChange(document, key[1], el.type, el.name, tuple(
                FieldChange(f, None, v) for f, v in sorted(el.signature.items())), key[0]))
    for key, el in old.items():
        if key not in new:
            out.removed.append(ElementChange(document, key[1], el.type, el.name, tuple(
                FieldChange(f, v, None) for f, v in sorted(el.signature.items())), key[0]))
            continue
        now = new[key]
        changes = [FieldChange(f, el.signature.get(f), now.signature.get(f))
                   for f in sorted(set(el.signature) | set(now.signature))
                   if el.signature.get(f) != now.signature.get(f)]
        if el.name != now.name and now.type != "rule":  # a rule's name is its description
            changes.insert(0, FieldChange("name", el.name, now.name))
        if el.type != now.type:
            changes.insert(0, FieldChange("type", el.type, now.type))
        if changes:
            out.changed.append(ElementChange(document, key[1], now.type, now.name,
                                             tuple(changes), scope=key[0]))


def _mark_rule_tasks(new: dict[str, _Element], old: dict[str, _Element],
                     changed_decisions: dict[str, list[str]], out: DefinitionDiff) -> None:
    """A business rule task whose decision table changed behaves differently even though
    the task itself is untouched."""
    already = {c.element_id for c in (*out.added, *out.changed) if c.document == "bpmn"}
    for eid, el in new.items():
        ref = el.signature.get("camunda:decisionRef")
        if el.type != "businessRuleTask" or not ref or eid in already or eid not in old:
            continue
        if ref in changed_decisions:
            what = ", ".join(sorted(changed_decisions[ref]))
            out.changed.append(ElementChange("bpmn", eid, el.type, el.name, (
                FieldChange("decision table", None, f"{ref} changed ({what})"),)))


# --- BPMN ------------------------------------------------------------------------------


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _attr_name(qname: str) -> str:
    q = etree.QName(qname)
    if q.namespace is None:
        return str(q.localname)
    return f"{_PREFIXES.get(q.namespace, q.namespace)}:{q.localname}"


def _text(el: etree._Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _canonical(el: etree._Element) -> str:
    """Whitespace-insensitive text of a subtree (for parts not read field by field)."""
    parts = [_local(el) or str(el.tag)]
    parts += [f'{_attr_name(k)}="{v}"' for k, v in sorted(el.attrib.items())
              if isinstance(k, str) and k != "id"]
    inner = " ".join(_canonical(c) for c in el if isinstance(c.tag, str))
    text = _text(el)
    return f"<{' '.join(parts)}>{text}{inner}</>"


def _bpmn_elements(xml: bytes | str) -> dict[str, _Element]:
    root = strip_layout(parse_document(xml))
    lanes = _lanes(root)
    flows_in: dict[str, list[str]] = {}
    flows_out: dict[str, list[str]] = {}
    for f in root.iter(f"{B}sequenceFlow"):
        fid = str(f.get("id", ""))
        flows_out.setdefault(str(f.get("sourceRef", "")), []).append(fid)
        flows_in.setdefault(str(f.get("targetRef", "")), []).append(fid)
    out: dict[str, _Element] = {}
    for el in root.iter(f"{B}*"):
        eid = el.get("id")
        kind = _local(el)
        if eid is None or el is root or kind in _EVENT_DEFS or _inside_event_def(el):
            continue
        sig = _signature(el, kind)
        if kind not in ("sequenceFlow", "lane", "laneSet", "process"):
            if eid in lanes:
                sig["lane"] = lanes[eid]
            if eid in flows_in:
                sig["incoming"] = ", ".join(sorted(flows_in[eid]))
            if eid in flows_out:
                sig["outgoing"] = ", ".join(sorted(flows_out[eid]))
        out[str(eid)] = _Element(kind, str(el.get("name") or ""), sig)
    return out


def _inside_event_def(el: etree._Element) -> bool:
    parent = el.getparent()
    while parent is not None:
        if _local(parent) in _EVENT_DEFS:
            return True
        parent = parent.getparent()
    return False


def _lanes(root: etree._Element) -> dict[str, str]:
    """Flow node id -> its (innermost) lane's name: the role that works it."""
    out: dict[str, str] = {}
    for lane in root.iter(f"{B}lane"):
        for ref in lane.findall(f"{B}flowNodeRef"):
            out[_text(ref)] = str(lane.get("name") or lane.get("id") or "")
    return out


def _signature(el: etree._Element, kind: str) -> Signature:
    sig: Signature = {}
    for k, v in el.attrib.items():
        if isinstance(k, str) and k not in ("id", "name") and \
                etree.QName(k).namespace != XSI_NS:
            sig[_attr_name(k)] = str(v)
    for child in el:
        if not isinstance(child.tag, str):
            continue
        ck = _local(child)
        if ck in _REDUNDANT or (child.get("id") is not None and ck not in _EVENT_DEFS
                                and etree.QName(child).namespace == BPMN_NS):
            continue  # flow references, and nested elements that are compared themselves
        if ck == "conditionExpression":
            sig["condition"] = _text(child)
        elif ck == "timerEventDefinition":
            for timer in child:
                if isinstance(timer.tag, str):
                    sig[f"timer {_local(timer)}"] = _text(timer)
            if not len(child):
                sig["timer"] = "(none)"
        elif ck in _EVENT_DEFS:
            refs = {_attr_name(a): str(v) for a, v in child.attrib.items()
                    if isinstance(a, str) and a != "id"}
            sig["event"] = ck.removesuffix("EventDefinition") + \
                (" " + ", ".join(f"{a}={v}" for a, v in sorted(refs.items())) if refs else "")
        elif ck in ("script", "documentation", "text"):
            sig[ck] = _text(child)
        else:
            key = ck if ck not in sig else f"{ck} ({len(sig)})"
            sig[key] = _canonical(child)
    return sig


# --- DMN -------------------------------------------------------------------------------


def _dmn_elements(docs: Sequence[bytes | str]) -> dict[tuple[str, str], _Element]:
    out: dict[tuple[str, str], _Element] = {}
    for doc in docs:
        root = parse_document(doc, "decision table")
        ns = etree.QName(root).namespace
        if ns not in DMN_NAMESPACES:
            continue
        for dec in root.iter(f"{{{ns}}}decision"):
            _decision(dec, f"{{{ns}}}", out)
    return out


def _decision(dec: etree._Element, d: str, out: dict[tuple[str, str], _Element]) -> None:
    scope = str(dec.get("id", ""))
    table = dec.find(f"{d}decisionTable")
    policy = str(table.get("hitPolicy", "UNIQUE")) if table is not None else "(no table)"
    out[(scope, scope)] = _Element("decision", str(dec.get("name") or scope),
                                   {"hit policy": policy})
    if table is None:
        return
    inputs, outputs = table.findall(f"{d}input"), table.findall(f"{d}output")
    for i, inp in enumerate(inputs, 1):
        expr = inp.find(f"{d}inputExpression")
        out[(scope, inp.get("id") or f"input #{i}")] = _Element("input", str(
            inp.get("label") or ""), {
            "expression": _text(expr.find(f"{d}text")) if expr is not None else "",
            "type": str(expr.get("typeRef", "")) if expr is not None else ""})
    for i, o in enumerate(outputs, 1):
        out[(scope, o.get("id") or f"output #{i}")] = _Element(
            "output", str(o.get("label") or o.get("name") or ""),
            {"name": str(o.get("name") or ""), "type": str(o.get("typeRef") or "")})
    # Order decides only where the first matching rule wins.
    ordered = policy.upper() in ("FIRST", "RULE ORDER", "OUTPUT ORDER", "PRIORITY")
    for i, rule in enumerate(table.findall(f"{d}rule"), 1):
        sig = _rule(rule, inputs, outputs, d)
        if ordered:
            sig["position"] = str(i)
        out[(scope, rule.get("id") or f"rule #{i}")] = _Element(
            "rule", _text(rule.find(f"{d}description")), sig)


def _rule(rule: etree._Element, inputs: list[etree._Element],
          outputs: list[etree._Element], d: str) -> Signature:
    sig: Signature = {"description": _text(rule.find(f"{d}description"))}
    for n, entry in enumerate(rule.findall(f"{d}inputEntry")):
        label = (inputs[n].get("label") or inputs[n].get("id")) if n < len(inputs) else None
        sig[f"when {label or f'input {n + 1}'}"] = _text(entry.find(f"{d}text")) or "-"
    for n, entry in enumerate(rule.findall(f"{d}outputEntry")):
        label = (outputs[n].get("name") or outputs[n].get("label")) if n < len(outputs) else None
        sig[f"then {label or f'output {n + 1}'}"] = _text(entry.find(f"{d}text"))
    return sig
