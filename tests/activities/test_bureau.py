"""pull_credit_report in an ActivityEnvironment against the bureau simulator."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.bureau import BureauActivities
from simulators import RunningSimulators, simulators
from simulators.applications import CaseFactory
from simulators.faults import FAULT_HEADER
from verification.adapters import HttpCreditBureau
from verification.sources import BureauReport, SourceRejected
from workflows.types import ServiceTaskInput

REQUIRED = {"status", "score", "tradelines", "inquiries_6m", "public_records",
            "delinquencies_2y", "revolving_utilization", "oldest_tradeline_months",
            "fraud_flags", "obligations_known"}


@pytest.fixture(scope="module")
def sims() -> Iterator[RunningSimulators]:
    with simulators(latency_scale=0.01) as running:
        yield running


@pytest.fixture(scope="module")
def application(sims: RunningSimulators) -> dict[str, Any]:
    factory = CaseFactory(sims.population, seed=11, today=dt.date(2025, 1, 1))
    for _ in range(50):
        case = factory.clean()
        if case.application["financials"]["existing_loans"]:
            return case.application
    raise AssertionError("no applicant with loans")


def task(application: dict[str, Any], app_id: str = "application-0001") -> ServiceTaskInput:
    return ServiceTaskInput(app_id, f"loan-{app_id}", "pull_bureau",
                            {"application": application})


def activities(sims: RunningSimulators, fault: str | None = None) -> BureauActivities:
    headers = {FAULT_HEADER: fault} if fault else None
    return BureauActivities(HttpCreditBureau(sims.urls["bureau"], headers=headers))


def personal(application: dict[str, Any]) -> list[str]:
    a = application["applicant"]
    return [a["national_id"], a["full_name"], a["phone"],
            str(application["employment"]["monthly_income"])]


async def test_report_has_the_keys_the_diagram_and_scoring_read(
        sims: RunningSimulators, application: dict[str, Any],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    result = await ActivityEnvironment().run(activities(sims).pull_credit_report,
                                             task(application))
    bureau = result.output["bureau"]
    assert set(bureau) >= REQUIRED and bureau["status"] == "hit"
    assert {"kind", "limit", "balance", "past_due", "status_24m"} <= set(bureau["tradelines"][0])
    assert bureau["consent"] == {"recorded": True, "purpose": "credit_decision",
                                 "reference": "application-0001/consent_bureau_check"}
    audit = [r.getMessage() for r in caplog.records if r.name == "loanflow.audit.bureau"]
    assert any("consent=recorded" in m and "application-0001" in m for m in audit)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(value in logged for value in personal(application))


class RecordingBureau:
    def __init__(self) -> None:
        self.calls = 0

    async def pull_report(self, **kwargs: Any) -> BureauReport:
        self.calls += 1
        return BureauReport("hit")


async def test_no_consent_means_no_pull_and_a_status(
        application: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    bureau = RecordingBureau()
    result = await ActivityEnvironment().run(BureauActivities(bureau).pull_credit_report,
                                             task({**application,
                                                   "consent_bureau_check": False}))
    assert bureau.calls == 0
    assert result.output["bureau"]["status"] == "no_consent"
    assert result.output["bureau"]["consent"]["recorded"] is False
    assert any("no recorded consent" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("fault", ["no_hit", "frozen", "multiple_match"])
async def test_no_file_is_an_answer_not_a_failure(sims: RunningSimulators,
                                                  application: dict[str, Any],
                                                  fault: str) -> None:
    # A new application id: the bureau answers a repeated idempotency key from its cache.
    result = await ActivityEnvironment().run(activities(sims, fault).pull_credit_report,
                                             task(application, f"application-{fault}"))
    assert result.output["bureau"]["status"] == fault


async def test_429_is_retryable_and_honours_retry_after(sims: RunningSimulators,
                                                        application: dict[str, Any]) -> None:
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities(sims, "429").pull_credit_report,
                                        task(application))
    error = caught.value
    assert not error.non_retryable and error.type == "SourceRateLimited"
    assert error.next_retry_delay == dt.timedelta(seconds=1)
    assert "application-0001" in error.message
    assert not any(value in error.message for value in personal(application))
    assert error.__cause__ is None


@pytest.mark.parametrize(("fault", "kind"), [("503", "SourceUnavailable"),
                                             ("500", "SourceUnavailable")])
async def test_5xx_is_retryable(sims: RunningSimulators, application: dict[str, Any],
                                fault: str, kind: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(activities(sims, fault).pull_credit_report,
                                        task(application))
    assert not caught.value.non_retryable and caught.value.type == kind
    assert caught.value.next_retry_delay is None


async def test_timeout_is_retryable(sims: RunningSimulators, application: dict[str, Any]) -> None:
    acts = BureauActivities(HttpCreditBureau(sims.urls["bureau"], timeout=0.05,
                                             headers={FAULT_HEADER: "timeout"}))
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(acts.pull_credit_report, task(application))
    assert caught.value.type == "SourceTimeout" and not caught.value.non_retryable


class RejectingBureau:
    async def pull_report(self, **kwargs: Any) -> BureauReport:
        raise SourceRejected("credit_bureau", "HTTP 400")


async def test_rejected_request_is_not_retryable(application: dict[str, Any]) -> None:
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(BureauActivities(RejectingBureau()).pull_credit_report,
                                        task(application))
    assert caught.value.non_retryable and caught.value.type == "SourceRejected"


async def test_missing_application_is_not_retryable() -> None:
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(BureauActivities(RecordingBureau()).pull_credit_report,
                                        ServiceTaskInput("application-2", "w", "e", {}))
    assert caught.value.non_retryable and caught.value.type == "InvalidProcessData"
