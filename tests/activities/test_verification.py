"""validate_application and cross_check in an ActivityEnvironment, and the whole
verification run for every injected kind over real HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.testing import ActivityEnvironment

from activities.verification import VerificationActivities
from cli.bench_verification import Pipeline, RetryRules, Stats, detected
from simulators import RunningSimulators, simulators
from simulators.applications import KINDS, CaseFactory
from simulators.population import Population
from verification.records import InMemoryInternalRecords
from workflows.types import ServiceTaskInput

TODAY = dt.date(2025, 1, 1)


@pytest.fixture(scope="module")
def sims() -> Iterator[RunningSimulators]:
    with simulators(latency_scale=0.01) as running:
        yield running


def task(app_id: str, data: dict[str, Any]) -> ServiceTaskInput:
    return ServiceTaskInput(app_id, f"loan-{app_id}", "check", data)


async def test_validate_application_reports_and_registers_once() -> None:
    records = InMemoryInternalRecords()
    acts = VerificationActivities(records, today=lambda: TODAY)
    case = CaseFactory(Population(), seed=1, today=TODAY).injected("sex_mismatch")
    env = ActivityEnvironment()
    for _ in range(2):  # a retried activity registers the application once
        result = await env.run(acts.validate_application,
                               task(case.application_id, {"application": case.application}))
    report = result.output["validation"]
    assert report["outcome"] == "failed"
    assert {f["rule_id"] for f in report["findings"] if f["status"] == "failed"} == {
        "national_id.sex"}
    number = case.application["applicant"]["national_id"]
    assert await records.other_applications(national_id=number,
                                            exclude_application_id="other") != []
    assert await records.other_applications(
        national_id=number, exclude_application_id=case.application_id) == []


async def test_cross_check_sees_other_applications_of_the_same_person() -> None:
    records = InMemoryInternalRecords()
    acts = VerificationActivities(records, today=lambda: TODAY)
    app = CaseFactory(Population(), seed=2, today=TODAY).clean().application
    changed = {**app, "employment": {**app["employment"],
                                     "monthly_income": app["employment"]["monthly_income"] * 3}}
    env = ActivityEnvironment()
    await env.run(acts.validate_application, task("application-a", {"application": app}))
    result = await env.run(acts.cross_check, task("application-b", {"application": changed}))
    report = result.output["verification"]
    finding = next(f for f in report["findings"] if f["rule_id"] == "records.same_person")
    assert finding["status"] == "failed"
    assert finding["evidence"]["applications"][0]["application_id"] == "application-a"
    assert report["outcome"] == "manual_review"  # sources missing as well
    assert report["sources"]["internal_records"] == "answered"


async def test_every_kind_is_detected_and_clean_ones_pass(sims: RunningSimulators) -> None:
    """Through all six activities over HTTP, with the bureau failing a third of calls."""
    sims.set_faults("bureau", error_rate=0.3, hang_s=20.0)
    try:
        factory = CaseFactory(sims.population, seed=9, today=TODAY)
        cases = [factory.clean() for _ in range(10)] + [factory.injected(k) for k in KINDS]
        records = InMemoryInternalRecords()
        for case in cases:
            for number, snapshot in case.prior:
                await records.register_application(national_id=number, snapshot=snapshot)
            if case.customer:
                records.add_customer(case.application["applicant"]["national_id"],
                                     case.customer)
        pipeline = Pipeline(sims.urls, records, RetryRules(time_scale=0.001), timeout=0.1)
        pipeline.checks.today = lambda: TODAY
        stats = Stats()
        for case in cases:
            await pipeline.run(case, stats)
    finally:
        sims.set_faults("bureau")
    for case in cases:
        report = stats.outcomes[case.application_id]
        if case.kind is None:
            assert report["outcome"] == "passed", report["reasons"]
        else:
            assert detected(case, report), (case.kind, report["reasons"])
        assert stats.decisions[case.application_id] == [report["outcome"]]
    assert stats.retries["pull_credit_report"] > 0 and not stats.exhausted
