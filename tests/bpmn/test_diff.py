"""The diff between two versions: by element id, what the engine runs only (layout is
no change), BPMN and DMN."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from lxml import etree

from bpmn.diff import diff_definitions
from bpmn.xml import BPMN_NS, BPMNDI_NS, XmlRefused
from store.definitions import DIAGRAMS

B = f"{{{BPMN_NS}}}"
LF = "{https://loanflow.dev/schema/bpmn}"
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"
BPMN = (DIAGRAMS / "loan_personal.bpmn").read_text()
RULES = (DIAGRAMS / "approval_route.dmn").read_text()


def edit(xml: str, *changes: tuple[str, Callable[[etree._Element], None]]) -> str:
    root = etree.fromstring(xml.encode())
    for element_id, change in changes:
        [el] = root.xpath("//*[@id=$id]", id=element_id)
        change(el)
    return etree.tostring(root).decode()


def diff(bpmn: str = BPMN, dmn: str = RULES):
    return diff_definitions(BPMN, [RULES], bpmn, [dmn])


def fields(change) -> dict[str, tuple[str | None, str | None]]:
    return {f.field: (f.before, f.after) for f in change.changes}


def one_changed(d, element_id):
    [c] = [c for c in d.changed if c.element_id == element_id]
    return c


def test_the_same_definition_has_no_changes():
    assert diff().empty


def test_layout_is_not_a_change():
    root = etree.fromstring(BPMN.encode())
    for bounds in root.iter("{http://www.omg.org/spec/DD/20100524/DC}Bounds"):
        bounds.set("x", str(float(bounds.get("x")) + 40))
    for shape in root.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
        shape.set("isExpanded", "true")
    moved = etree.tostring(root).decode().replace("><", ">\n  <")  # and reformatted
    assert diff(moved).empty
    # without any layout at all
    for di in root.findall(f"{{{BPMNDI_NS}}}BPMNDiagram"):
        root.remove(di)
    assert diff(etree.tostring(root).decode()).empty


def test_name_and_loanflow_attributes():
    d = diff(edit(BPMN, ("score", lambda el: el.set("name", "Score it")),
                  ("uw_review", lambda el: el.set(f"{LF}effort", "3"))))
    assert fields(one_changed(d, "score")) == {"name": ("Score credit risk", "Score it")}
    assert fields(one_changed(d, "uw_review")) == {"loanflow:effort": ("1", "3")}
    assert sorted(d.markers()["changed"]) == ["score", "uw_review"]
    assert not d.added and not d.removed


def test_condition_text_and_timer():
    def cond(el):
        el.find(f"{B}conditionExpression").text = 'route == "auto_approve" and True'

    def timer(el):
        el.find(f".//{B}timeDate").text = 'deadlines["senior_review"]'

    d = diff(edit(BPMN, ("f_gw_route_disburse", cond), ("uw_timeout", timer)))
    assert fields(one_changed(d, "f_gw_route_disburse")) == {
        "condition": ('route == "auto_approve"', 'route == "auto_approve" and True')}
    assert fields(one_changed(d, "uw_timeout")) == {
        "timer timeDate": ('deadlines["uw_review"]', 'deadlines["senior_review"]')}


def test_lane_is_the_role():
    def move(lane):
        lane.append(etree.Element(f"{B}flowNodeRef"))
        lane[-1].text = "uw_review"

    root = etree.fromstring(BPMN.encode())
    for ref in root.iter(f"{B}flowNodeRef"):
        if ref.text == "uw_review":
            ref.getparent().remove(ref)
    d = diff(edit(etree.tostring(root).decode(), ("lane_senior", move)))
    assert fields(one_changed(d, "uw_review")) == {"lane": ("Underwriter", "Senior approver")}
    # renaming a lane changes the role of everything in it
    d = diff(edit(BPMN, ("lane_senior", lambda el: el.set("name", "Credit committee"))))
    assert {c.element_id for c in d.changed} >= {"lane_senior", "senior_review"}


def test_rewired_flows_added_and_removed_elements():
    root = etree.fromstring(BPMN.encode())
    proc = root.find(f"{B}process")
    [flow] = root.xpath("//*[@id='f_cross_score']")
    flow.set("targetRef", "check")
    [score] = root.xpath("//*[@id='score']")
    proc.remove(score)
    check = etree.SubElement(proc, f"{B}serviceTask", id="check", name="Check again")
    check.set(f"{LF}activity", "cross_check")
    etree.SubElement(proc, f"{B}sequenceFlow", id="f_check_rule", sourceRef="check",
                     targetRef="route_rule")
    for f in root.xpath("//*[@id='f_score_route_rule']"):
        proc.remove(f)
    d = diff(etree.tostring(root).decode())
    assert {c.element_id for c in d.added} == {"check", "f_check_rule"}
    assert {c.element_id for c in d.removed} == {"score", "f_score_route_rule"}
    added = next(c for c in d.added if c.element_id == "check")
    assert fields(added)["loanflow:activity"] == (None, "cross_check")
    assert fields(one_changed(d, "f_cross_score")) == {"targetRef": ("score", "check")}
    assert fields(one_changed(d, "route_rule")) == {
        "incoming": ("f_score_route_rule", "f_check_rule")}
    assert d.markers() == {"added": ["check", "f_check_rule"],
                           "removed": ["score", "f_score_route_rule"],
                           "changed": [c.element_id for c in d.changed]}


def test_decision_rules_by_id():
    def threshold(rule):
        rule.findall(f"{DMN}inputEntry")[3].find(f"{DMN}text").text = "<= 30000"

    def extra(table):
        rule = etree.SubElement(table, f"{DMN}rule", id="rule_15")
        for text in ("false", '"personal"', '"A"', "> 900000"):
            etree.SubElement(etree.SubElement(rule, f"{DMN}inputEntry"), f"{DMN}text").text = text
        etree.SubElement(etree.SubElement(rule, f"{DMN}outputEntry"), f"{DMN}text").text = \
            '"two_level"'

    def describe(rule):
        rule.find(f"{DMN}description").text = "low risk, small amounts"

    dmn = edit(RULES, ("rule_2", threshold), ("approval_route_table", extra),
               ("rule_7", lambda r: r.getparent().remove(r)), ("rule_1", describe))
    d = diff(dmn=dmn)
    rule = one_changed(d, "rule_2")
    assert (rule.document, rule.scope, rule.type) == ("dmn", "approval_route", "rule")
    assert fields(rule) == {"when Amount": ("<= 20000", "<= 30000")}
    assert fields(one_changed(d, "rule_1")) == {
        "description": ("a check could not be done or did not pass", "low risk, small amounts")}
    assert [(c.document, c.element_id) for c in d.added] == [("dmn", "rule_15")]
    assert [(c.document, c.element_id) for c in d.removed] == [("dmn", "rule_7")]
    # the business rule task that uses the table is marked, for the diagram
    task = one_changed(d, "route_rule")
    assert task.document == "bpmn" and "decision table" in fields(task)
    assert "route_rule" in d.markers()["changed"]


def test_rules_without_ids_are_compared_by_position():
    plain = re.sub(r'<rule id="rule_\d+">', "<rule>", RULES)
    assert 'rule id="' not in plain
    changed = plain.replace('<text>"auto_decline"</text>', '<text>"manual"</text>')
    d = diff_definitions(BPMN, [plain], BPMN, [changed])
    assert [c.element_id for c in d.changed if c.document == "dmn"] == ["rule #13"]


def test_refuses_hostile_documents():
    evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    with pytest.raises(XmlRefused):
        diff_definitions(BPMN, [RULES], evil, [RULES])
