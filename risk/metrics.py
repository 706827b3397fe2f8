"""Discrimination, calibration and the score scale.

Score scale: 600 points at good:bad odds of 50:1, 20 points to double the odds
(score = 600 + 20/ln 2 * ln(odds / 50), odds = (1 - PD) / PD). Grades are fixed bands of
that scale, so a grade means the same PD whichever model produced it:

    grade  score       PD (approx.)
    A      >= 572      < 5 %
    B      551 - 571   5 - 10 %
    C      527 - 550   10 - 20 %
    D      505 - 526   20 - 35 %
    E      < 505       >= 35 %
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve

Array = npt.NDArray[np.float64]

BASE_SCORE = 600.0
BASE_ODDS = 50.0
PDO = 20.0
GRADE_CUTOFFS: tuple[tuple[str, float], ...] = (
    ("A", 572.0),
    ("B", 551.0),
    ("C", 527.0),
    ("D", 505.0),
)
ECE_BINS = 10
_EPS = 1e-6


def auc(y: Array, p: Array) -> float:
    return float(roc_auc_score(y, p))


def ks(y: Array, p: Array) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score distributions of goods and bads."""
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def gini(y: Array, p: Array) -> float:
    return 2 * auc(y, p) - 1


def brier(y: Array, p: Array) -> float:
    return float(np.mean((p - y) ** 2))


def ece(y: Array, p: Array, bins: int = ECE_BINS) -> float:
    """Expected calibration error over equal-width PD bins, weighted by bin size."""
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.mean() * abs(float(p[mask].mean()) - float(y[mask].mean()))
    return total


def sigmoid(x: Array) -> Array:
    out: Array = 1.0 / (1.0 + np.exp(-x))
    return out


@dataclass(frozen=True)
class Platt:
    """PD = sigmoid(a * raw + b), raw being the model's log-odds. Monotone, so it keeps the
    ranking (AUC) and the direction of every SHAP contribution."""

    a: float = 1.0
    b: float = 0.0

    def __call__(self, raw: Array) -> Array:
        return sigmoid(self.a * raw + self.b)

    @classmethod
    def fit(cls, raw: Array, y: Array) -> Platt:
        model = LogisticRegression(C=1e6, max_iter=1000)
        model.fit(raw.reshape(-1, 1), y)
        return cls(float(model.coef_[0][0]), float(model.intercept_[0]))


def cross_fitted_calibration(raw: Array, y: Array, folds: npt.NDArray[np.int64]) -> Array:
    """Calibrated out-of-fold PDs where each fold's calibrator never saw that fold's labels,
    so the calibration error we report is measured out of sample."""
    out = np.empty_like(raw)
    for k in np.unique(folds):
        test = folds == k
        out[test] = Platt.fit(raw[~test], y[~test])(raw[test])
    return out


def score_from_pd(pd_: Array) -> Array:
    p = np.clip(pd_, _EPS, 1 - _EPS)
    odds = (1 - p) / p
    out: Array = BASE_SCORE + PDO / math.log(2) * np.log(odds / BASE_ODDS)
    return out


def grade_from_score(score: float) -> str:
    for grade, cutoff in GRADE_CUTOFFS:
        if score >= cutoff:
            return grade
    return "E"


def grades(scores: Array) -> list[str]:
    return [grade_from_score(float(s)) for s in scores]
