"""Train CatBoost on any tabular credit CSV: columns typed, derived ratios added, stratified
k-fold cross-validation (AUC, KS, Gini with their spread), PDs calibrated on out-of-fold
predictions, and a final model fitted on all rows.

The parameter recipe, chosen once for all three shipped data sets rather than per data set
(fewer choices fitted to the CV folds): depth 6, L2 10, 1,000 trees; learning rate 0.01
below 20,000 rows and 0.03 above (a slower rate regularises small data); categories with
up to 16 values one-hot encoded below 5,000 rows (CatBoost's target statistics are noisy
when a category has only a few dozen rows).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from catboost import CatBoostClassifier, Pool
from sklearn.model_selection import StratifiedKFold

from risk import derived, metrics
from risk.errors import DataError

Progress = Callable[[str], None]
Array = npt.NDArray[np.float64]

_POSITIVE = {"1", "1.0", "true", "yes", "y", "bad", "default", "defaulted"}


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class TrainOptions:
    target: str = "default"
    columns: Sequence[str] | None = None  # features to use; default all but target/excluded
    exclude: Sequence[str] = ()
    keep: Sequence[str] = ()  # kept beside out-of-fold predictions (fairness), not features
    required: Sequence[str] = ()  # a row without them cannot be scored
    folds: int = 5
    seed: int = 0
    fast: bool = False  # few trees: for tests and first-start smoke runs
    baseline: bool = False  # CatBoost defaults, no derived columns: the comparison point
    params: Mapping[str, Any] = field(default_factory=dict)
    threads: int = 2
    max_rows: int | None = None  # stratified subsample (fast mode on large data)


@dataclass
class Dataset:
    frame: pd.DataFrame  # features only (raw columns)
    y: npt.NDArray[np.int64]
    numeric: list[str]
    categorical: list[str]
    kept: pd.DataFrame
    sha256: str
    source: str
    positive_label: str
    dropped: dict[str, str]


@dataclass
class CVResult:
    folds: list[dict[str, float]]
    raw_oof: Array
    fold_of_row: npt.NDArray[np.int64]
    seconds: float

    def summary(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for key in ("auc", "ks", "gini"):
            values = np.array([f[key] for f in self.folds])
            out[key] = {"mean": float(values.mean()), "std": float(values.std(ddof=1))}
        return out


@dataclass
class TrainResult:
    model: CatBoostClassifier
    dataset: Dataset
    features: list[str]  # raw input columns a row must carry
    derived: list[str]
    cat_features: list[str]
    params: dict[str, Any]
    cv: CVResult
    calibration: metrics.Platt
    calibration_report: dict[str, float]
    oof: pd.DataFrame
    importance: dict[str, float]
    training_seconds: float
    options: TrainOptions


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_csv(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    if path.stat().st_size == 0:
        raise DataError(f"data file is empty: {path}")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"data file is empty: {path}") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"data file {path} is not a readable CSV: {exc}") from exc
    if frame.empty:
        raise DataError(f"data file has a header but no rows: {path}")
    return frame


def _binary_target(series: pd.Series, target: str, folds: int) -> tuple[npt.NDArray[np.int64], str]:
    if series.isna().any():
        raise DataError(f"target column '{target}' has {int(series.isna().sum())} empty values")
    values = sorted({str(v) for v in series.unique()})
    if len(values) < 2:
        raise DataError(
            f"target column '{target}' is constant (every row is {values[0]!r}); "
            "training needs both outcomes"
        )
    if len(values) > 2:
        shown = ", ".join(values[:6])
        raise DataError(
            f"target column '{target}' must have two values; found {len(values)}: {shown}")
    positives = [v for v in values if v.lower() in _POSITIVE]
    if len(positives) != 1:
        raise DataError(
            f"target column '{target}': cannot tell which of {values} means default; use 0/1"
        )
    y = (series.astype(str) == positives[0]).to_numpy(dtype=np.int64)
    smallest = int(min(y.sum(), len(y) - y.sum()))
    if smallest < folds:
        raise DataError(
            f"target column '{target}' has only {smallest} rows of one outcome; "
            f"{folds}-fold cross-validation needs at least {folds}"
        )
    return y, positives[0]


def _check_named(columns: Sequence[str], available: Sequence[str], what: str, source: str) -> None:
    missing = [c for c in columns if c not in available]
    if missing:
        raise DataError(f"unknown column '{missing[0]}' in {what}: not in {source}")


def prepare(frame: pd.DataFrame, options: TrainOptions, source: str, sha256: str) -> Dataset:
    """Validate and type a raw frame: target, features, kept columns."""
    target = options.target
    if target not in frame.columns:
        cols = ", ".join(map(str, frame.columns[:12]))
        raise DataError(f"target column '{target}' not found in {source}; columns are: {cols}")
    _check_named(list(options.exclude), list(frame.columns), "--exclude", source)
    _check_named(list(options.keep), list(frame.columns), "kept columns", source)
    _check_named(list(options.required), list(frame.columns), "required columns", source)
    if options.columns is not None:
        _check_named(list(options.columns), list(frame.columns), "--columns", source)
        chosen = [c for c in options.columns if c != target]
    else:
        chosen = [c for c in frame.columns if c != target and c not in options.exclude]
    y, positive = _binary_target(frame[target], target, options.folds)
    dropped: dict[str, str] = {}
    numeric: list[str] = []
    categorical: list[str] = []
    for col in chosen:
        series = frame[col]
        if series.isna().all():
            dropped[col] = "all values empty"
        elif series.nunique(dropna=False) <= 1:
            dropped[col] = "constant"
        elif pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            numeric.append(col)
        else:
            categorical.append(col)
    features = [c for c in chosen if c in numeric or c in categorical]
    if not features:
        raise DataError(f"no usable feature columns in {source} besides the target '{target}'")
    for col in options.required:
        if col in dropped:
            raise DataError(f"required column '{col}' is {dropped[col]} in {source}")
    X = frame[features].copy()
    for col in numeric:
        X[col] = X[col].astype(np.float64)
    for col in categorical:
        X[col] = X[col].astype(object).where(X[col].notna(), "missing").astype(str)
    kept = frame[list(options.keep)].reset_index(drop=True)
    return Dataset(X.reset_index(drop=True), y, numeric, categorical, kept, sha256, source,
                   positive, dropped)


def load_dataset(path: str | Path, options: TrainOptions) -> Dataset:
    path = Path(path)
    frame = read_csv(path)
    data = prepare(frame, options, str(path), file_sha256(path))
    if options.max_rows and len(data.y) > options.max_rows:
        data = subsample(data, options.max_rows, options.seed)
    return data


def subsample(data: Dataset, rows: int, seed: int) -> Dataset:
    from sklearn.model_selection import train_test_split

    index = np.arange(len(data.y))
    keep, _ = train_test_split(index, train_size=rows, stratify=data.y, random_state=seed)
    keep = np.sort(keep)
    return Dataset(data.frame.iloc[keep].reset_index(drop=True), data.y[keep], data.numeric,
                   data.categorical, data.kept.iloc[keep].reset_index(drop=True),
                   data.sha256, data.source, data.positive_label, data.dropped)


def recipe_params(n_rows: int, options: TrainOptions) -> dict[str, Any]:
    common: dict[str, Any] = {
        "loss_function": "Logloss",
        "random_seed": options.seed,
        "thread_count": options.threads,
        "allow_writing_files": False,
        "verbose": 0,
    }
    if options.baseline:
        return {**common, **options.params}
    params: dict[str, Any] = {
        **common,
        "iterations": 1000,
        "depth": 6,
        "l2_leaf_reg": 10,
        "learning_rate": 0.01 if n_rows < 20_000 else 0.03,
    }
    if n_rows < 5_000:
        params["one_hot_max_size"] = 16
    if options.fast:
        params.update(iterations=60, learning_rate=0.15)
    return {**params, **options.params}


def design_matrix(X: pd.DataFrame, derived_names: Sequence[str]) -> pd.DataFrame:
    """Raw columns plus derived ones: the exact frame the model sees, in training and scoring."""
    if not derived_names:
        return X
    columns = {c: X[c].to_numpy() for c in X.columns}
    extra = derived.compute(columns, derived_names)
    return pd.concat([X, pd.DataFrame(extra, index=X.index)], axis=1)


def cross_validate(
    data: Dataset,
    params: Mapping[str, Any],
    derived_names: Sequence[str],
    options: TrainOptions,
    progress: Progress = _quiet,
) -> CVResult:
    X = design_matrix(data.frame, derived_names)
    cats = list(data.categorical)
    splitter = StratifiedKFold(n_splits=options.folds, shuffle=True, random_state=options.seed)
    raw = np.zeros(len(data.y))
    fold_of_row = np.zeros(len(data.y), dtype=np.int64)
    results: list[dict[str, float]] = []
    start = time.perf_counter()
    for k, (train_idx, test_idx) in enumerate(splitter.split(X, data.y)):
        t0 = time.perf_counter()
        model = CatBoostClassifier(**params)
        model.fit(Pool(X.iloc[train_idx], data.y[train_idx], cat_features=cats))
        pred = np.asarray(model.predict(Pool(X.iloc[test_idx], cat_features=cats),
                                        prediction_type="RawFormulaVal"), dtype=np.float64)
        raw[test_idx] = pred
        fold_of_row[test_idx] = k
        y_test = data.y[test_idx].astype(np.float64)
        fold = {"auc": metrics.auc(y_test, pred), "ks": metrics.ks(y_test, pred)}
        fold["gini"] = 2 * fold["auc"] - 1
        results.append(fold)
        progress(f"  fold {k + 1}/{options.folds}: AUC {fold['auc']:.4f}  KS {fold['ks']:.4f}"
                 f"  ({time.perf_counter() - t0:.1f} s)")
    return CVResult(results, raw, fold_of_row, time.perf_counter() - start)


def train(data: Dataset, options: TrainOptions, progress: Progress = _quiet) -> TrainResult:
    start = time.perf_counter()
    params = recipe_params(len(data.y), options)
    derived_names = [] if options.baseline else derived.applicable(list(data.frame.columns),
                                                                   data.numeric)
    progress(f"training on {len(data.y)} rows, {len(data.frame.columns)} columns "
             f"({len(data.categorical)} categorical, {len(derived_names)} derived), "
             f"default rate {data.y.mean():.1%}; {options.folds}-fold CV")
    cv = cross_validate(data, params, derived_names, options, progress)
    y = data.y.astype(np.float64)
    summary = cv.summary()
    progress(f"CV AUC {summary['auc']['mean']:.4f} ± {summary['auc']['std']:.4f}, "
             f"KS {summary['ks']['mean']:.4f}, Gini {summary['gini']['mean']:.4f}")
    uncalibrated = metrics.sigmoid(cv.raw_oof)
    calibrated = metrics.cross_fitted_calibration(cv.raw_oof, y, cv.fold_of_row)
    report = {
        "brier_uncalibrated": metrics.brier(y, uncalibrated),
        "ece_uncalibrated": metrics.ece(y, uncalibrated),
        "brier": metrics.brier(y, calibrated),
        "ece": metrics.ece(y, calibrated),
        "ece_bins": float(metrics.ECE_BINS),
        "oof_auc": metrics.auc(y, cv.raw_oof),
    }
    platt = metrics.Platt.fit(cv.raw_oof, y)
    progress(f"calibration (out of fold): Brier {report['brier']:.4f}, ECE {report['ece']:.4f}")
    progress("fitting the final model on all rows")
    X = design_matrix(data.frame, derived_names)
    model = CatBoostClassifier(**params)
    model.fit(Pool(X, data.y, cat_features=data.categorical))
    importance = dict(zip(model.feature_names_, map(float, model.get_feature_importance()),
                          strict=True))
    oof = pd.DataFrame({"y": data.y, "fold": cv.fold_of_row, "raw": cv.raw_oof,
                        "pd": calibrated})
    oof = pd.concat([oof, data.kept], axis=1)
    seconds = time.perf_counter() - start
    progress(f"trained in {seconds:.1f} s")
    return TrainResult(model, data, list(data.frame.columns), derived_names,
                       list(data.categorical), params, cv, platt, report, oof, importance,
                       seconds, options)


def train_csv(path: str | Path, options: TrainOptions, progress: Progress = _quiet) -> TrainResult:
    return train(load_dataset(path, options), options, progress)
