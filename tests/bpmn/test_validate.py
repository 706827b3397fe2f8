from pathlib import Path

import pytest

from bpmn.validate import validate
from store.definitions import DIAGRAMS, SHIPPED

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "corpus" / "ours-hostile"
PERSONAL = (DIAGRAMS / "loan_personal.bpmn").read_bytes()


@pytest.mark.parametrize("loan_type", sorted(SHIPPED))
def test_shipped_diagrams_are_valid(loan_type):
    bpmn_file, dmn_files = SHIPPED[loan_type]
    problems = validate((DIAGRAMS / bpmn_file).read_bytes(),
                        [(DIAGRAMS / d).read_bytes() for d in dmn_files])
    assert problems == []


# Every hostile sample is refused, each with the reason a person would look for.
EXPECTED = {
    "bpmn-dangling-sequenceflow.bpmn": "is not an element",
    "bpmn-dead-end-no-end-event.bpmn": "no end event",
    "bpmn-duplicate-ids.bpmn": "more than one element",
    "bpmn-duplicate-process-ids.bpmn": "more than one element",
    "bpmn-missing-called-element.bpmn": "not in this deployment",
    "bpmn-missing-start-event.bpmn": "no start event",
    "bpmn-no-namespace.bpmn": "not a BPMN 2.0 document",
    "bpmn-no-process.bpmn": "no process",
    "bpmn-wrong-namespace.bpmn": "not a BPMN 2.0 document",
    "exec-condition-dunder-import.bpmn": "not allowed",
    "exec-script-infinite-loop.bpmn": "script tasks are not allowed",
    "exec-script-reads-local-file.bpmn": "script tasks are not allowed",
    "xml-billion-laughs.bpmn": "DTD",
    "xml-binary-garbage.bpmn": "not well-formed",
    "xml-deep-nesting.bpmn": "depth",
    "xml-empty-file.bpmn": "empty",
    "xml-external-dtd-ssrf.bpmn": "DTD",
    "xml-not-well-formed.bpmn": "not well-formed",
    "xml-not-xml-json.bpmn": "not well-formed",
    "xml-truncated.bpmn": "not well-formed",
    "xml-xinclude.bpmn": "XInclude",
    "xml-xxe-local-file.bpmn": "DTD",
}
DMN_EXPECTED = {
    "dmn-billion-laughs.dmn": "DTD",
    "dmn-no-decision.dmn": "no decision",
    "dmn-not-well-formed.dmn": "not well-formed",
    "dmn-xxe-local-file.dmn": "DTD",
}


def test_every_hostile_sample_is_listed():
    listed = set(EXPECTED) | set(DMN_EXPECTED) | {"xml-latin1-declared.bpmn"}
    assert {p.name for p in HOSTILE.iterdir()} == listed


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_bpmn_is_refused_with_reason(name):
    problems = validate((HOSTILE / name).read_bytes())
    assert problems, f"{name} was accepted"
    assert any(EXPECTED[name] in p.reason for p in problems), problems
    assert all(p.element_id for p in problems)


@pytest.mark.parametrize("name", sorted(DMN_EXPECTED))
def test_hostile_dmn_is_refused_with_reason(name):
    problems = validate(PERSONAL, [(HOSTILE / name).read_bytes()])
    assert any(DMN_EXPECTED[name] in p.reason for p in problems), problems


def test_latin1_diagram_is_read_by_its_declared_encoding():
    raw = (HOSTILE / "xml-latin1-declared.bpmn").read_bytes()
    assert validate(raw, strict=False) == []


def test_unregistered_service_and_unknown_data_are_named():
    bad = PERSONAL.replace(b'loanflow:activity="score_application"',
                           b'loanflow:activity="score_with_magic"')
    bad = bad.replace(b'route == "auto_approve"', b'rout == "auto_approve"')
    problems = validate(bad, [(DIAGRAMS / "approval_route.dmn").read_bytes()])
    reasons = {p.element_id: p.reason for p in problems}
    assert "score_with_magic" in reasons["score"]
    assert "rout" in reasons["f_gw_route_disburse"]
