"""The scoring activity in an ActivityEnvironment: scores with reasons, and routes to a
person (non-retryable ScoringUnavailable) whenever it cannot score."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.scoring import ScoringActivities
from risk import reason_codes
from risk.registry import ModelRegistry
from tests.risk.support import APPLICATION, BUREAU, shipped_registry
from workflows.types import ServiceTaskInput

__all__ = ["shipped_registry"]  # the session fixture, shared with tests/risk


def _input(application: dict[str, Any], **extra: Any) -> ServiceTaskInput:
    return ServiceTaskInput(application_id="application-1", workflow_id="wf-1",
                            element_id="score", data={"application": application, **extra})


async def _run(acts: ScoringActivities, inp: ServiceTaskInput) -> dict[str, Any]:
    result = await ActivityEnvironment().run(acts.score_application, inp)
    out: dict[str, Any] = result.output["score"]
    return out


async def test_scores_a_personal_application(shipped_registry: ModelRegistry) -> None:
    acts = ScoringActivities(shipped_registry)
    out = await _run(acts, _input(copy.deepcopy(APPLICATION), bureau=copy.deepcopy(BUREAU)))
    assert out["model"] == "personal" and out["model_version"] == "v1"
    assert 0 < out["pd"] < 1 and out["grade"] in "ABCDE" and out["band"] == out["grade"]
    assert 300 < out["score"] < 800
    assert 1 <= len(out["reasons"]) <= 4
    catalogue = reason_codes.all_codes()
    for reason in out["reasons"]:
        assert catalogue[reason["code"]] == reason["text"] and reason["contribution"] > 0
    json.dumps(out)  # travels as process data


async def test_business_needs_a_bureau_score(shipped_registry: ModelRegistry) -> None:
    acts = ScoringActivities(shipped_registry)
    app = copy.deepcopy(APPLICATION)
    app.update(loan_type="business", business={
        "company_name": "X", "registration_number": "1", "industry": "retail",
        "years_trading": 3, "annual_revenue": 1e6})
    out = await _run(acts, _input(app, bureau=copy.deepcopy(BUREAU)))
    assert out["model"] == "business"
    with pytest.raises(ApplicationError) as err:
        await _run(acts, _input(app, bureau={"status": "frozen"}))
    assert err.value.type == "ScoringUnavailable" and err.value.non_retryable
    assert "'fico'" in str(err.value) and "Wang" not in str(err.value)


@pytest.mark.parametrize("data", [
    {},  # no application at all
    {"application": {**APPLICATION, "loan_type": "mortgage"}},
    {"application": {k: v for k, v in APPLICATION.items() if k != "term_months"}},
    {"application": APPLICATION, "bureau": "not an object"},
])
async def test_unscorable_goes_to_a_person(shipped_registry: ModelRegistry,
                                           data: dict[str, Any]) -> None:
    acts = ScoringActivities(shipped_registry)
    inp = ServiceTaskInput(application_id="a", workflow_id="w", element_id="score", data=data)
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(acts.score_application, inp)
    assert err.value.type == "ScoringUnavailable" and err.value.non_retryable


async def test_no_model_is_unavailable(tmp_path: Path) -> None:
    acts = ScoringActivities(ModelRegistry(tmp_path))
    with pytest.raises(ApplicationError) as err:
        await _run(acts, _input(copy.deepcopy(APPLICATION)))
    assert err.value.type == "ScoringUnavailable" and "no champion" in str(err.value)


async def test_challenger_scores_in_shadow(tmp_path: Path, shipped_registry: ModelRegistry,
                                           caplog: pytest.LogCaptureFixture) -> None:
    import shutil

    shutil.copytree(shipped_registry.root / "personal", tmp_path / "personal")
    registry = ModelRegistry(tmp_path)
    shutil.copytree(tmp_path / "personal" / "v0001", tmp_path / "personal" / "v0002")
    registry.set_challenger("personal", 2)
    acts = ScoringActivities(registry)
    with caplog.at_level(logging.INFO, logger="loanflow.risk.shadow"):
        out = await _run(acts, _input(copy.deepcopy(APPLICATION), bureau=copy.deepcopy(BUREAU)))
    assert out["model_version"] == "v1"  # the champion decides
    shadow = [json.loads(r.getMessage()) for r in caplog.records]
    assert shadow and shadow[0]["event"] == "shadow_score" and shadow[0]["challenger"] == "v2"
    assert shadow[0]["challenger_pd"] == out["pd"]
