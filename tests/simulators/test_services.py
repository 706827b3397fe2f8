"""The simulators over real HTTP on loopback, started in-process with latency scaled down."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulators import RunningSimulators, default_settings, simulators, start_simulators
from simulators.faults import FAULT_HEADER


@pytest.fixture(scope="module")
def sims() -> Iterator[RunningSimulators]:
    with simulators(latency_scale=0.01) as running:
        yield running


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


def _subject_number(sims: RunningSimulators) -> str:
    return sims.population.find(lambda s: s.valid and s.credit.status == "hit"
                                and s.employer is not None)


def _report(http: httpx.Client, sims: RunningSimulators, number: str,
            **headers: str) -> httpx.Response:
    subject = sims.population.subject(number)
    body = {"national_id": number, "full_name": subject.full_name,
            "purpose": "credit_decision", "consent_reference": "application-x/consent"}
    return http.post(sims.urls["bureau"] + "/v1/reports", json=body, headers=headers)


def test_all_four_services_answer_health(sims: RunningSimulators, http: httpx.Client) -> None:
    assert set(sims.urls) == {"identity", "employment", "bureau", "sanctions"}
    for name, url in sims.urls.items():
        assert url.startswith("http://127.0.0.1:")
        assert http.get(url + "/health").json()["status"] == "ok", name


def test_bureau_report_is_deterministic_per_subject(sims: RunningSimulators,
                                                    http: httpx.Client) -> None:
    number = _subject_number(sims)
    first, second = _report(http, sims, number).json(), _report(http, sims, number).json()
    first.pop("reference"), second.pop("reference")
    assert first == second
    assert first["status"] == "hit" and 300 <= first["score"] <= 850
    for line in first["tradelines"]:
        assert set(line) >= {"kind", "limit", "balance", "past_due", "status_24m"}
        assert len(line["status_24m"]) == 24
    other = sims.population.find(lambda s: s.valid and s.credit.status == "hit"
                                 and len(s.credit.tradelines) > 2, start=50)
    assert _report(http, sims, other).json()["tradelines"] != first["tradelines"]


def test_a_different_population_seed_gives_other_facts() -> None:
    from simulators.population import Population

    number = Population("a").number(1)
    assert Population("a").subject(number) == Population("a").subject(number)
    assert Population("a").subject(number).full_name != Population("b").subject(number) \
        .full_name or Population("a").subject(number).employer != Population("b").subject(
        number).employer


def test_bureau_requires_permissible_purpose(sims: RunningSimulators, http: httpx.Client) -> None:
    number = _subject_number(sims)
    body = {"national_id": number, "full_name": "x", "purpose": "marketing",
            "consent_reference": "c"}
    assert http.post(sims.urls["bureau"] + "/v1/reports", json=body).status_code == 403
    body.update(purpose="credit_decision", consent_reference="")
    assert http.post(sims.urls["bureau"] + "/v1/reports", json=body).status_code == 403


@pytest.mark.parametrize(("fault", "code"), [("429", 429), ("503", 503), ("500", 500)])
def test_transient_faults_by_header(sims: RunningSimulators, http: httpx.Client,
                                    fault: str, code: int) -> None:
    response = _report(http, sims, _subject_number(sims), **{FAULT_HEADER: fault})
    assert response.status_code == code
    if code == 429:
        assert response.headers["Retry-After"] == "1"


def test_timeout_fault_stalls_past_the_client_deadline(sims: RunningSimulators) -> None:
    # hang 30 s x latency_scale 0.01 = 0.3 s: longer than this client's 0.1 s deadline
    with httpx.Client(timeout=0.1) as client, pytest.raises(httpx.TimeoutException):
        _report(client, sims, _subject_number(sims), **{FAULT_HEADER: "timeout"})


@pytest.mark.parametrize("fault", ["no_hit", "frozen", "multiple_match"])
def test_file_status_faults(sims: RunningSimulators, http: httpx.Client, fault: str) -> None:
    body = _report(http, sims, _subject_number(sims), **{FAULT_HEADER: fault}).json()
    assert body["status"] == fault and body["score"] is None and body["tradelines"] == []


def test_missing_obligations_and_fraud_alert(sims: RunningSimulators, http: httpx.Client) -> None:
    number = _subject_number(sims)
    body = _report(http, sims, number, **{FAULT_HEADER: "missing_obligations"}).json()
    assert body["obligations_known"] is False and body["monthly_obligations"] is None
    body = _report(http, sims, number, **{FAULT_HEADER: "fraud_alert"}).json()
    assert "fraud_alert" in body["fraud_flags"]


def test_identity_registry_matches_and_mismatch_fault(sims: RunningSimulators,
                                                      http: httpx.Client) -> None:
    number = _subject_number(sims)
    s = sims.population.subject(number)
    body = {"national_id": number, "full_name": s.full_name,
            "date_of_birth": s.birth_date.isoformat(), "sex": s.sex}
    url = sims.urls["identity"] + "/v1/identity/verify"
    ok = http.post(url, json=body).json()
    assert ok["status"] == "found" and ok["name_score"] == 1.0 and ok["date_of_birth_match"]
    latin = http.post(url, json={**body, "full_name": s.name_latin.lower()}).json()
    assert latin["name_score"] == 1.0
    bad = http.post(url, json=body, headers={FAULT_HEADER: "identity_mismatch"}).json()
    assert bad["name_score"] < 0.5 and bad["date_of_birth_match"] is False
    invalid = {**body, "national_id": number[:17] + ("0" if number[17] != "0" else "1")}
    assert http.post(url, json=invalid).json()["status"] == "not_found"


def test_subject_rules_force_a_fault_for_one_person(sims: RunningSimulators,
                                                    http: httpx.Client) -> None:
    number = _subject_number(sims)
    other = sims.population.find(lambda s: s.valid and s.credit.status == "hit", start=900)
    sims.set_faults("bureau", subjects={number: "frozen"})
    try:
        assert _report(http, sims, number).json()["status"] == "frozen"
        assert _report(http, sims, other).json()["status"] == "hit"
    finally:
        sims.set_faults("bureau")


def test_admin_endpoints_set_faults_and_enrol(sims: RunningSimulators, http: httpx.Client) -> None:
    url = sims.urls["employment"]
    number = _subject_number(sims)
    config: dict[str, Any] = {"error_rate": 1.0, "error_mix": {"503": 1.0}}
    assert http.put(url + "/_admin/faults", json=config).status_code == 200
    try:
        lookup = {"national_id": number, "stated_employer": ""}
        assert http.post(url + "/v1/employment/lookup", json=lookup).status_code == 503
    finally:
        http.put(url + "/_admin/faults", json={})
    facts = {"employer": "测试科技有限公司", "contribution_base": 12000.0}
    assert http.post(url + "/_admin/enrol", json={"national_id": number, "facts": facts}) \
        .status_code == 200
    got = http.post(url + "/v1/employment/lookup",
                    json={"national_id": number, "stated_employer": "测试科技"}).json()
    assert got["registered_employer"] == "测试科技有限公司" and got["employer_score"] >= 0.85
    # enrolment is shared: the identity registry sees the same subject
    assert sims.population.subject(number).employer == "测试科技有限公司"
    assert http.post(url + "/_admin/enrol", json={"national_id": number,
                                                  "facts": {"valid": False}}).status_code == 400
    stats = http.get(url + "/_admin/stats").json()
    assert stats["503"] >= 1 and stats["requests"] >= 2


def test_sanctions_screening_is_fuzzy_and_uses_birth_date(sims: RunningSimulators,
                                                          http: httpx.Client) -> None:
    entry = sims.apps["sanctions"].state.entries[0]
    url = sims.urls["sanctions"] + "/v1/screen"
    same = http.post(url, json={"full_name": entry.names[1].upper(),
                                "date_of_birth": entry.birth_date.isoformat()}).json()
    assert same["status"] == "match" and same["matches"][0]["entry_id"] == entry.entry_id
    other_day = entry.birth_date.replace(year=entry.birth_date.year - 3)
    cleared = http.post(url, json={"full_name": entry.names[0],
                                   "date_of_birth": other_day.isoformat()}).json()
    assert cleared["status"] == "clear" and cleared["matches"][0]["birth_date_match"] is False
    foreign = next(e for e in sims.apps["sanctions"].state.entries if e.birth_date is None)
    typo = foreign.names[0][:-1] + ("a" if foreign.names[0][-1] != "a" else "e")
    maybe = http.post(url, json={"full_name": typo, "date_of_birth": "1980-01-01"}).json()
    assert maybe["status"] == "potential_match"
    assert http.post(url, json={"full_name": "Nobody Listed"}).json()["status"] == "clear"


def test_rate_limit_answers_429_with_retry_after() -> None:
    settings = default_settings(0.001, rate_limit_rps=1.0)
    for s in settings.values():
        s.rate_limit_burst = 2
    running = start_simulators(settings=settings)
    try:
        with httpx.Client(timeout=5) as client:
            codes = [client.post(running.urls["sanctions"] + "/v1/screen",
                                 json={"full_name": "x"}).status_code for _ in range(4)]
        assert codes[:2] == [200, 200] and codes[2:] == [429, 429]
    finally:
        running.stop()


def test_bureau_idempotency_key_records_one_pull(sims: RunningSimulators,
                                                 http: httpx.Client) -> None:
    number = _subject_number(sims)
    before = sims.gate("bureau").stats["pulls"]
    first = _report(http, sims, number, **{"Idempotency-Key": "application-k:credit_decision"})
    again = _report(http, sims, number, **{"Idempotency-Key": "application-k:credit_decision"})
    assert first.json() == again.json()
    assert sims.gate("bureau").stats["pulls"] == before + 1


def test_start_and_stop_are_quick_and_free_the_ports() -> None:
    started = time.perf_counter()
    running = start_simulators()
    url = running.urls["bureau"]
    running.stop()
    assert time.perf_counter() - started < 5
    with httpx.Client(timeout=1) as client, pytest.raises(httpx.ConnectError):
        client.get(url + "/health")
