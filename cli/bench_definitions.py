"""`loanflow bench definitions`: what a process owner waits for. Validating a 200-element
diagram (goal <= 200 ms), deploying it into a fresh database (goal <= 1 s), and what-if
over 1,000 past applications (goal <= 60 s on this 2-core machine; see bench_whatif.py).
Prints each figure, its goal and the ratio; never judges by itself."""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree
from sqlmodel import Session

from bpmn.validate import FLOW_NODES, validate
from bpmn.xml import BPMN_NS, parse_document
from store.db import init_db
from store.definitions import DIAGRAMS, SHIPPED, deploy

GOAL_VALIDATE = 0.200
GOAL_DEPLOY = 1.0
GOAL_WHATIF = 60.0

_NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
       'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
       'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
       'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
       'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
       'xmlns:loanflow="https://loanflow.dev/schema/bpmn" '
       'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
_SIZES = {"startEvent": (36, 36), "endEvent": (36, 36), "boundaryEvent": (36, 36),
          "exclusiveGateway": (50, 50), "parallelGateway": (50, 50)}
_LANES = [("lane_system", "System", 0, 400), ("lane_underwriter", "Underwriter", 400, 200),
          ("lane_senior", "Senior approver", 600, 200)]
_CHECKS = ["check_employment", "screen_sanctions", "verify_identity"]
_TAIL = 14  # elements after the blocks (scoring, routing, reviews, ends)


class _Diagram:
    """A loan diagram with layout, grown to a given number of flow nodes."""

    def __init__(self) -> None:
        self.nodes: list[tuple[str, str, str, int, int, str, str]] = []
        self.flows: list[tuple[str, str, str, str]] = []

    def node(self, kind: str, id_: str, name: str, x: int, y: int, attrs: str = "",
             lane: str = "lane_system") -> str:
        self.nodes.append((kind, id_, name, x, y, attrs, lane))
        return id_

    def flow(self, a: str, b: str, condition: str = "") -> None:
        self.flows.append((f"f_{a}_{b}", a, b, condition))

    def xml(self) -> str:
        body = [self._node_xml(n) for n in self.nodes]
        body += [f'<bpmn:sequenceFlow id="{fid}" sourceRef="{a}" targetRef="{b}"'
                 + (f'><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                    f'{escape(c)}</bpmn:conditionExpression></bpmn:sequenceFlow>' if c else " />")
                 for fid, a, b, c in self.flows]
        lanes = "".join(
            f'<bpmn:lane id="{lid}" name="{name}">'
            + "".join(f"<bpmn:flowNodeRef>{n[1]}</bpmn:flowNodeRef>" for n in self.nodes
                      if n[6] == lid) + "</bpmn:lane>" for lid, name, _, _ in _LANES)
        width = max(n[3] for n in self.nodes) + 200
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {_NS} '
                'id="defs_bench" targetNamespace="https://loanflow.dev/processes">'
                '<bpmn:collaboration id="collab_bench"><bpmn:participant id="pool_bench" '
                'name="Bench lender" processRef="loan_bench" /></bpmn:collaboration>'
                '<bpmn:process id="loan_bench" name="Bench loan approval" isExecutable="true">'
                f'<bpmn:laneSet>{lanes}</bpmn:laneSet>{"".join(body)}</bpmn:process>'
                f"{self._layout(width)}</bpmn:definitions>")

    @staticmethod
    def _node_xml(n: tuple[str, str, str, int, int, str, str]) -> str:
        kind, id_, name, _, _, attrs, _ = n
        if kind == "boundaryEvent":
            return (f'<bpmn:boundaryEvent id="{id_}" name={quoteattr(name)} {attrs}>'
                    '<bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'
                    'deadlines["uw_review"]</bpmn:timeDate></bpmn:timerEventDefinition>'
                    "</bpmn:boundaryEvent>")
        return f'<bpmn:{kind} id="{id_}" name={quoteattr(name)} {attrs} />'

    def _layout(self, width: int) -> str:
        at = {n[1]: (n[3], n[4], *_SIZES.get(n[0], (100, 70))) for n in self.nodes}
        shapes = [f'<bpmndi:BPMNShape id="pool_bench_di" bpmnElement="pool_bench" '
                  f'isHorizontal="true"><dc:Bounds x="-40" y="0" width="{width + 40}" '
                  'height="800" /></bpmndi:BPMNShape>']
        shapes += [f'<bpmndi:BPMNShape id="{lid}_di" bpmnElement="{lid}" isHorizontal="true">'
                   f'<dc:Bounds x="-10" y="{y}" width="{width + 10}" height="{h}" />'
                   "</bpmndi:BPMNShape>" for lid, _, y, h in _LANES]
        shapes += [f'<bpmndi:BPMNShape id="{i}_di" bpmnElement="{i}"><dc:Bounds x="{x}" y="{y}" '
                   f'width="{w}" height="{h}" /></bpmndi:BPMNShape>'
                   for i, (x, y, w, h) in at.items()]
        edges = []
        for fid, a, b, _ in self.flows:
            (ax, ay, aw, ah), (bx, by, _, bh) = at[a], at[b]
            edges.append(f'<bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">'
                         f'<di:waypoint x="{ax + aw}" y="{ay + ah // 2}" />'
                         f'<di:waypoint x="{bx}" y="{by + bh // 2}" /></bpmndi:BPMNEdge>')
        return ('<bpmndi:BPMNDiagram id="diagram_bench"><bpmndi:BPMNPlane id="plane_bench" '
                f'bpmnElement="collab_bench">{"".join(shapes)}{"".join(edges)}'
                "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>")


def big_diagram(flow_nodes: int = 200) -> tuple[str, list[str]]:
    """A valid loan diagram of (at least) `flow_nodes` flow nodes with its layout: the
    personal loan's shape, its checks repeated in blocks (an exclusive split on the
    amount, two checks, a join), and the shipped approval-route decision table."""
    d = _Diagram()
    y = 170
    prev = d.node("startEvent", "start", "Application submitted", 40, y + 17)
    d.flow(prev, d.node("serviceTask", "validate", "Validate application", 120, y,
                        'loanflow:activity="validate_application"'))
    prev = "validate"
    blocks = math.ceil((flow_nodes - 2 - _TAIL) / 5)
    for k in range(blocks):
        x = 280 + k * 330
        split = d.node("exclusiveGateway", f"split_{k}", f"Amount over {k},000?", x, y + 10)
        join = d.node("exclusiveGateway", f"join_{k}", "", x + 250, y + 10)
        d.flow(prev, split)
        for n, (cond, dy) in enumerate(((f"application.amount > {k * 1000}", -110),
                                        (f"application.amount <= {k * 1000}", 110))):
            act = _CHECKS[(k + n) % len(_CHECKS)]
            task = d.node("serviceTask", f"check_{k}_{n}", f"Check {k}.{n}", x + 90, y + dy,
                          f'loanflow:activity="{act}" loanflow:onError="continue"')
            d.flow(split, task, cond)
            d.flow(task, join)
        prev = join
    x = 280 + blocks * 330
    _tail(d, prev, x, y)
    dmn_file = SHIPPED["personal"][1][0]
    return d.xml(), [(DIAGRAMS / dmn_file).read_text()]


def _tail(d: _Diagram, prev: str, x: int, y: int) -> None:
    d.flow(prev, d.node("serviceTask", "score", "Score credit risk", x, y,
                        'loanflow:activity="score_application" loanflow:onError="continue"'))
    d.flow("score", d.node("businessRuleTask", "route_rule", "Decide approval route", x + 150,
                           y, 'camunda:decisionRef="approval_route"'))
    d.flow("route_rule", d.node("exclusiveGateway", "gw_route", "Route?", x + 300, y + 10))
    d.node("serviceTask", "deadlines", "Set review deadlines", x + 300, y + 130,
           'loanflow:activity="plan_deadlines" loanflow:durations="uw_review=P2D"')
    d.node("userTask", "uw_review", "Underwriter review", x + 450, 460,
           'loanflow:skills="personal"', "lane_underwriter")
    d.node("boundaryEvent", "uw_timeout", "Review overdue", x + 482, 512,
           'attachedToRef="uw_review"', "lane_underwriter")
    d.node("exclusiveGateway", "gw_uw", "Decision?", x + 600, 470, lane="lane_underwriter")
    d.node("userTask", "senior_review", "Senior approval", x + 700, 660,
           'loanflow:skills="personal"', "lane_senior")
    d.node("exclusiveGateway", "gw_senior", "Decision?", x + 850, 670, lane="lane_senior")
    d.node("serviceTask", "disburse", "Disburse loan", x + 950, 40,
           'loanflow:activity="disburse_loan"')
    d.node("serviceTask", "notify_ok", "Notify approval", x + 1100, 40,
           'loanflow:activity="notify_applicant" loanflow:message="approved"')
    d.node("endEvent", "end_approved", "Approved", x + 1250, 57, 'loanflow:outcome="approved"')
    d.node("serviceTask", "notify_no", "Notify decline", x + 1100, 280,
           'loanflow:activity="notify_applicant" loanflow:message="declined"')
    d.node("endEvent", "end_declined", "Declined", x + 1250, 297, 'loanflow:outcome="declined"')
    d.flow("gw_route", "disburse", 'route == "auto_approve"')
    d.flow("gw_route", "notify_no", 'route == "auto_decline"')
    d.flow("gw_route", "deadlines", 'route in ("manual", "two_level")')
    d.flow("deadlines", "uw_review")
    d.flow("uw_review", "gw_uw")
    d.flow("uw_timeout", "senior_review")
    d.flow("gw_uw", "senior_review",
           'decision == "refer" or (decision == "approve" and route == "two_level")')
    d.flow("gw_uw", "disburse", 'decision == "approve" and route != "two_level"')
    d.flow("gw_uw", "notify_no", 'decision == "decline"')
    d.flow("senior_review", "gw_senior")
    d.flow("gw_senior", "disburse", 'decision == "approve"')
    d.flow("gw_senior", "notify_no", 'decision != "approve"')
    d.flow("disburse", "notify_ok")
    d.flow("notify_ok", "end_approved")
    d.flow("notify_no", "end_declined")


def _median(run: Callable[[], object], times: int) -> float:
    laps = []
    for _ in range(times):
        t0 = time.perf_counter()
        run()
        laps.append(time.perf_counter() - t0)
    return statistics.median(laps)


def _line(what: str, seconds: float, goal: float) -> str:
    return (f"  {what:44s}{seconds * 1000:10.0f} ms   goal <= {goal * 1000:6.0f} ms   "
            f"ratio {seconds / goal:5.2f}  {'met' if seconds <= goal else 'NOT MET'}")


def bench_validate_and_deploy() -> list[str]:
    bpmn, dmn = big_diagram(200)
    root = parse_document(bpmn)
    kinds = [etree.QName(el).localname for el in root.iter(f"{{{BPMN_NS}}}*")]
    nodes = sum(k in FLOW_NODES for k in kinds)
    flows = kinds.count("sequenceFlow")
    problems = validate(bpmn, dmn)
    if problems:
        raise SystemExit(f"the generated diagram is not valid: {problems[:3]}")
    print(f"  generated diagram: {nodes} flow nodes, {flows} sequence flows, "
          f"{len(bpmn) // 1024} KiB with layout", flush=True)
    lines = [_line("validate (median of 7)", _median(lambda: validate(bpmn, dmn), 7),
                   GOAL_VALIDATE)]
    tmp = Path(tempfile.mkdtemp(prefix="loanflow-bench-deploy-"))
    databases = iter([init_db(f"sqlite:///{tmp / f'deploy-{n}.db'}") for n in range(5)])

    def fresh_deploy() -> None:
        with Session(next(databases)) as s:
            deploy(s, bpmn, dmn, loan_type="personal", created_by="bench")

    lines.append(_line("deploy into a fresh SQLite db (median of 5)", _median(fresh_deploy, 5),
                       GOAL_DEPLOY))
    return lines


def run_bench_definitions(args: argparse.Namespace) -> int:
    from cli.bench_whatif import bench_whatif

    print("loanflow bench definitions", flush=True)
    lines = bench_validate_and_deploy()
    for line in lines:
        print(line, flush=True)
    lines += bench_whatif(GOAL_WHATIF, _line)
    print("\nsummary")
    for line in lines:
        print(line)
    return 0
