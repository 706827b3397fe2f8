"""What-if on recorded runs (tests/fixtures/histories, no server): candidates re-driven
from the journals, changes explained by the element that made the difference, and what
the record cannot answer reported undecidable, never guessed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

from lxml import etree

from bpmn import engine
from bpmn.rerun import RecordedCall, Step, first_divergence, rerun
from bpmn.whatif import Case, what_if
from bpmn.xml import BPMN_NS
from tests.workflows.journals import own_version, recorded

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
PERSONAL = ["personal_auto_approve", "personal_auto_decline", "personal_manual",
            "personal_two_level", "personal_timer_escalation"]


def _edit(xml: str, ns: str, element_id: str, change: Callable[[etree._Element], None]) -> str:
    root = etree.fromstring(xml.encode())
    [el] = root.xpath("//*[@id=$id]", id=element_id)
    assert etree.QName(el).namespace == ns
    change(el)
    return etree.tostring(root).decode()


def candidate(bpmn_edits: dict[str, Callable[[etree._Element], None]] | None = None,
              dmn_edits: dict[str, Callable[[etree._Element], None]] | None = None,
              ) -> engine.CompiledProcess:
    """The recorded personal diagram with some elements changed."""
    assert recorded("personal_manual").definition is not None
    bpmn_xml, dmn_xml = recorded("personal_manual").definition
    for eid, change in (bpmn_edits or {}).items():
        bpmn_xml = _edit(bpmn_xml, BPMN_NS, eid, change)
    dmn = list(dmn_xml)
    for eid, change in (dmn_edits or {}).items():
        dmn = [_edit(d, DMN_NS, eid, change) if f'id="{eid}"' in d else d for d in dmn]
    return engine.compile_definition(bpmn_xml, dmn)


def entry(n: int, text: str, kind: str = "inputEntry") -> Callable[[etree._Element], None]:
    def change(rule: etree._Element) -> None:
        rule.findall(f"{{{DMN_NS}}}{kind}")[n].find(f"{{{DMN_NS}}}text").text = text
    return change


def attr(name: str, value: str) -> Callable[[etree._Element], None]:
    return lambda el: el.set(name, value)


def condition(text: str) -> Callable[[etree._Element], None]:
    def change(flow: etree._Element) -> None:
        cond = flow.find(f"{{{BPMN_NS}}}conditionExpression")
        if cond is None:
            cond = etree.SubElement(flow, f"{{{BPMN_NS}}}conditionExpression")
        cond.text = text
    return change


def cases(names: list[str] = PERSONAL) -> list[Case]:
    return [Case(n, recorded(n), own_version(recorded(n))) for n in names]


def by_app(report, kind):
    return {o.application_id: o for o in getattr(report, kind)}


# Small personal loans are approved without a review up to 20,000; the candidate raises
# that to 100,000.
HIGHER_THRESHOLD = {"rule_2": entry(3, "<= 100000"),
                    "rule_3": entry(3, "? > 100000 and ? <= 200000")}


def test_a_higher_threshold_skips_the_review():
    report = what_if(candidate(dmn_edits=HIGHER_THRESHOLD), cases())
    assert report.replayed == 5
    rerouted = by_app(report, "rerouted")
    assert set(rerouted) == {"personal_manual"}  # 50,000: approved, now without a person
    why = rerouted["personal_manual"]
    assert (why.old, why.new) == ("approved", "approved")
    assert (why.element_id, why.before, why.after) == (
        "route_rule", "route=manual", "route=auto_approve")
    assert why.element_name == "Decide approval route"
    # 50,000 escalated by its timer was declined by a senior: now approved automatically
    # (and disbursed: an effect the record never called, which what-if does not run)
    changed = by_app(report, "changed")
    assert set(changed) == {"personal_timer_escalation"}
    c = changed["personal_timer_escalation"]
    assert (c.old, c.new, c.element_id) == ("declined", "approved", "route_rule")
    assert report.unchanged == 3 and not report.undecidable
    [summary] = report.by_element()
    assert (summary.element_id, summary.changed, summary.rerouted) == ("route_rule", 1, 1)
    assert summary.transitions == {"declined → approved": 1}


def test_a_declining_rule_changes_decisions_and_says_why():
    cand = candidate(dmn_edits={"rule_3": entry(0, '"auto_decline"', "outputEntry")})
    report = what_if(cand, cases())
    [manual] = report.changed
    assert (manual.application_id, manual.old, manual.new) == (
        "personal_manual", "approved", "declined")
    assert (manual.element_id, manual.before, manual.after) == (
        "route_rule", "route=manual", "route=auto_decline")
    assert manual.reason == "route_rule: route=manual → route=auto_decline"
    assert [o.application_id for o in report.rerouted] == ["personal_timer_escalation"]
    assert report.unchanged == 3 and not report.undecidable


def test_an_effect_the_record_never_called_is_not_a_guess_when_something_reads_it():
    """Answering an effect with nothing is safe only while nothing reads its answer."""
    def gateway(el: etree._Element) -> None:
        el.tag = f"{{{BPMN_NS}}}exclusiveGateway"
        el.attrib.clear()
        el.set("id", "notify_ok")

    cand = candidate({"notify_ok": gateway,
                      "f_notify_ok_end_approved": condition("disbursement.reference != ''")},
                     dmn_edits=HIGHER_THRESHOLD)
    report = what_if(cand, cases(["personal_timer_escalation"]))
    [u] = report.undecidable
    assert u.element_id == "disburse" and "never called" in u.reason


def test_a_broken_condition_fails_at_its_gateway():
    cand = candidate({"f_gw_route_deadlines": condition("route.no_such_thing == 1")})
    report = what_if(cand, cases(["personal_manual", "personal_auto_approve"]))
    [failed] = report.changed
    assert (failed.application_id, failed.old, failed.new) == ("personal_manual", "approved",
                                                               "failed")
    assert failed.element_id in ("gw_route", "f_gw_route_deadlines")
    assert failed.reason
    assert report.unchanged == 1  # the auto approval never reached that condition


def test_a_timer_that_fires_earlier_escalates():
    def early(event: etree._Element) -> None:
        event.find(f".//{{{BPMN_NS}}}timeDate").text = '"2000-01-01T00:00:00+00:00"'
    report = what_if(candidate({"uw_timeout": early}), cases(["personal_two_level"]))
    [why] = report.rerouted
    assert why.element_id == "uw_timeout" and why.after.startswith("then uw_timeout")
    assert (why.old, why.new) == ("approved", "approved")  # the senior approved it anyway


def test_timers_follow_the_recorded_clock():
    """The escalation fired because nobody decided within the deadline; a candidate
    whose deadline is a day later waits for a decision the record does not have."""
    j = recorded("personal_timer_escalation")
    due = j.calls[("deadlines", 1)].output["deadlines"]
    later = {k: _shift(v, timedelta(days=1)) for k, v in due.items()}
    calls = dict(j.calls)
    calls[("deadlines", 1)] = dataclasses.replace(calls[("deadlines", 1)],
                                                  output={"deadlines": later})
    shifted = dataclasses.replace(j, calls=calls)
    result = rerun(own_version(j), shifted)
    assert result.status == "undecidable"
    assert result.problem.element_id == "uw_review"
    assert "never made" in result.problem.reason
    # ...and on time, it escalates exactly as recorded
    assert rerun(own_version(j), j).status == "declined"


def _shift(iso: str, by: timedelta) -> str:
    from datetime import datetime
    return (datetime.fromisoformat(iso) + by).isoformat()


def test_an_element_calling_another_activity_is_undecidable():
    cand = candidate({"bureau": attr("{https://loanflow.dev/schema/bpmn}activity",
                                     "check_employment")})
    report = what_if(cand, cases(["personal_auto_approve"]))
    [u] = report.undecidable
    assert u.element_id == "bureau" and u.element_name == "Pull credit report"
    assert "check_employment" in u.reason and "pull_credit_report" in u.reason


def test_recorded_failures_are_answered_as_they_happened():
    j = recorded("personal_auto_approve")
    calls = dict(j.calls)
    failure = {"type": "BureauUnavailable", "message": "bureau down"}
    calls[("bureau", 1)] = RecordedCall("bureau", 1, "pull_credit_report",
                                        calls[("bureau", 1)].at, error=failure)
    # bureau has onError="continue": the error is noted, and a person must look at it
    result = rerun(own_version(j), dataclasses.replace(j, calls=calls))
    route = next(s for s in result.path if s.element_id == "route_rule")
    assert route.outcome == "route=manual"
    # ...so it would be reviewed: a review the recorded run never had
    assert result.status == "undecidable" and result.problem.element_id == "deadlines"
    # validate has no onError: the run fails there
    calls[("validate", 1)] = RecordedCall("validate", 1, "validate_application",
                                          calls[("validate", 1)].at, error=failure)
    result = rerun(own_version(j), dataclasses.replace(j, calls=calls))
    assert result.status == "failed" and result.problem.element_id == "validate"
    assert result.problem.reason == "bureau down"


def test_a_record_that_does_not_reproduce_is_not_trusted():
    j = dataclasses.replace(recorded("personal_auto_approve"), status="declined")
    report = what_if(candidate(), [Case("x", j, own_version(j))])
    [u] = report.undecidable
    assert "does not reproduce" in u.reason


def test_without_the_original_version_the_recorded_path_is_the_baseline():
    j = recorded("personal_manual")
    report = what_if(candidate(dmn_edits=HIGHER_THRESHOLD), [Case("m", j, None)])
    [why] = report.rerouted
    assert why.element_id == "route_rule"


def test_an_unreadable_history_is_undecidable():
    report = what_if(candidate(), [Case("gone", None, None, unreadable="key destroyed")])
    assert report.replayed == 1 and report.undecidable[0].reason == "key destroyed"


def s(element_id: str, outcome: str = "done", kind: str = "serviceTask") -> Step:
    return Step(element_id, element_id.title(), kind, outcome)


def test_first_divergence_names_the_element_that_chose():
    a = [s("start"), s("rule", "route=manual", "businessRuleTask"), s("gw", kind="gateway"),
         s("review", "approve", "userTask")]
    assert first_divergence(a, a) is None
    # the rule answered differently: the rule
    b = [s("start"), s("rule", "route=auto", "businessRuleTask"), s("gw", kind="gateway"),
         s("pay")]
    d = first_divergence(a, b)
    assert d is not None and (d.element_id, d.before, d.after) == (
        "rule", "route=manual", "route=auto")
    # the same inputs, another flow taken: the gateway
    c = [s("start"), s("rule", "route=manual", "businessRuleTask"), s("gw", kind="gateway"),
         s("pay")]
    d = first_divergence(a, c)
    assert d is not None and d.element_id == "gw" and d.after == "then pay"
    # a timer fired where it did not: the timer
    t = [*a[:3], s("timeout", kind="event")]
    d = first_divergence(a, t)
    assert d is not None and d.element_id == "timeout"
    # one path ends where the other goes on
    d = first_divergence(a, a[:2])
    assert d is not None and d.element_id == "rule" and d.after == "ended"


def test_a_referral_holds_the_timers_as_it_did():
    """The underwriter asked the applicant a question: while the applicant answered, the
    review's escalation timer was held, and it ran on afterwards by as much."""
    from bpmn.rerun import RecordedDecision, Referral

    j = recorded("personal_timer_escalation")
    planned = j.calls[("deadlines", 1)].at
    asked, answered = planned + timedelta(seconds=1), planned + timedelta(seconds=30)
    decided = answered + timedelta(seconds=1)  # within the 2 s left of the deadline
    approve = RecordedDecision("uw_review", 1, "uma", "approve", "answered well", decided)
    referred = dataclasses.replace(
        j, referrals=[Referral("uw_review", 1, asked, answered)],
        decisions={**j.decisions, ("uw_review", 1): approve},
        ended_at=decided + timedelta(seconds=5))
    result = rerun(own_version(j), referred)
    assert result.status == "approved", result.problem
    assert "uw_timeout" not in [s.element_id for s in result.path]
    # without the hold the timer escalates first, as it did in the recorded run
    unheld = dataclasses.replace(referred, referrals=[])
    result = rerun(own_version(j), unheld)
    assert result.status == "declined"
    assert "uw_timeout" in [s.element_id for s in result.path]
