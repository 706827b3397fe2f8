from __future__ import annotations

import datetime as dt
import random

import pytest

from simulators.applications import KINDS, CaseFactory
from simulators.faults import LatencyModel
from simulators.population import Population
from simulators.runner import LATENCY
from verification import national_id as nid


def test_subject_facts_agree_with_the_number() -> None:
    population = Population()
    for i in range(200):
        number = population.number(i)
        subject = population.subject(number)
        parsed = nid.parse(number)
        assert subject.valid and subject.birth_date == parsed.birth_date
        assert subject.sex == (parsed.sex.value if parsed.sex else None)
        if subject.contribution_base is not None:
            assert 6821 <= subject.contribution_base <= 35283


def test_population_has_realistic_shares_of_odd_files() -> None:
    population = Population()
    subjects = [population.subject(population.number(i)) for i in range(3000)]
    share = {status: sum(s.credit.status == status for s in subjects) / len(subjects)
             for status in ("hit", "no_hit", "frozen", "multiple_match")}
    assert 0.9 < share["hit"] < 0.98 and 0.01 < share["no_hit"] < 0.06
    assert 0.7 < sum(s.employer is not None for s in subjects) / len(subjects) < 0.95


def test_bureau_latency_model_has_the_long_tail() -> None:
    model: LatencyModel = LATENCY["bureau"]
    rng = random.Random(5)
    samples = sorted(model.sample(rng, 1.0) for _ in range(20_000))
    assert samples[len(samples) // 2] == pytest.approx(0.8, rel=0.08)
    assert samples[int(len(samples) * 0.99)] == pytest.approx(6.0, rel=0.2)
    assert model.quantile(0.99) == pytest.approx(6.0, rel=0.05)
    assert max(model.sample(rng, 0.01) for _ in range(1000)) <= 0.3  # scaled, capped


def test_clean_cases_are_valid_api_applications_and_distinct_people() -> None:
    from api.applications.schemas import ApplicationCreate

    factory = CaseFactory(Population(), seed=1, today=dt.date(2025, 1, 1))
    cases = [factory.clean() for _ in range(50)]
    assert len({c.application["applicant"]["national_id"] for c in cases}) == 50
    for case in cases:
        app = dict(case.application)
        app.pop("bank_card")  # not (yet) a field of the API's application
        ApplicationCreate.model_validate(app)
        assert case.application_id.startswith("application-")


def test_every_kind_can_be_generated() -> None:
    population = Population()
    from simulators.watchlist import build_list

    build_list(population, size=5)
    factory = CaseFactory(population, seed=2, today=dt.date(2025, 1, 1))
    for kind in KINDS:
        case = factory.injected(kind)
        assert case.kind == kind and case.expected == KINDS[kind]
    with pytest.raises(ValueError):
        factory.injected("no_such_kind")
