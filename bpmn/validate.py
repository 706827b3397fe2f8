"""Deploy-time checks: a diagram that would fail at run time is refused at deploy, with
the element id and a plain reason for each problem."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from bpmn import dmn_check, safe_eval
from bpmn.engine import DefinitionError, compile_definition
from bpmn.registry import ROLE_RANK, SERVICES, lane_role
from bpmn.xml import BPMN_NS, DMN_NAMESPACES, LOANFLOW_NS, XmlRefused, parse_document

B = f"{{{BPMN_NS}}}"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
MAX_ELEMENTS = 2_000
# SpiffWorkflow's parallel join costs grow with the square of the branches: past about a
# hundred, one workflow task outlasts Temporal's deadlock detector and retries for ever.
MAX_BRANCHES = 100

FLOW_NODES = {
    "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "manualTask",
    "sendTask", "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "boundaryEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway", "complexGateway",
}
SCOPES = {"process", "subProcess", "transaction", "adHocSubProcess"}

# What the process data holds in a loanflow process, by where it comes from.
BASE_DATA = {"application", "service_errors", "verification", "score", "bureau"}
SERVICE_OUTPUTS = {
    "validate_application": {"validation"},
    "verify_identity": {"identity"},
    "check_employment": {"employment_check"},
    "screen_sanctions": {"sanctions"},
    "pull_credit_report": {"bureau"},
    "read_documents": {"documents"},
    "cross_check": {"verification"},
    "score_application": {"score"},
    "disburse_loan": {"disbursement"},
    "plan_deadlines": {"deadlines"},
    "notify_applicant": {"notified"},
}
USER_TASK_OUTPUTS = {"decision", "decision_reason", "decision_reason_codes", "decided_by",
                     "approvals"}


@dataclass(frozen=True)
class Problem:
    element_id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.element_id}: {self.reason}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def validate(
    bpmn_xml: bytes | str, dmn_xml: Sequence[bytes | str] = (), strict: bool = True
) -> list[Problem]:
    """All problems found (empty when the diagram can be deployed).

    strict: loanflow's own rules (registered services only, user tasks in a role's lane,
    no script tasks, conditions only over known data). Off for diagrams written elsewhere.
    """
    try:
        root = parse_document(bpmn_xml)
    except XmlRefused as err:
        return [Problem("document", str(err))]
    if root.tag != f"{B}definitions":
        ns = etree.QName(root).namespace
        why = "has no namespace" if ns is None else f"uses namespace '{ns}'"
        return [Problem("document", f"not a BPMN 2.0 document: the root element {why}")]
    problems: list[Problem] = []
    decisions, dmn_outputs = _check_dmn(dmn_xml, problems, strict)
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    if len(elements) > MAX_ELEMENTS * 5:
        return [Problem("document", f"{len(elements)} elements; the limit is {MAX_ELEMENTS * 5}")]
    _check_ids(elements, problems)
    processes = root.findall(f"{B}process")
    if not processes:
        return [*problems, Problem("document", "no process in the diagram")]
    process_ids = {p.get("id") for p in processes}
    known = BASE_DATA | USER_TASK_OUTPUTS | dmn_outputs
    for el in root.iter(f"{B}serviceTask"):
        known |= SERVICE_OUTPUTS.get(el.get(f"{{{LOANFLOW_NS}}}activity", ""), set())
    runnable = any(p.get("isExecutable", "true") != "false" for p in processes)
    for proc in processes:
        # A non-executable process beside executable ones (another party's pool) only
        # describes; it is never run, so it needs no start or end.
        descriptive = runnable and proc.get("isExecutable", "true") == "false"
        for scope in [proc, *[e for e in proc.iter() if _local(e) in SCOPES - {"process"}]]:
            if not descriptive:
                _check_scope(scope, problems, strict)
        for el in proc.iter():
            _check_element(el, problems, strict, known, decisions, process_ids)
    if problems:
        return problems
    try:
        compile_definition(bpmn_xml, dmn_xml, allow_scripts=not strict)
    except DefinitionError as err:
        return [Problem(el, why) for el, why in err.problems]
    return []


def _check_ids(elements: list[etree._Element], problems: list[Problem]) -> None:
    seen: set[str] = set()
    for el in elements:
        if etree.QName(el).namespace != BPMN_NS:
            continue
        id_ = el.get("id")
        if id_ is None:
            continue
        if id_ in seen:
            problems.append(Problem(id_, "this id is used by more than one element"))
        seen.add(id_)


def _children(scope: etree._Element) -> list[etree._Element]:
    return [c for c in scope if isinstance(c.tag, str) and etree.QName(c).namespace == BPMN_NS]


def _check_scope(scope: etree._Element, problems: list[Problem], strict: bool) -> None:
    sid = scope.get("id", "process")
    kids = _children(scope)
    nodes = {c.get("id"): c for c in kids if _local(c) in FLOW_NODES}
    flows = [c for c in kids if _local(c) == "sequenceFlow"]
    starts = [n for n in nodes.values() if _local(n) == "startEvent"]
    is_event_sub = scope.get("triggeredByEvent") == "true"
    if not nodes:
        return
    if not starts:
        problems.append(Problem(sid, "no start event"))
    if not any(_local(n) == "endEvent" for n in nodes.values()) and strict:
        problems.append(Problem(sid, "no end event"))
    out = _check_flows(flows, nodes, problems, strict)
    reached = _reached(starts, nodes, out)
    if is_event_sub or not starts:
        return
    for nid, n in nodes.items():
        kind = _local(n)
        # An event subprocess starts on its event and a compensation handler on
        # compensation: neither has incoming flows. Other unreachable elements never run,
        # which breaks nothing; only loanflow's own diagrams must not carry dead parts.
        triggered = n.get("triggeredByEvent") == "true" or n.get("isForCompensation") == "true"
        if strict and nid not in reached and kind != "startEvent" and not triggered:
            problems.append(Problem(str(nid), f"{kind} cannot be reached from a start event"))
        if strict and kind not in ("endEvent",) and not out.get(str(nid)) and \
                n.get("isForCompensation") != "true":
            problems.append(Problem(str(nid), f"{kind} has no outgoing flow (a dead end)"))


def _check_flows(
    flows: list[etree._Element], nodes: dict[str | None, etree._Element],
    problems: list[Problem], strict: bool,
) -> dict[str, list[str]]:
    """Dangling ends and condition syntax; returns the targets of each node."""
    out: dict[str, list[str]] = {}
    for f in flows:
        fid, src, tgt = f.get("id", "?"), f.get("sourceRef"), f.get("targetRef")
        for ref, side in ((src, "source"), (tgt, "target")):
            if ref is None and not strict:
                continue  # a drawing leftover with no end: the engine never follows it
            if ref not in nodes:
                problems.append(Problem(fid, f"sequence flow {side} '{ref}' is not an element "
                                             "of this process"))
        if src and tgt:
            out.setdefault(src, []).append(tgt)
        cond = f.find(f"{B}conditionExpression")
        if cond is not None and (cond.text or "").strip():
            _check_expression(fid, cond.text or "", problems, None)
    for src, targets in out.items():
        if len(targets) > MAX_BRANCHES:
            problems.append(Problem(src, f"{len(targets)} outgoing flows; at most {MAX_BRANCHES} "
                                         "branches can run in one process"))
    return out


def _reached(
    starts: list[etree._Element], nodes: dict[str | None, etree._Element],
    out: dict[str, list[str]],
) -> set[str]:
    attached: dict[str, list[str]] = {}
    for n in nodes.values():
        if _local(n) == "boundaryEvent":
            attached.setdefault(n.get("attachedToRef", ""), []).append(n.get("id", ""))
    reached: set[str] = set()
    queue = deque(s.get("id", "") for s in starts)
    while queue:
        cur = queue.popleft()
        if cur in reached:
            continue
        reached.add(cur)
        queue.extend(out.get(cur, []))
        queue.extend(attached.get(cur, []))
    return reached


def _check_expression(
    element_id: str, source: str, problems: list[Problem], known: set[str] | None
) -> None:
    try:
        tree = safe_eval.parse_expression(source)
    except safe_eval.ExpressionError as err:
        problems.append(Problem(element_id, f"condition {source.strip()!r}: {err}"))
        return
    if known is not None:
        unknown = sorted(safe_eval.names_used(tree) - known)
        if unknown:
            problems.append(Problem(element_id, f"condition {source.strip()!r} refers to unknown "
                                                f"data: {', '.join(unknown)}"))


def _check_element(
    el: etree._Element, problems: list[Problem], strict: bool, known: set[str],
    decisions: set[str], process_ids: set[str | None],
) -> None:
    kind, eid = _local(el), el.get("id", "?")
    if strict and _check_loanflow_rules(el, kind, eid, problems, known):
        return
    if kind == "scriptTask":
        script = el.find(f"{B}script")
        try:
            safe_eval.parse_script(script.text or "" if script is not None else "")
        except safe_eval.ExpressionError as err:
            problems.append(Problem(eid, f"script refused: {err}"))
    elif kind == "businessRuleTask":
        ref = el.get(f"{{{CAMUNDA_NS}}}decisionRef")
        if ref is not None and ref not in decisions:
            problems.append(Problem(eid, f"decision table '{ref}' is not among the deployed DMN"))
    elif kind == "callActivity":
        called = el.get("calledElement")
        if called and called not in process_ids:
            problems.append(Problem(eid, f"called process '{called}' is not in this deployment"))


def _check_loanflow_rules(
    el: etree._Element, kind: str, eid: str, problems: list[Problem], known: set[str]
) -> bool:
    """loanflow's own rules (strict mode); True when the element is fully checked."""
    if kind == "sequenceFlow":
        cond = el.find(f"{B}conditionExpression")
        if cond is not None and (cond.text or "").strip():
            try:
                tree = safe_eval.parse_expression(cond.text or "")
            except safe_eval.ExpressionError:
                return True  # syntax is reported per scope
            unknown = sorted(safe_eval.names_used(tree) - known)
            if unknown:
                problems.append(Problem(eid, f"condition refers to unknown data: "
                                             f"{', '.join(unknown)}"))
    elif kind == "scriptTask":
        problems.append(Problem(eid, "script tasks are not allowed: a diagram must not run "
                                     "code; use a service task"))
    elif kind == "serviceTask":
        name = el.get(f"{{{LOANFLOW_NS}}}activity")
        if not name:
            problems.append(Problem(eid, "service task names no activity (loanflow:activity)"))
        elif name not in SERVICES:
            problems.append(Problem(eid, f"service task names '{name}', which is not a "
                                         f"registered activity ({', '.join(sorted(SERVICES))})"))
    elif kind == "userTask":
        _check_user_task(el, eid, problems)
    elif kind in ("timeDuration", "timeDate", "timeCycle"):
        _check_expression(_parent_id(el), el.text or "", problems, None)
    else:
        return False
    return True


# What a user task may say about who can take it (read by the assignment activity).
_DURATION = re.compile(r"P(?=\d|T\d)(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+S)?)?")


def _number(value: str) -> float | None:
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _check_user_task(el: etree._Element, eid: str, problems: list[Problem]) -> None:
    role = el.get(f"{{{LOANFLOW_NS}}}role") or _lane_of(el)
    if lane_role(role) not in ROLE_RANK:
        problems.append(Problem(eid, "user task is in no lane naming an approver role "
                                     f"({', '.join(ROLE_RANK)}); nobody could be assigned"))

    def attr(name: str) -> str | None:
        value = el.get(f"{{{LOANFLOW_NS}}}{name}")
        return None if value is None else value.strip()

    effort, authority = attr("effort"), attr("minAuthority")
    if effort is not None and ((x := _number(effort)) is None or x <= 0):
        problems.append(Problem(eid, f"loanflow:effort {effort!r} is not a positive number"))
    if authority is not None and ((x := _number(authority)) is None or x < 0):
        problems.append(Problem(eid, f"loanflow:minAuthority {authority!r} is not a number "
                                     "≥ 0"))
    priority = attr("priority")
    if priority is not None and not re.fullmatch(r"[+-]?\d+", priority):
        problems.append(Problem(eid, f"loanflow:priority {priority!r} is not a whole number"))
    due = attr("due")
    if due is not None and not _DURATION.fullmatch(due):
        try:
            dt.datetime.fromisoformat(due)
        except ValueError:
            problems.append(Problem(eid, f"loanflow:due {due!r} is neither an ISO 8601 "
                                         "duration (P2D, PT4H) nor a date and time"))


def _lane_of(el: etree._Element) -> str | None:
    eid = el.get("id")
    root = el.getroottree().getroot()
    for lane in root.iter(f"{B}lane"):
        if any((ref.text or "").strip() == eid for ref in lane.findall(f"{B}flowNodeRef")):
            name = lane.get("name")
            return str(name) if name is not None else None
    return None


def _parent_id(el: etree._Element) -> str:
    cur: etree._Element | None = el
    while cur is not None and cur.get("id") is None:
        cur = cur.getparent()
    return cur.get("id", "?") if cur is not None else "?"


def _check_dmn(
    dmn_xml: Sequence[bytes | str], problems: list[Problem], strict: bool = True
) -> tuple[set[str], set[str]]:
    decisions: set[str] = set()
    outputs: set[str] = set()
    for i, doc in enumerate(dmn_xml, 1):
        try:
            root = parse_document(doc, "decision table")
        except XmlRefused as err:
            problems.append(Problem(f"dmn#{i}", str(err)))
            continue
        ns = etree.QName(root).namespace
        if ns not in DMN_NAMESPACES:
            problems.append(Problem(f"dmn#{i}", f"not a DMN document (namespace {ns})"))
            continue
        found = root.findall(f"{{{ns}}}decision")
        if not found:
            problems.append(Problem(f"dmn#{i}", "no decision in the DMN document"))
        for dec in found:
            decisions.add(dec.get("id", ""))
            if strict:  # rules overlapping or missing for the table's hit policy
                problems += [Problem(e, r) for e, r in dmn_check.check_decision(dec, ns)]
            for out in dec.iter(f"{{{ns}}}output"):
                if out.get("name"):
                    outputs.add(out.get("name", ""))
            for entry in dec.iter(f"{{{ns}}}inputEntry", f"{{{ns}}}outputEntry"):
                text = (entry.findtext(f"{{{ns}}}text") or "").strip()
                if not text or text == "-":
                    continue
                probe = text.replace("?", "x")
                try:
                    safe_eval.parse_expression(probe)
                except safe_eval.ExpressionError:
                    try:
                        safe_eval.parse_expression("x " + probe)
                    except safe_eval.ExpressionError as err:
                        problems.append(Problem(entry.get("id", dec.get("id", "?")),
                                                f"entry {text!r}: {err}"))
    return decisions, outputs
