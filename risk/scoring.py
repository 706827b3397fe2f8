"""Scoring with reasons: PD, score, grade and the principal reasons from this applicant's
own SHAP contributions, for one row or a batch, through one code path.

A row is a mapping from the model's raw input columns (as `risk.features` builds them, or
as the training CSV names them) to values. Derived columns are added here, as in training.
A row must carry every input column (None is allowed and means missing, except for the
model's required columns) and nothing else: an unknown column is a skew bug, not noise.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from catboost import Pool

from risk import derived, metrics, reason_codes
from risk.errors import DataError, MissingFeatureError, UnknownFeatureError
from risk.explain import TreeExplainer
from risk.registry import ModelVersion

MAX_REASONS = 4
_SMALL_BATCH = 32
Array = npt.NDArray[np.float64]
shadow_log = logging.getLogger("loanflow.risk.shadow")


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    contribution: float  # log-odds the reason added to this applicant's risk
    features: tuple[str, ...]


@dataclass(frozen=True)
class ScoreResult:
    pd: float
    score: int
    grade: str
    model_name: str
    model_version: str
    reasons: tuple[Reason, ...]
    reason_catalogue: str
    raw: float  # the model's log-odds before calibration

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["pd"] = round(self.pd, 6)
        out["reasons"] = [
            {"code": r.code, "text": r.text, "contribution": round(r.contribution, 4),
             "features": list(r.features)}
            for r in self.reasons
        ]
        return out


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class Scorer:
    """One model version, loaded once: thread-safe for concurrent `score` calls."""

    def __init__(self, version: ModelVersion, *, explain: bool = True) -> None:
        meta = version.metadata
        self.name = version.name
        self.version = version.label
        self.metadata = meta
        self.features: list[str] = list(meta["features"])
        self.derived: list[str] = list(meta["derived"])
        self.categorical = set(meta["cat_features"])
        self.required: list[str] = list(meta.get("required", []))
        self.calibration = metrics.Platt(meta["calibration"]["a"], meta["calibration"]["b"])
        self.model = version.load_model()
        self._cat_index = [i for i, c in enumerate(self.features) if c in self.categorical]
        self._explainer = TreeExplainer(self.model) if explain else None
        self._feature_set = set(self.features)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    # --- input checks --------------------------------------------------------------------

    def check_columns(self, columns: Sequence[str]) -> None:
        present = set(columns)
        for col in columns:
            if col not in self._feature_set:
                raise UnknownFeatureError(col, self.label)
        for col in self.features:
            if col not in present:
                raise MissingFeatureError(col, self.label)

    def _columns(self, rows: Sequence[Mapping[str, Any]] | pd.DataFrame) -> dict[str, Any]:
        """Checked, typed input columns plus the derived ones, in the model's order."""
        if isinstance(rows, pd.DataFrame):
            self.check_columns([str(c) for c in rows.columns])
            source: dict[str, Any] = {c: rows[c].to_numpy() for c in self.features}
        else:
            for row in rows:
                self.check_columns(list(row))
            source = {c: [row[c] for row in rows] for c in self.features}
        columns: dict[str, Any] = {}
        for col in self.features:
            values = source[col]
            if col in self.categorical:
                columns[col] = np.array(
                    ["missing" if _is_missing(v) else str(v) for v in values], dtype=object)
            elif isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
                columns[col] = values.astype(np.float64)  # a numeric DataFrame column
            else:
                try:
                    columns[col] = np.array(
                        [np.nan if v is None else v for v in values], dtype=np.float64)
                except (TypeError, ValueError) as exc:
                    raise DataError(f"feature '{col}' must be a number for {self.label}") from exc
        for col in self.required:
            values = columns[col]
            if col in self.categorical:
                if np.any(values == "missing"):
                    raise MissingFeatureError(col, self.label)
            elif np.isnan(values).any():
                raise MissingFeatureError(col, self.label)
        columns.update(derived.compute(columns, self.derived))
        return columns

    def _pool(self, columns: dict[str, Any]) -> Pool:
        """The same values whatever the number of rows; only the container differs, by
        cost: a float matrix for numeric models, a list of rows for a few mixed rows (no
        DataFrame overhead on the single-application path), a DataFrame for many."""
        if not self._cat_index:
            return Pool(np.column_stack(list(columns.values())))
        n_rows = len(next(iter(columns.values())))
        if n_rows <= _SMALL_BATCH:
            return Pool([list(row) for row in zip(*columns.values(), strict=True)],
                        cat_features=self._cat_index)
        return Pool(pd.DataFrame(columns), cat_features=self._cat_index)

    # --- scoring -------------------------------------------------------------------------

    def predict_raw(self, rows: Sequence[Mapping[str, Any]] | pd.DataFrame) -> Array:
        pool = self._pool(self._columns(rows))
        return np.asarray(self.model.predict(pool, prediction_type="RawFormulaVal"),
                          dtype=np.float64)

    def predict_pd(self, rows: Sequence[Mapping[str, Any]] | pd.DataFrame) -> Array:
        """Calibrated PDs only: the fast path for portfolios and holdout sets."""
        return self.calibration(self.predict_raw(rows))

    def score_batch(
        self, rows: Sequence[Mapping[str, Any]] | pd.DataFrame, *, reasons: bool = True
    ) -> list[ScoreResult]:
        columns = self._columns(rows)
        pool = self._pool(columns)
        raw = np.asarray(self.model.predict(pool, prediction_type="RawFormulaVal"),
                         dtype=np.float64)
        pds = self.calibration(raw)
        scores = np.rint(metrics.score_from_pd(pds)).astype(int)
        shap = self._explainer.shap_values(pool) if reasons and self._explainer else None
        names = list(columns)
        out: list[ScoreResult] = []
        for i in range(len(raw)):
            top = self._reasons(names, shap[i]) if shap is not None else ()
            out.append(ScoreResult(
                pd=float(pds[i]), score=int(scores[i]),
                grade=metrics.grade_from_score(float(scores[i])), model_name=self.name,
                model_version=self.version, reasons=top,
                reason_catalogue=reason_codes.CATALOGUE_VERSION, raw=float(raw[i]),
            ))
        return out

    def score(self, row: Mapping[str, Any], *, reasons: bool = True) -> ScoreResult:
        return self.score_batch([row], reasons=reasons)[0]

    @staticmethod
    def _reasons(names: Sequence[str], contributions: Array) -> tuple[Reason, ...]:
        """Top reasons among the features that pushed this applicant's risk up."""
        by_code: dict[str, list[tuple[str, float]]] = {}
        for name, value in zip(names, contributions, strict=True):
            if value > 0:
                by_code.setdefault(reason_codes.reason_for(name).code, []).append((name, value))
        ranked = sorted(by_code.items(), key=lambda item: -sum(v for _, v in item[1]))
        return tuple(
            Reason(code, reason_codes.text_of(code), float(sum(v for _, v in parts)),
                   tuple(n for n, _ in sorted(parts, key=lambda p: -p[1])))
            for code, parts in ranked[:MAX_REASONS]
        )


def shadow_score(
    challenger: Scorer, row: Mapping[str, Any], champion: ScoreResult, *, application_id: str
) -> ScoreResult | None:
    """Score with the challenger and log the comparison; never raises, never decides.
    The log line carries opaque ids and numbers only, no personal data."""
    try:
        result = challenger.score(row, reasons=False)
    except Exception as exc:  # a broken challenger must not touch the live decision
        shadow_log.warning(json.dumps({
            "event": "shadow_failed", "application_id": application_id,
            "challenger": challenger.label, "error": type(exc).__name__,
        }))
        return None
    shadow_log.info(json.dumps({
        "event": "shadow_score",
        "application_id": application_id,
        "model": champion.model_name,
        "champion": champion.model_version,
        "champion_pd": round(champion.pd, 6),
        "champion_grade": champion.grade,
        "challenger": result.model_version,
        "challenger_pd": round(result.pd, 6),
        "challenger_grade": result.grade,
    }))
    return result
