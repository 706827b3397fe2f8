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


UW_ATTRS = b'loanflow:skills="personal" loanflow:effort="1"'


def _with_uw_attrs(attrs: bytes) -> bytes:
    assert UW_ATTRS in PERSONAL
    return PERSONAL.replace(UW_ATTRS, attrs)


def _problems(bpmn: bytes) -> list:
    return validate(bpmn, [(DIAGRAMS / "approval_route.dmn").read_bytes()])


def test_user_task_attributes_that_parse_are_accepted():
    ok = _with_uw_attrs(b'loanflow:skills="personal, agri" loanflow:effort="1.5" '
                        b'loanflow:minAuthority="250000" loanflow:priority="-2" '
                        b'loanflow:due="P1DT4H" loanflow:language="zh" loanflow:industry="retail"')
    assert _problems(ok) == []
    assert _problems(_with_uw_attrs(b'loanflow:due="2025-03-05T17:00:00+08:00"')) == []


@pytest.mark.parametrize(("attrs", "expected"), [
    (b'loanflow:effort="0"', "loanflow:effort '0' is not a positive number"),
    (b'loanflow:effort="heavy"', "loanflow:effort 'heavy' is not a positive number"),
    (b'loanflow:effort="nan"', "loanflow:effort 'nan' is not a positive number"),
    (b'loanflow:minAuthority="-1"', "loanflow:minAuthority '-1' is not a number"),
    (b'loanflow:minAuthority="lots"', "loanflow:minAuthority 'lots' is not a number"),
    (b'loanflow:priority="high"', "loanflow:priority 'high' is not a whole number"),
    (b'loanflow:priority="1.5"', "loanflow:priority '1.5' is not a whole number"),
    (b'loanflow:due="tomorrow"', "loanflow:due 'tomorrow' is neither"),
    (b'loanflow:due="PT"', "loanflow:due 'PT' is neither"),
])
def test_user_task_attributes_that_do_not_parse_are_named(attrs, expected):
    problems = _problems(_with_uw_attrs(attrs))
    assert [(p.element_id, expected in p.reason) for p in problems] == [("uw_review", True)], problems


def test_user_task_in_no_approver_lane_is_refused():
    out_of_lane = PERSONAL.replace(b"<bpmn:flowNodeRef>uw_review</bpmn:flowNodeRef>", b"")
    problems = _problems(out_of_lane)
    assert any(p.element_id == "uw_review" and "nobody could be assigned" in p.reason
               for p in problems), problems
    in_system_lane = PERSONAL.replace(b"<bpmn:flowNodeRef>uw_review</bpmn:flowNodeRef>", b"") \
        .replace(b"<bpmn:flowNodeRef>validate</bpmn:flowNodeRef>",
                 b"<bpmn:flowNodeRef>validate</bpmn:flowNodeRef><bpmn:flowNodeRef>uw_review</bpmn:flowNodeRef>")
    assert any(p.element_id == "uw_review" for p in _problems(in_system_lane))
    # a loanflow:role names the role where the lane does not
    named = out_of_lane.replace(UW_ATTRS, UW_ATTRS + b' loanflow:role="underwriter"')
    assert _problems(named) == []
    # lenient mode (diagrams written elsewhere) does not apply loanflow's own rules
    assert not any(p.element_id == "uw_review"
                   for p in validate(_with_uw_attrs(b'loanflow:effort="0"'), strict=False))
