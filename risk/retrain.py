"""Retraining from outcomes: decisions joined with repayment outcomes become training rows
for a challenger, which is promoted only through the same gate as any other model.

The Temporal Schedule that runs this (e.g. monthly) belongs to the workflow side; it
passes the joined rows in. Each row carries the feature row the champion scored (the
model's input columns), the observed outcome (`target`, 1 = defaulted) and, ideally, the
decision time. The newest rows are held out (an out-of-time test, the way the model will
be used); the challenger learns from the older ones, plus the champion's original data when
`base_data` is given.

Outcomes exist only for approved applications: a model retrained on them alone learns
nothing about the declined (reject inference). Keeping `base_data` in the mix limits this;
the promotion log records what each challenger was trained on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from risk.errors import DataError, MissingFeatureError
from risk.promotion import MIN_HOLDOUT_ROWS, PromotionDecision, promote
from risk.registry import ModelRegistry, ModelVersion
from risk.train import TrainOptions, prepare, read_csv, train

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RetrainResult:
    version: ModelVersion
    decision: PromotionDecision
    training_rows: int
    holdout_rows: int


def _quiet(_: str) -> None:
    return None


def retrain_from_outcomes(
    registry: ModelRegistry,
    name: str,
    outcomes: pd.DataFrame | Sequence[Mapping[str, Any]],
    *,
    target: str = "default",
    time_column: str = "decided_at",
    base_data: str | Path | None = None,
    holdout_fraction: float = 0.25,
    min_gain: float = 0.0,
    fast: bool = False,
    actor: str = "retrain-schedule",
    progress: Progress = _quiet,
) -> RetrainResult:
    champion = registry.get(name)
    features: list[str] = list(champion.metadata["features"])
    frame = outcomes.copy() if isinstance(outcomes, pd.DataFrame) else pd.DataFrame(list(outcomes))
    if frame.empty:
        raise DataError(f"no outcome rows to retrain '{name}' on")
    if target not in frame.columns:
        raise DataError(f"target column '{target}' not found in the outcome rows")
    for col in features:
        if col not in frame.columns:
            raise MissingFeatureError(col, f"{name} v{champion.version}")
    if time_column in frame.columns:
        frame = frame.sort_values(time_column, kind="stable")
    n_hold = max(MIN_HOLDOUT_ROWS, round(len(frame) * holdout_fraction))
    if n_hold >= len(frame):
        raise DataError(f"{len(frame)} outcome rows are too few: the holdout alone needs {n_hold}")
    holdout = frame.iloc[-n_hold:].reset_index(drop=True)
    learn = frame.iloc[:-n_hold][[*features, target]]
    if base_data is not None:
        base = read_csv(base_data)
        missing = [c for c in [*features, target] if c not in base.columns]
        if missing:
            raise DataError(f"unknown column '{missing[0]}': not in base data {base_data}")
        learn = pd.concat([base[[*features, target]], learn], ignore_index=True)
    learn = learn.reset_index(drop=True)
    digest = hashlib.sha256(pd.util.hash_pandas_object(learn, index=False).to_numpy()
                            .tobytes()).hexdigest()
    options = TrainOptions(target=target, columns=features,
                           required=tuple(champion.metadata.get("required", [])), fast=fast)
    progress(f"retraining '{name}' on {len(learn)} rows; holding out the newest {n_hold}")
    result = train(prepare(learn, options, "outcomes", digest), options, progress)
    keep_meta: dict[str, Any] = {k: champion.metadata[k] for k in ("model_kind", "feature_config")
                 if k in champion.metadata}
    version = registry.register(
        name, result, dataset=f"{champion.metadata['data'].get('dataset', '')} + outcomes",
        trained_by="retrain_from_outcomes",
        extra={**keep_meta, "retrain": {"outcome_rows": len(frame), "holdout_rows": n_hold,
                                        "base_data": str(base_data) if base_data else None,
                                        "champion_at_start": champion.version}},
    )
    registry.set_challenger(name, version.version)
    decision = promote(registry, name, version.version, holdout, target=target,
                       min_gain=min_gain, actor=actor)
    progress(decision.reason + (" -> promoted" if decision.promoted else " -> kept champion"))
    return RetrainResult(version, decision, len(learn), n_hold)
