"""The retraining activity: what the champion scored (`ScoreSnapshot`) joined with how the
loans turned out (`LoanOutcome`) becomes outcome rows; `risk.retrain.retrain_from_outcomes`
trains a challenger on the model's original data plus the older outcome rows and lets the
promotion gate decide on the newest ones (out of time). Every decision, promoted or not,
lands in the registry's promotion log.

Nothing is trained when the rows cannot support a decision: fewer than `min_outcome_rows`,
or a holdout without enough defaults and repayments. The result says why, per model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select
from temporalio import activity

from risk.defaults import SPEC_BY_NAME
from risk.errors import RiskError
from risk.features import MISSING
from risk.promotion import MIN_HOLDOUT_EACH_CLASS, MIN_HOLDOUT_ROWS
from risk.registry import DEFAULT_DATA, ModelRegistry
from risk.retrain import retrain_from_outcomes
from store.models import LoanOutcome, ScoreSnapshot
from workflows.types import ModelRetrainReport, RetrainModelsInput, RetrainModelsResult

TARGET = "default"
TIME = "decided_at"
HOLDOUT_FRACTION = 0.25  # as risk.retrain: the newest quarter decides the promotion


def _progress(message: str) -> None:
    if activity.in_activity():
        activity.heartbeat(message)


class RetrainingActivities:
    def __init__(self, registry: ModelRegistry, sessions: Callable[[], Session],
                 data_dir: str | Path | None = DEFAULT_DATA) -> None:
        self._registry = registry
        self._sessions = sessions
        self._data_dir = Path(data_dir) if data_dir is not None else None

    def outcome_rows(self, model: str) -> pd.DataFrame:
        """Snapshots of `model` with a known outcome, oldest first, in the model's columns."""
        with self._sessions() as s:
            pairs = s.exec(
                select(ScoreSnapshot, LoanOutcome)
                .where(ScoreSnapshot.application_id == LoanOutcome.application_id)
                .where(ScoreSnapshot.model == model)
                .order_by(col(ScoreSnapshot.created_at), col(ScoreSnapshot.id))
            ).all()
        rows: list[dict[str, Any]] = [
            {**json.loads(snap.features), TARGET: int(out.defaulted),
             TIME: snap.created_at.isoformat()}
            for snap, out in pairs
        ]
        return pd.DataFrame(rows)

    def _typed(self, frame: pd.DataFrame, cat_features: list[str]) -> pd.DataFrame:
        """Undo the JSON: null is NaN in a number column and 'missing' in a category."""
        for column in frame.columns:
            if column in (TARGET, TIME):
                continue
            if column in cat_features:
                frame[column] = frame[column].where(frame[column].notna(), MISSING).astype(str)
            else:
                frame[column] = pd.to_numeric(frame[column], errors="coerce")
        return frame

    def _base_data(self, model: str) -> Path | None:
        spec = SPEC_BY_NAME.get(model)
        if spec is None or self._data_dir is None:
            return None
        path = self._data_dir / spec.data_file
        return path if path.is_file() else None

    @staticmethod
    def _refusal(frame: pd.DataFrame, minimum: int) -> str | None:
        """Why these rows cannot support a promotion decision, or None."""
        n = len(frame)
        if n < minimum:
            return f"{n} outcome rows, fewer than the {minimum} needed: nothing trained"
        n_hold = max(MIN_HOLDOUT_ROWS, round(n * HOLDOUT_FRACTION))
        if n_hold >= n:
            return f"{n} outcome rows are too few for a holdout of {n_hold}: nothing trained"
        held = frame.sort_values(TIME, kind="stable")[TARGET].iloc[-n_hold:]
        defaults = int(held.sum())
        if min(defaults, n_hold - defaults) < MIN_HOLDOUT_EACH_CLASS:
            return (f"the newest {n_hold} outcome rows hold {defaults} defaults and "
                    f"{n_hold - defaults} repayments; a promotion decision needs "
                    f"{MIN_HOLDOUT_EACH_CLASS} of each: nothing trained")
        return None

    def retrain_one(self, model: str, inp: RetrainModelsInput) -> ModelRetrainReport:
        champion = self._registry.champion(model)
        if champion is None:
            return ModelRetrainReport(model, "skipped", "no champion to challenge")
        frame = self.outcome_rows(model)
        report = ModelRetrainReport(model, "skipped", "", outcome_rows=len(frame),
                                    champion_version=champion.version)
        refusal = self._refusal(frame, inp.min_outcome_rows)
        if refusal is not None:
            report.reason = refusal
            return report
        frame = self._typed(frame, list(champion.metadata.get("cat_features", [])))
        try:
            done = retrain_from_outcomes(
                self._registry, model, frame, target=TARGET, time_column=TIME,
                base_data=self._base_data(model), holdout_fraction=HOLDOUT_FRACTION,
                fast=inp.fast, actor=inp.actor, progress=_progress)
        except RiskError as exc:  # a column the champion needs is gone, bad data: say so
            report.action, report.reason = "failed", str(exc)
            return report
        d = done.decision
        report.action = "promoted" if d.promoted else "kept_champion"
        report.reason = d.reason
        report.training_rows, report.holdout_rows = done.training_rows, done.holdout_rows
        report.challenger_version = done.version.version
        report.challenger_auc, report.champion_auc, report.gain = (
            d.challenger_auc, d.champion_auc, d.gain)
        report.promoted = d.promoted
        return report

    @activity.defn(name="retrain_models")
    def retrain_models(self, inp: RetrainModelsInput) -> RetrainModelsResult:
        """Blocking (training): runs on the worker's thread pool and heartbeats progress."""
        names = inp.models or self._registry.names()
        return RetrainModelsResult([self.retrain_one(name, inp) for name in names])
