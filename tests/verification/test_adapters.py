"""The HTTP adapters against the simulators: answers decoded, failures mapped."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator

import pytest

from simulators import RunningSimulators, simulators
from simulators.faults import FAULT_HEADER
from verification.adapters import (
    HttpCreditBureau,
    HttpEmploymentRegistry,
    HttpIdentityRegistry,
    HttpSanctionsList,
    parse_retry_after,
)
from verification.sources import (
    CreditBureau,
    EmploymentRegistry,
    IdentityRegistry,
    SanctionsList,
    SourceRateLimited,
    SourceRejected,
    SourceTimeout,
    SourceUnavailable,
)


@pytest.fixture(scope="module")
def sims() -> Iterator[RunningSimulators]:
    with simulators(latency_scale=0.01) as running:
        yield running


def _number(sims: RunningSimulators) -> str:
    return sims.population.find(lambda s: s.valid and s.credit.status == "hit"
                                and s.employer is not None and bool(s.credit.tradelines))


def _bureau(sims: RunningSimulators, fault: str | None = None,
            timeout: float = 5.0) -> HttpCreditBureau:
    headers = {FAULT_HEADER: fault} if fault else None
    return HttpCreditBureau(sims.urls["bureau"], timeout=timeout, headers=headers)


async def _pull(bureau: HttpCreditBureau, number: str, request_id: str = "application-1") \
        -> object:
    return await bureau.pull_report(request_id=request_id, national_id=number,
                                    full_name="x", purpose="credit_decision",
                                    consent_reference="application-1/consent")


def test_adapters_satisfy_the_protocols(sims: RunningSimulators) -> None:
    assert isinstance(HttpIdentityRegistry(sims.urls["identity"]), IdentityRegistry)
    assert isinstance(HttpEmploymentRegistry(sims.urls["employment"]), EmploymentRegistry)
    assert isinstance(HttpCreditBureau(sims.urls["bureau"]), CreditBureau)
    assert isinstance(HttpSanctionsList(sims.urls["sanctions"]), SanctionsList)


async def test_typed_answers(sims: RunningSimulators) -> None:
    number = _number(sims)
    s = sims.population.subject(number)
    identity = await HttpIdentityRegistry(sims.urls["identity"]).verify(
        request_id="application-1", national_id=number, full_name=s.full_name,
        date_of_birth=s.birth_date, sex=s.sex)
    assert identity.status == "found" and identity.name_score == 1.0
    job = await HttpEmploymentRegistry(sims.urls["employment"]).lookup(
        request_id="application-1", national_id=number, stated_employer=s.employer or "")
    assert job.registered_employer == s.employer and job.monthly_contribution_base
    report = await _pull(_bureau(sims), number)
    assert report.status == "hit" and report.tradelines  # type: ignore[attr-defined]
    assert isinstance(report.tradelines[0].limit, float)  # type: ignore[attr-defined]
    screen = await HttpSanctionsList(sims.urls["sanctions"]).screen(
        request_id="application-1", full_name=s.full_name, date_of_birth=s.birth_date)
    assert screen.status == "clear" and screen.list_version


async def test_429_maps_to_rate_limited_with_retry_after(sims: RunningSimulators) -> None:
    with pytest.raises(SourceRateLimited) as caught:
        await _pull(_bureau(sims, "429"), _number(sims))
    assert caught.value.retryable and caught.value.retry_after == 1.0


@pytest.mark.parametrize("fault", ["500", "503"])
async def test_5xx_maps_to_unavailable(sims: RunningSimulators, fault: str) -> None:
    with pytest.raises(SourceUnavailable) as caught:
        await _pull(_bureau(sims, fault), _number(sims))
    assert caught.value.retryable and f"HTTP {fault}" in str(caught.value)


async def test_stall_maps_to_timeout(sims: RunningSimulators) -> None:
    with pytest.raises(SourceTimeout):
        await _pull(_bureau(sims, "timeout", timeout=0.05), _number(sims))


async def test_bad_request_is_not_retryable(sims: RunningSimulators) -> None:
    with pytest.raises(SourceRejected) as caught:
        await _bureau(sims).pull_report(request_id="application-1", national_id="1",
                                        full_name="x", purpose="marketing",
                                        consent_reference="c")
    assert not caught.value.retryable


async def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    bureau = HttpCreditBureau(f"http://127.0.0.1:{port}", timeout=1)
    with pytest.raises(SourceUnavailable):
        await _pull(bureau, "11010519491231002X")


async def test_errors_carry_no_personal_data(sims: RunningSimulators) -> None:
    number = _number(sims)
    for fault in ("429", "503"):
        with pytest.raises((SourceRateLimited, SourceUnavailable)) as caught:
            await _pull(_bureau(sims, fault), number)
        assert number not in str(caught.value)


async def test_retried_pull_with_same_request_id_is_one_inquiry(sims: RunningSimulators) -> None:
    number = _number(sims)
    bureau = _bureau(sims)
    before = sims.gate("bureau").stats["pulls"]
    first = await _pull(bureau, number, "application-idem")
    second = await _pull(bureau, number, "application-idem")
    assert first == second
    assert sims.gate("bureau").stats["pulls"] == before + 1
    await bureau.aclose()


def test_parse_retry_after_forms() -> None:
    now = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("garbage") is None and parse_retry_after(None) is None
