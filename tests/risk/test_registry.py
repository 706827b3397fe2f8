"""The registry round-trips a model with its metadata; promotion needs a win on held-out
rows, and every decision is recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk.errors import DataError, ModelNotFoundError, RiskError
from risk.promotion import install_initial, promote
from risk.registry import ModelRegistry
from risk.scoring import Scorer
from risk.train import TrainOptions, TrainResult, prepare, train

WEAK = ["telephone", "present_residence_since"]


def _train(frame: pd.DataFrame, columns: list[str] | None = None) -> TrainResult:
    opts = TrainOptions(target="default", fast=True, columns=columns)
    return train(prepare(frame, opts, "german[:700]", "sha-test"), opts)


@pytest.fixture(scope="module")
def split(german_frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    shuffled = german_frame.sample(frac=1.0, random_state=5).reset_index(drop=True)
    return shuffled.iloc[:700].reset_index(drop=True), shuffled.iloc[700:].reset_index(drop=True)


def test_round_trip(tmp_path: Path, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    learn, _ = split
    result = _train(learn)
    registry = ModelRegistry(tmp_path)
    v1 = registry.register("personal", result, dataset="German credit")
    v2 = registry.register("personal", result)
    assert (v1.version, v2.version) == (1, 2)
    loaded = registry.get("personal", 1)
    meta = loaded.metadata
    assert meta["data"]["sha256"] == "sha-test" and meta["data"]["rows"] == 700
    assert meta["features"] == result.features and meta["cat_features"] == result.cat_features
    assert set(meta["cv"]["auc"]) == {"mean", "std"} and len(meta["cv"]["per_fold"]) == 5
    assert {"brier", "ece", "a", "b"} <= set(meta["calibration"])
    assert meta["training_seconds"] > 0 and meta["code_version"]
    assert meta["params"]["iterations"] == 60
    expected = result.model.predict_proba(result.dataset.frame.assign(
        x_monthly_amount=result.dataset.frame["credit_amount"]
        / result.dataset.frame["duration_in_month"]).iloc[:50])[:, 1]
    got = loaded.load_model().predict_proba(result.dataset.frame.assign(
        x_monthly_amount=result.dataset.frame["credit_amount"]
        / result.dataset.frame["duration_in_month"]).iloc[:50])[:, 1]
    assert np.array_equal(expected, got)
    assert registry.names() == ["personal"]
    with pytest.raises(ModelNotFoundError):
        registry.get("personal")  # no champion yet
    with pytest.raises(ModelNotFoundError):
        registry.get("personal", 9)
    with pytest.raises(RiskError, match="invalid model name"):
        registry.get("../etc", 1)


def test_promotion_needs_a_win_on_holdout(tmp_path: Path,
                                          split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    learn, holdout = split
    registry = ModelRegistry(tmp_path)
    weak = registry.register("personal", _train(learn, WEAK))
    strong = registry.register("personal", _train(learn))
    weaker = registry.register("personal", _train(learn, WEAK[:1]))
    install_initial(registry, "personal", weak.version, actor="test")
    with pytest.raises(RiskError, match="already has a champion"):
        install_initial(registry, "personal", strong.version, actor="test")

    registry.set_challenger("personal", strong.version)
    decision = promote(registry, "personal", strong.version, holdout, actor="test")
    assert decision.promoted and decision.gain is not None and decision.gain > 0
    assert decision.champion == weak.version and decision.holdout_rows == 300
    champion = registry.champion("personal")
    assert champion is not None and champion.version == strong.version
    assert registry.challenger("personal") is None  # the challenger moved up

    rejected = promote(registry, "personal", weaker.version, holdout, actor="test")
    assert not rejected.promoted
    champion = registry.champion("personal")
    assert champion is not None and champion.version == strong.version

    log = registry.promotions("personal")
    assert [(r["challenger"], r["promoted"]) for r in log] == [
        (weak.version, True), (strong.version, True), (weaker.version, False)]
    assert all(r["at"] and r["reason"] and r["actor"] == "test" for r in log)
    assert log[1]["holdout_sha256"] and log[1]["gain_ci95"][0] < log[1]["gain_ci95"][1]


def test_promotion_refuses_a_tiny_or_incomplete_holdout(
        tmp_path: Path, split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    learn, holdout = split
    registry = ModelRegistry(tmp_path)
    a = registry.register("m", _train(learn, WEAK))
    b = registry.register("m", _train(learn))
    install_initial(registry, "m", a.version, actor="test")
    with pytest.raises(DataError, match="holdout too small"):
        promote(registry, "m", b.version, holdout.head(20))
    with pytest.raises(DataError, match="target column 'default' not found"):
        promote(registry, "m", b.version, holdout.drop(columns=["default"]))
    from risk.errors import MissingFeatureError

    with pytest.raises(MissingFeatureError, match="'purpose'"):
        promote(registry, "m", b.version, holdout.drop(columns=["purpose"]))
    assert registry.promotions("m")[-1]["challenger"] == a.version  # nothing recorded


def test_scorer_serves_a_registered_version(tmp_path: Path,
                                            split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    learn, holdout = split
    registry = ModelRegistry(tmp_path)
    version = registry.register("personal", _train(learn))
    scorer = Scorer(version)
    pds = scorer.predict_pd(holdout.drop(columns=["default"]))
    assert pds.shape == (300,) and ((pds > 0) & (pds < 1)).all()
