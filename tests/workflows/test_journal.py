"""The journal of a finished application, read from its recorded history (no server):
what each activity answered, who decided what, when the timers fired; and re-driven on
its own version it reproduces the recorded decision and path exactly."""

from __future__ import annotations

import pytest

from bpmn.rerun import first_divergence, rerun
from tests.workflows.journals import CONVERTER, history, names, own_version, recorded
from workflows.journal import NotALoanProcess, journal_from_history


def test_activities_answers_keyed_by_element_and_occurrence():
    j = recorded("personal_manual")
    assert j.status == "approved" and j.outcome == "approved"
    assert j.workflow_id.startswith("application-") and j.application_id in j.workflow_id
    assert j.process_id == "loan_personal" and len(j.sha256) == 64
    score = j.calls[("score", 1)]
    assert score.activity == "score_application"
    assert score.output is not None and score.output["score"]["grade"] == "B"
    assert score.error is None
    # bookkeeping activities (inbox rows, finishing) are no answers the diagram reads
    assert {a for a, _ in j.calls} >= {"validate", "bureau", "cross", "deadlines", "disburse"}
    assert all(c.activity not in ("assign_task", "close_task", "finish_application")
               for c in j.calls.values())
    # the application as the run started with it
    assert j.data["application"]["amount"] == 50_000
    # the history carries the definition it ran, pinned by its hash
    assert own_version(j).sha256 == j.sha256


def test_decisions_and_the_workflow_clock():
    j = recorded("personal_two_level")
    uw, senior = j.decisions[("uw_review", 1)], j.decisions[("senior_review", 1)]
    assert (uw.actor, uw.decision, uw.reason) == ("uma", "approve", "ok")
    assert (senior.actor, senior.decision) == ("sam", "approve")
    assert "senior_approver" in senior.actor_roles
    assert j.started_at <= j.calls[("validate", 1)].at <= uw.at <= senior.at
    assert j.ended_at is not None and senior.at <= j.ended_at
    assert j.timers_fired == []


def test_timer_escalation_is_on_the_record():
    j = recorded("personal_timer_escalation")
    assert list(j.decisions) == [("senior_review", 1)]  # nobody decided the underwriter step
    # the reminder (at 75% of the time) and then the escalation
    reminder, escalation = j.timers_fired
    deadline = j.calls[("deadlines", 1)]
    assert deadline.at < reminder < escalation < j.decisions[("senior_review", 1)].at
    assert j.status == "declined"


@pytest.mark.parametrize("name", names())
def test_rerun_on_its_own_version_reproduces_the_record(name):
    j = recorded(name)
    result = rerun(own_version(j), j)
    assert result.problem is None
    assert (result.status, result.outcome) == (j.status, j.outcome)
    assert j.steps is not None
    assert first_divergence(j.steps, result.path) is None
    assert [s.element_id for s in result.path] == [s.element_id for s in j.steps]


async def test_not_a_loan_process():
    h = history("personal_manual")
    start = h.events[0].workflow_execution_started_event_attributes
    start.workflow_type.name = "SomethingElse"
    with pytest.raises(NotALoanProcess):
        await journal_from_history(h, CONVERTER)
