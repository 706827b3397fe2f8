"""Retraining from outcomes goes through the promotion gate and is recorded."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from risk.errors import DataError, MissingFeatureError
from risk.features import PERSONAL_COLUMNS
from risk.promotion import install_initial
from risk.registry import ModelRegistry
from risk.retrain import retrain_from_outcomes
from risk.train import TrainOptions, prepare, train


def _registry(tmp_path: Path, learn: pd.DataFrame) -> ModelRegistry:
    opts = TrainOptions(target="default", fast=True, columns=PERSONAL_COLUMNS[:3])
    registry = ModelRegistry(tmp_path)
    version = registry.register("personal", train(prepare(learn, opts, "first", "x"), opts))
    install_initial(registry, "personal", version.version, actor="test")
    return registry


def test_retrain_from_outcomes(tmp_path: Path, german_frame: pd.DataFrame) -> None:
    registry = _registry(tmp_path, german_frame.iloc[:400])
    outcomes = german_frame.iloc[400:][[*PERSONAL_COLUMNS[:3], "default"]].copy()
    outcomes["decided_at"] = pd.date_range("2024-01-01", periods=len(outcomes), freq="h")
    lines: list[str] = []
    result = retrain_from_outcomes(registry, "personal", outcomes, fast=True,
                                   actor="schedule", progress=lines.append)
    assert result.holdout_rows == 150 and result.training_rows == 450
    assert result.version.version == 2
    assert result.version.metadata["retrain"]["outcome_rows"] == 600
    last = registry.promotions("personal")[-1]
    assert last["challenger"] == 2 and last["actor"] == "schedule"
    assert last["promoted"] == result.decision.promoted
    champion = registry.champion("personal")
    assert champion is not None
    assert champion.version == (2 if result.decision.promoted else 1)
    assert any("holdout AUC" in line for line in lines)


def test_retrain_rejects_bad_outcomes(tmp_path: Path, german_frame: pd.DataFrame) -> None:
    registry = _registry(tmp_path, german_frame.iloc[:400])
    with pytest.raises(MissingFeatureError, match="'duration_in_month'"):
        retrain_from_outcomes(registry, "personal",
                              german_frame[["status_of_existing_checking_account", "default"]])
    with pytest.raises(DataError, match="too few"):
        retrain_from_outcomes(registry, "personal", german_frame.iloc[:40])
    with pytest.raises(DataError, match="no outcome rows"):
        retrain_from_outcomes(registry, "personal", [])
