"""Writes bpmn/diagrams/loan_<type>.bpmn with layout (bpmn-js opens them) and the DMN table
they share.

Run: python tools/make_loan_diagram.py. The diagrams are then edited like any other (in
the modeler); this script only gave them their first shape."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

OUT = Path(__file__).resolve().parent.parent / "bpmn" / "diagrams"

TASK_W, TASK_H = 110, 70
LANES = [("lane_system", "System", 0, 440), ("lane_underwriter", "Underwriter", 440, 240),
         ("lane_senior", "Senior approver", 680, 240)]
POOL_H = 920
TIMER = "loanflow-tool:timer"  # not written out: the boundary event's timeDate expression


def build(loan_type: str, checks: list[tuple[str, str]], dmn_id: str) -> str:
    els: list[tuple[str, str, str, int, int, dict[str, str], str]] = []
    flows: list[tuple[str, str, str, str | None]] = []
    y_sys = 170

    def node(kind: str, id_: str, name: str, x: int, y: int, attrs: dict[str, str] | None = None,
             lane: str = "lane_system") -> str:
        els.append((kind, id_, name, x, y, attrs or {}, lane))
        return id_

    def flow(a: str, b: str, cond: str | None = None, name: str = "") -> None:
        flows.append((f"f_{a}_{b}", a, b, cond, name))  # type: ignore[arg-type]

    svc = lambda act, extra=None: {"loanflow:activity": act, **(extra or {})}  # noqa: E731
    cont = {"loanflow:onError": "continue"}
    node("startEvent", "start", "Application submitted", 40, y_sys)
    node("serviceTask", "validate", "Validate application", 120, y_sys, svc("validate_application"))
    node("parallelGateway", "fork", "", 270, y_sys)
    ys = [y_sys - 130, y_sys, y_sys + 130][: len(checks)]
    for (act, name), y in zip(checks, ys, strict=True):
        node("serviceTask", act, name, 350, y, svc(act, cont))
    node("parallelGateway", "join", "", 510, y_sys)
    node("serviceTask", "bureau", "Pull credit report", 590, y_sys, svc("pull_credit_report", cont))
    node("serviceTask", "read_documents", "Read documents (OCR)", 665, y_sys + 130,
         svc("read_documents", cont))
    node("serviceTask", "cross", "Cross-check sources", 740, y_sys, svc("cross_check", cont))
    node("serviceTask", "score", "Score credit risk", 890, y_sys, svc("score_application", cont))
    node("businessRuleTask", "route_rule", "Decide approval route", 1040, y_sys,
         {"camunda:decisionRef": dmn_id})
    node("exclusiveGateway", "gw_route", "Route?", 1190, y_sys)
    node("serviceTask", "deadlines", "Set review deadlines", 1150, 330,
         svc("plan_deadlines", {"loanflow:durations": "uw_review=P2D,senior_review=P3D"}))
    node("userTask", "uw_review", "Underwriter review", 1290, 490,
         {"loanflow:skills": loan_type, "loanflow:effort": "1"},
         "lane_underwriter")
    node("boundaryEvent", "uw_timeout", "Review overdue", 1352, 542,
         {"attachedToRef": "uw_review", TIMER: 'deadlines["uw_review"]'}, "lane_underwriter")
    node("boundaryEvent", "uw_remind", "Due soon", 1297, 542,
         {"attachedToRef": "uw_review", "cancelActivity": "false",
          TIMER: 'deadlines["uw_review_remind"]'}, "lane_underwriter")
    node("serviceTask", "remind_uw", "Remind underwriter", 1340, 600,
         svc("remind_approver", {"loanflow:task": "uw_review"}), "lane_underwriter")
    node("endEvent", "end_reminded_uw", "Reminded", 1490, 617, lane="lane_underwriter")
    node("exclusiveGateway", "gw_uw", "Underwriter decision?", 1460, 490, lane="lane_underwriter")
    node("userTask", "senior_review", "Senior approval", 1560, 730,
         {"loanflow:skills": loan_type, "loanflow:effort": "2"},
         "lane_senior")
    node("boundaryEvent", "senior_remind", "Due soon", 1567, 782,
         {"attachedToRef": "senior_review", "cancelActivity": "false",
          TIMER: 'deadlines["senior_review_remind"]'}, "lane_senior")
    node("serviceTask", "remind_senior", "Remind senior approver", 1610, 840,
         svc("remind_approver", {"loanflow:task": "senior_review"}), "lane_senior")
    node("endEvent", "end_reminded_senior", "Reminded", 1760, 857, lane="lane_senior")
    node("exclusiveGateway", "gw_senior", "Senior decision?", 1730, 730, lane="lane_senior")
    node("serviceTask", "disburse", "Disburse loan", 1830, 60, svc("disburse_loan"))
    node("serviceTask", "notify_ok", "Notify approval", 1990, 60,
         svc("notify_applicant", {"loanflow:message": "approved"}))
    node("endEvent", "end_approved", "Approved", 2150, 60, {"loanflow:outcome": "approved"})
    node("serviceTask", "notify_no", "Notify decline", 1990, 280,
         svc("notify_applicant", {"loanflow:message": "declined"}))
    node("endEvent", "end_declined", "Declined", 2150, 280, {"loanflow:outcome": "declined"})

    flow("start", "validate")
    flow("validate", "fork")
    for act, _ in checks:
        flow("fork", act)
        flow(act, "join")
    flow("join", "bureau")
    flow("bureau", "read_documents")
    flow("read_documents", "cross")
    flow("cross", "score")
    flow("score", "route_rule")
    flow("route_rule", "gw_route")
    flow("gw_route", "disburse", 'route == "auto_approve"', "auto approve")
    flow("gw_route", "notify_no", 'route == "auto_decline"', "auto decline")
    flow("gw_route", "deadlines", 'route in ("manual", "two_level")', "review")
    flow("deadlines", "uw_review")
    flow("uw_review", "gw_uw")
    flow("uw_timeout", "senior_review")
    flow("uw_remind", "remind_uw")
    flow("remind_uw", "end_reminded_uw")
    flow("senior_remind", "remind_senior")
    flow("remind_senior", "end_reminded_senior")
    # A referral to the applicant never leaves the task: the workflow holds it.
    flow("gw_uw", "senior_review", 'decision == "approve" and route == "two_level"',
         "second level")
    flow("gw_uw", "disburse", 'decision == "approve" and route != "two_level"', "approve")
    flow("gw_uw", "notify_no", 'decision == "decline"', "decline")
    flow("senior_review", "gw_senior")
    flow("gw_senior", "disburse", 'decision == "approve"', "approve")
    flow("gw_senior", "notify_no", 'decision != "approve"', "decline")
    flow("disburse", "notify_ok")
    flow("notify_ok", "end_approved")
    flow("notify_no", "end_declined")
    return render(loan_type, els, flows)


def size(kind: str) -> tuple[int, int]:
    if kind in ("startEvent", "endEvent", "boundaryEvent"):
        return 36, 36
    if kind.endswith("Gateway"):
        return 50, 50
    return TASK_W, TASK_H


def render(loan_type, els, flows) -> str:  # type: ignore[no-untyped-def]
    pos = {e[1]: (e[3], e[4], *size(e[0])) for e in els}
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:loanflow="https://loanflow.dev/schema/bpmn" '
        f'id="defs_loan_{loan_type}" targetNamespace="https://loanflow.dev/processes">',
        f'  <bpmn:collaboration id="collab_{loan_type}">',
        f'    <bpmn:participant id="pool_{loan_type}" name="Lender: {loan_type} loans" '
        f'processRef="loan_{loan_type}" />',
        "  </bpmn:collaboration>",
        f'  <bpmn:process id="loan_{loan_type}" name="{loan_type.title()} loan approval" '
        'isExecutable="true">',
        "    <bpmn:laneSet>",
    ]
    for lane_id, lane_name, _, _ in LANES:
        out.append(f'      <bpmn:lane id="{lane_id}" name="{lane_name}">')
        out += [f"        <bpmn:flowNodeRef>{e[1]}</bpmn:flowNodeRef>"
                for e in els if e[6] == lane_id]
        out.append("      </bpmn:lane>")
    out.append("    </bpmn:laneSet>")
    for kind, id_, name, _, _, attrs, _ in els:
        a = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items() if k != TIMER)
        inc = [f for f in flows if f[2] == id_]
        outg = [f for f in flows if f[1] == id_]
        body = [f"      <bpmn:incoming>{f[0]}</bpmn:incoming>" for f in inc]
        body += [f"      <bpmn:outgoing>{f[0]}</bpmn:outgoing>" for f in outg]
        if kind == "boundaryEvent":
            body.append(f'      <bpmn:timerEventDefinition id="{id_}_def">'
                        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression" '
                        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                        f'{attrs[TIMER]}</bpmn:timeDate></bpmn:timerEventDefinition>')
        out.append(f'    <bpmn:{kind} id="{id_}" name={quoteattr(name)} {a}>'.replace(" >", ">"))
        out += body
        out.append(f"    </bpmn:{kind}>")
    for fid, a, b, cond, name in flows:
        n = f" name={quoteattr(name)}" if name else ""
        if cond:
            out.append(f'    <bpmn:sequenceFlow id="{fid}"{n} sourceRef="{a}" targetRef="{b}">'
                       '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" '
                       'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                       f"{cond.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}"
                       "</bpmn:conditionExpression></bpmn:sequenceFlow>")
        else:
            out.append(f'    <bpmn:sequenceFlow id="{fid}"{n} sourceRef="{a}" targetRef="{b}" />')
    out.append("  </bpmn:process>")
    out.append(f'  <bpmndi:BPMNDiagram id="diagram_{loan_type}">')
    out.append(f'    <bpmndi:BPMNPlane id="plane_{loan_type}" bpmnElement="collab_{loan_type}">')
    total_w = 2260
    out.append(f'      <bpmndi:BPMNShape id="pool_{loan_type}_di" bpmnElement="pool_{loan_type}" '
               f'isHorizontal="true"><dc:Bounds x="-40" y="0" width="{total_w}" '
               f'height="{POOL_H}" />'
               "</bpmndi:BPMNShape>")
    for lane_id, _, y, h in LANES:
        out.append(f'      <bpmndi:BPMNShape id="{lane_id}_di" bpmnElement="{lane_id}" '
                   f'isHorizontal="true"><dc:Bounds x="-10" y="{y}" width="{total_w - 30}" '
                   f'height="{h}" /></bpmndi:BPMNShape>')
    for kind, id_, _, x, y, _, _ in els:
        _, _, w, h = pos[id_]
        yy = y + (TASK_H - h) // 2 if kind != "boundaryEvent" else y
        pos[id_] = (x, yy, w, h)
        marker = ' isMarkerVisible="true"' if kind == "exclusiveGateway" else ""
        out.append(f'      <bpmndi:BPMNShape id="{id_}_di" bpmnElement="{id_}"{marker}>'
                   f'<dc:Bounds x="{x}" y="{yy}" width="{w}" height="{h}" /></bpmndi:BPMNShape>')
    boundary = {e[1] for e in els if e[0] == "boundaryEvent"}
    for fid, a, b, _, _ in flows:
        ax, ay, aw, ah = pos[a]
        bx, by, _, bh = pos[b]
        sx, sy = ax + aw, ay + ah // 2
        tx, ty = bx, by + bh // 2
        if a in boundary:
            sx, sy = ax + aw // 2, ay + ah
        if a in boundary:  # down out of the task's border, then across
            pts = [(sx, sy), (sx, ty), (tx, ty)]
        else:
            pts = [(sx, sy), ((sx + tx) // 2, sy), ((sx + tx) // 2, ty), (tx, ty)] if sy != ty \
                else [(sx, sy), (tx, ty)]
        wps = "".join(f'<di:waypoint x="{px}" y="{py}" />' for px, py in pts)
        out.append(f'      <bpmndi:BPMNEdge id="{fid}_di" bpmnElement="{fid}">{wps}'
                   "</bpmndi:BPMNEdge>")
    out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>", "</bpmn:definitions>", ""]
    return "\n".join(out)


# Amounts in CNY, per loan type: (auto-approve up to, two approvals above). Micro loans
# take the short path and most are decided automatically; business loans are always
# reviewed by a person.
LIMITS: dict[str, tuple[int | None, int]] = {
    "personal": (20_000, 200_000), "micro": (10_000, 50_000), "business": (None, 300_000)}
DMN_ID = "approval_route"


def dmn_rules() -> list[tuple[str, str, str, str, str, str]]:
    """(needs a person, loan type, grade, amount, route, note) for each rule, in order."""
    rules = [("true", "-", "-", "-", "manual", "a check could not be done or did not pass")]
    for kind, (auto, two) in LIMITS.items():
        t = f'"{kind}"'
        if auto is not None:
            rules += [
                ("false", t, '? in ("A", "B")', f"<= {auto}", "auto_approve",
                 f"{kind}: low risk, small"),
                ("false", t, '? in ("A", "B")', f"? > {auto} and ? <= {two}", "manual",
                 f"{kind}: low risk, larger amount"),
            ]
        else:
            rules.append(("false", t, '? in ("A", "B")', f"<= {two}", "manual",
                          f"{kind}: low risk, always reviewed"))
        rules += [
            ("false", t, '? in ("A", "B", "C", "D")', f"> {two}", "two_level",
             f"{kind}: large amount, two approvals"),
            ("false", t, '? in ("C", "D")', f"<= {two}", "manual", f"{kind}: medium risk"),
        ]
    return [*rules, ("false", "-", '"E"', "-", "auto_decline", "high risk"),
            ("false", "-", '"none"', "-", "manual", "no score")]


def dmn() -> str:
    """One table for every loan type: the loan type is a column, so a process owner sees
    and edits every type's thresholds side by side."""
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    rows = []
    for i, (*entries, route, note) in enumerate(dmn_rules(), 1):
        cells = "".join(
            f'<inputEntry id="r{i}_in{j}"><text>{esc(v) if v != "-" else ""}</text></inputEntry>'
            for j, v in enumerate(entries, 1)
        )
        rows.append(f'      <rule id="rule_{i}"><description>{note}</description>{cells}'
                    f'<outputEntry id="r{i}_out"><text>"{route}"</text></outputEntry></rule>')
    kinds = ",".join(f'"{k}"' for k in LIMITS)
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
        f'id="{DMN_ID}_defs" name="Approval route" namespace="https://loanflow.dev/dmn">',
        f'  <decision id="{DMN_ID}" name="Approval route">',
        f'    <decisionTable id="{DMN_ID}_table" hitPolicy="UNIQUE">',
        '      <input id="in_needs_person" label="Needs a person">'
        '<inputExpression id="ie1" typeRef="boolean"><text>len(service_errors) &gt; 0 or '
        'verification.get("outcome", "unavailable") != "passed"</text></inputExpression></input>',
        '      <input id="in_loan_type" label="Loan type"><inputExpression id="ie2" '
        'typeRef="string"><text>application.loan_type</text></inputExpression>'
        f"<inputValues id=\"iv2\"><text>{kinds}</text></inputValues></input>",
        '      <input id="in_grade" label="Risk grade"><inputExpression id="ie3" typeRef="string">'
        '<text>score.get("grade", "none")</text></inputExpression></input>',
        '      <input id="in_amount" label="Amount"><inputExpression id="ie4" typeRef="number">'
        "<text>application.amount</text></inputExpression></input>",
        '      <output id="out_route" label="Route" name="route" typeRef="string" />',
        *rows,
        "    </decisionTable>",
        "  </decision>",
        "</definitions>",
        "",
    ])


if __name__ == "__main__":
    checks = [("verify_identity", "Verify identity"), ("check_employment", "Check employment"),
              ("screen_sanctions", "Screen sanctions")]
    # Micro loans take the short path: no employment check.
    for loan_type, chk in (("personal", checks), ("micro", [checks[0], checks[2]]),
                           ("business", checks)):
        (OUT / f"loan_{loan_type}.bpmn").write_text(build(loan_type, chk, DMN_ID))
    (OUT / f"{DMN_ID}.dmn").write_text(dmn())
