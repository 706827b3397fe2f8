"""verify_identity, check_employment and screen_sanctions in an ActivityEnvironment."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.identity import IdentityActivities
from simulators import RunningSimulators, simulators
from simulators.applications import CaseFactory
from simulators.faults import FAULT_HEADER
from verification.adapters import (
    HttpEmploymentRegistry,
    HttpIdentityRegistry,
    HttpSanctionsList,
)
from workflows.types import ServiceTaskInput


@pytest.fixture(scope="module")
def sims() -> Iterator[RunningSimulators]:
    with simulators(latency_scale=0.01) as running:
        yield running


@pytest.fixture(scope="module")
def factory(sims: RunningSimulators) -> CaseFactory:
    return CaseFactory(sims.population, seed=5, today=dt.date(2025, 1, 1))


def kyc(sims: RunningSimulators, fault: str | None = None) -> IdentityActivities:
    headers = {FAULT_HEADER: fault} if fault else None
    return IdentityActivities(
        HttpIdentityRegistry(sims.urls["identity"], headers=headers),
        HttpEmploymentRegistry(sims.urls["employment"], headers=headers),
        HttpSanctionsList(sims.urls["sanctions"], headers=headers),
    )


def task(application: dict[str, Any]) -> ServiceTaskInput:
    return ServiceTaskInput("application-0002", "loan-application-0002", "kyc",
                            {"application": application})


async def test_clean_applicant_is_verified(sims: RunningSimulators, factory: CaseFactory,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    app = factory.clean().application
    env = ActivityEnvironment()
    identity = (await env.run(kyc(sims).verify_identity, task(app))).output["identity"]
    assert identity["verified"] is True and identity["status"] == "found"
    job = (await env.run(kyc(sims).check_employment, task(app))).output["employment_check"]
    assert job["employer_confirmed"] is True and job["monthly_contribution_base"] > 0
    screen = (await env.run(kyc(sims).screen_sanctions, task(app))).output["sanctions"]
    assert screen["status"] == "clear"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    a = app["applicant"]
    for secret in (a["national_id"], a["full_name"], a["phone"], job["registered_employer"]):
        assert secret not in logged
    assert "application-0002" in logged


async def test_registry_disagreement_is_a_result(sims: RunningSimulators,
                                                 factory: CaseFactory) -> None:
    app = factory.injected("identity_mismatch").application
    identity = (await ActivityEnvironment().run(kyc(sims).verify_identity, task(app))) \
        .output["identity"]
    assert identity["verified"] is False and identity["name_score"] < 0.9
    forced = (await ActivityEnvironment().run(kyc(sims, "identity_mismatch").verify_identity,
                                              task(factory.clean().application))) \
        .output["identity"]
    assert forced["verified"] is False and forced["date_of_birth_match"] is False


async def test_unknown_number_and_no_social_security_record(sims: RunningSimulators,
                                                            factory: CaseFactory) -> None:
    app = factory.injected("national_id_checksum").application
    identity = (await ActivityEnvironment().run(kyc(sims).verify_identity, task(app))) \
        .output["identity"]
    assert identity["status"] == "not_found" and identity["verified"] is False
    app = factory.injected("employment_not_found").application
    job = (await ActivityEnvironment().run(kyc(sims).check_employment, task(app))) \
        .output["employment_check"]
    assert job["status"] == "not_found" and job["employer_confirmed"] is None


async def test_listed_person_matches(sims: RunningSimulators, factory: CaseFactory) -> None:
    app = factory.injected("sanctions_match").application
    screen = (await ActivityEnvironment().run(kyc(sims).screen_sanctions, task(app))) \
        .output["sanctions"]
    assert screen["status"] == "match" and screen["matches"][0]["birth_date_match"] is True


@pytest.mark.parametrize("method", ["verify_identity", "check_employment", "screen_sanctions"])
@pytest.mark.parametrize(("fault", "kind", "delay"), [
    ("429", "SourceRateLimited", dt.timedelta(seconds=1)),
    ("503", "SourceUnavailable", None),
])
async def test_transient_failures_are_retryable(sims: RunningSimulators, factory: CaseFactory,
                                                method: str, fault: str, kind: str,
                                                delay: dt.timedelta | None) -> None:
    app = factory.clean().application
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(getattr(kyc(sims, fault), method), task(app))
    assert caught.value.type == kind and not caught.value.non_retryable
    assert caught.value.next_retry_delay == delay
    assert app["applicant"]["national_id"] not in caught.value.message
    assert app["applicant"]["full_name"] not in caught.value.message


async def test_unreadable_birth_date_is_not_retryable(sims: RunningSimulators,
                                                      factory: CaseFactory) -> None:
    app = factory.clean().application
    app = {**app, "applicant": {**app["applicant"], "date_of_birth": "31/12/1980"}}
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(kyc(sims).verify_identity, task(app))
    assert caught.value.non_retryable and "31/12/1980" not in caught.value.message
