"""Scoring: one row gives exactly what a batch gives, reasons come from the applicant's
own SHAP values and the catalogue, and bad rows get errors naming the feature."""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

from risk import metrics, reason_codes
from risk.errors import DataError, MissingFeatureError, UnknownFeatureError
from risk.features import PERSONAL_COLUMNS, FeatureConfig, personal_features
from risk.registry import ModelRegistry
from risk.scoring import MAX_REASONS, Scorer, shadow_score


@pytest.fixture(scope="module")
def personal(shipped_registry: ModelRegistry) -> Scorer:
    return Scorer(shipped_registry.get("personal"))


def _rows(frame: pd.DataFrame, n: int) -> list[dict[str, Any]]:
    return [{c: r[c] for c in PERSONAL_COLUMNS} for r in frame.head(n).to_dict("records")]


def test_single_row_equals_batch(personal: Scorer, german_frame: pd.DataFrame) -> None:
    rows = _rows(german_frame, 100)  # a batch this size goes through a DataFrame
    batch = personal.score_batch(rows)
    singles = [personal.score(r) for r in rows]
    assert singles == batch  # pd, score, grade, reasons: all identical
    frame_pd = personal.predict_pd(pd.DataFrame(rows))
    assert np.array_equal(frame_pd, np.array([r.pd for r in batch]))
    assert len({r.grade for r in batch}) > 1  # the model separates applicants


def test_reasons_are_own_risk_raising_shap_in_catalogue(personal: Scorer,
                                                        german_frame: pd.DataFrame) -> None:
    rows = _rows(german_frame, 60)
    results = personal.score_batch(rows)
    assert all(len(r.reasons) <= MAX_REASONS for r in results)
    assert any(len(r.reasons) == MAX_REASONS for r in results)
    catalogue = reason_codes.all_codes()
    frame = personal._columns(rows)
    shap = personal._explainer.shap_values(personal._pool(frame))  # type: ignore[union-attr]
    for i, result in enumerate(results):
        contributions = [r.contribution for r in result.reasons]
        assert contributions == sorted(contributions, reverse=True)
        assert len({r.code for r in result.reasons}) == len(result.reasons)
        for reason in result.reasons:
            assert reason.contribution > 0
            assert catalogue[reason.code] == reason.text
            assert reason.code != reason_codes.FALLBACK
            for feature in reason.features:
                assert shap[i, list(frame).index(feature)] > 0
        # SHAP adds up to the model's own log-odds for this applicant
        assert shap[i].sum() + personal._explainer.expected_value == pytest.approx(result.raw)


def test_score_scale_and_grades(personal: Scorer, german_frame: pd.DataFrame) -> None:
    for r in personal.score_batch(_rows(german_frame, 30), reasons=False):
        expected = metrics.score_from_pd(np.array([r.pd]))[0]
        assert abs(r.score - expected) <= 0.5
        assert r.grade == metrics.grade_from_score(r.score)
    assert metrics.score_from_pd(np.array([1 / 51]))[0] == pytest.approx(600)
    assert metrics.score_from_pd(np.array([1 / 101]))[0] == pytest.approx(620)
    assert [metrics.grade_from_score(s) for s in (600, 560, 530, 510, 400)] == list("ABCDE")


def test_bad_rows_name_the_feature(personal: Scorer, application: dict[str, Any]) -> None:
    row = personal_features(application, None, None, FeatureConfig(as_of="2025-01-01"))
    personal.score(row)
    missing = {k: v for k, v in row.items() if k != "housing"}
    with pytest.raises(MissingFeatureError, match="missing feature 'housing'"):
        personal.score(missing)
    with pytest.raises(UnknownFeatureError, match="unknown feature 'shoe_size'"):
        personal.score({**row, "shoe_size": 42})
    with pytest.raises(MissingFeatureError, match="'credit_amount'"):
        personal.score({**row, "credit_amount": None})  # required
    with pytest.raises(DataError, match="'duration_in_month' must be a number"):
        personal.score({**row, "duration_in_month": "long"})
    # an optional category may be missing: it is scored as unknown
    assert 0 < personal.score({**row, "credit_history": None}).pd < 1


def test_business_model_requires_a_bureau_score(shipped_registry: ModelRegistry,
                                                application: dict[str, Any]) -> None:
    from risk.features import lending_features

    scorer = Scorer(shipped_registry.get("business"))
    with pytest.raises(MissingFeatureError, match="'fico'"):
        scorer.score(lending_features(application, None, {"status": "frozen"}))


def test_shadow_scoring_logs_and_never_raises(personal: Scorer, german_frame: pd.DataFrame,
                                              caplog: pytest.LogCaptureFixture) -> None:
    row = _rows(german_frame, 1)[0]
    champion = personal.score(row)
    with caplog.at_level(logging.INFO, logger="loanflow.risk.shadow"):
        shadow = shadow_score(personal, row, champion, application_id="application-1")
        broken = shadow_score(personal, {"nope": 1}, champion, application_id="application-2")
    assert shadow is not None and shadow.pd == champion.pd
    assert broken is None
    events = [json.loads(r.getMessage()) for r in caplog.records]
    assert [e["event"] for e in events] == ["shadow_score", "shadow_failed"]
    assert events[0]["application_id"] == "application-1"
