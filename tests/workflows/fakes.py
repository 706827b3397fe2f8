"""Test doubles for the outside-facing activities, so the engine's tests do not depend on
the verification and scoring packages (which have tests of their own). They compute their
answers from the application, so each path of the diagram can be driven by its input."""

from __future__ import annotations

import datetime as dt

from temporalio import activity
from temporalio.exceptions import ApplicationError

from workflows.types import ServiceTaskInput, ServiceTaskResult


def _app(inp: ServiceTaskInput) -> dict:
    return dict(inp.data["application"])


@activity.defn(name="validate_application")
def validate_application(inp: ServiceTaskInput) -> ServiceTaskResult:
    return ServiceTaskResult({"validation": {"outcome": "passed", "findings": []}})


@activity.defn(name="verify_identity")
def verify_identity(inp: ServiceTaskInput) -> ServiceTaskResult:
    name = _app(inp)["applicant"]["full_name"]
    return ServiceTaskResult({"identity": {"match": not name.startswith("Mismatch")}})


@activity.defn(name="check_employment")
def check_employment(inp: ServiceTaskInput) -> ServiceTaskResult:
    return ServiceTaskResult({"employment_check": {"income_confirmed": True}})


@activity.defn(name="screen_sanctions")
def screen_sanctions(inp: ServiceTaskInput) -> ServiceTaskResult:
    return ServiceTaskResult({"sanctions": {"hits": []}})


@activity.defn(name="pull_credit_report")
def pull_credit_report(inp: ServiceTaskInput) -> ServiceTaskResult:
    return ServiceTaskResult({"bureau": {"status": "hit", "score": 700}})


@activity.defn(name="cross_check")
def cross_check(inp: ServiceTaskInput) -> ServiceTaskResult:
    ok = inp.data.get("identity", {}).get("match", False)
    return ServiceTaskResult({"verification": {"outcome": "passed" if ok else "failed",
                                               "findings": [] if ok else ["name mismatch"]}})


@activity.defn(name="score_application")
def score_application(inp: ServiceTaskInput) -> ServiceTaskResult:
    app = _app(inp)
    income = float(app["employment"]["monthly_income"])
    if income <= 0:
        raise ApplicationError("no income to score", type="ScoringUnavailable", non_retryable=True)
    ratio = float(app["amount"]) / (income * 12)
    grade = "A" if ratio < 0.2 else "B" if ratio < 0.5 else "C" if ratio < 1 else \
        "D" if ratio < 2 else "E"
    return ServiceTaskResult({"score": {"grade": grade, "pd": min(ratio / 3, 0.99),
                                        "model_version": "fake-1",
                                        "reasons": [{"code": "DTI", "text": "Debt is high"}]}})


@activity.defn(name="plan_deadlines")
def plan_deadlines(inp: ServiceTaskInput) -> ServiceTaskResult:
    """Reviews are due in a day; for a 'medical' purpose in three seconds, so a test (or
    a recorded history on the real dev server) can watch the escalation happen."""
    seconds = 3 if _app(inp)["purpose"] == "medical" else 86_400
    now = dt.datetime.now(dt.UTC)
    due = (now + dt.timedelta(seconds=seconds)).isoformat()
    remind = (now + dt.timedelta(seconds=seconds * 0.75)).isoformat()
    return ServiceTaskResult({"deadlines": {
        "uw_review": due, "senior_review": due,
        "uw_review_remind": remind, "senior_review_remind": remind}})


@activity.defn(name="read_documents")
def read_documents(inp: ServiceTaskInput) -> ServiceTaskResult:
    refs = _app(inp).get("documents") or []
    return ServiceTaskResult({"documents": {
        "results": [{**r, "status": "read"} for r in refs], "fields": [], "prefill": {},
        "needs_review": False}})


FAKE_OUTSIDE = [plan_deadlines, validate_application, verify_identity, check_employment, screen_sanctions,
                pull_credit_report, read_documents, cross_check, score_application]
