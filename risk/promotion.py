"""The promotion gate: a challenger becomes champion only by beating the champion on
held-out rows neither was trained on. Every decision, promoted or not, is written to the
registry's promotion log with the evidence (both AUCs, the gain and its bootstrap interval,
the holdout's size and hash)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from risk import metrics
from risk.errors import DataError, RiskError
from risk.registry import ModelRegistry, ModelVersion
from risk.scoring import Scorer

MIN_HOLDOUT_ROWS = 50
MIN_HOLDOUT_EACH_CLASS = 10
BOOTSTRAP_ROUNDS = 200


@dataclass(frozen=True)
class PromotionDecision:
    name: str
    challenger: int
    champion: int | None
    promoted: bool
    reason: str
    challenger_auc: float | None = None
    champion_auc: float | None = None
    gain: float | None = None
    gain_ci95: tuple[float, float] | None = None
    holdout_rows: int = 0
    holdout_sha256: str = ""
    actor: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def install_initial(registry: ModelRegistry, name: str, version: int, *, actor: str,
                    reason: str = "first model of this name") -> PromotionDecision:
    """Make `version` the champion of a name that has none (first start), and record it."""
    if registry.champion(name) is not None:
        raise RiskError(f"model '{name}' already has a champion; use promote() with a holdout")
    decision = PromotionDecision(name, version, None, True, reason, actor=actor)
    registry._move_champion(name, version, decision.to_json())
    return decision


def _holdout_target(holdout: pd.DataFrame, target: str) -> metrics.Array:
    if target not in holdout.columns:
        raise DataError(f"target column '{target}' not found in the holdout rows")
    y = holdout[target].to_numpy(dtype=np.float64)
    positives = int(y.sum())
    if len(y) < MIN_HOLDOUT_ROWS or min(positives, len(y) - positives) < MIN_HOLDOUT_EACH_CLASS:
        raise DataError(
            f"holdout too small to decide a promotion: {len(y)} rows, {positives} defaults "
            f"(need {MIN_HOLDOUT_ROWS} rows and {MIN_HOLDOUT_EACH_CLASS} of each outcome)"
        )
    out: metrics.Array = y
    return out


def _holdout_pd(version: ModelVersion, holdout: pd.DataFrame) -> metrics.Array:
    """PDs of one version on the holdout, from the columns it was trained on (a missing
    one is named by the scorer)."""
    wanted = set(version.metadata["features"])
    columns = [c for c in holdout.columns if c in wanted]
    return Scorer(version, explain=False).predict_pd(holdout[columns])


def promote(
    registry: ModelRegistry,
    name: str,
    version: int,
    holdout: pd.DataFrame,
    *,
    target: str = "default",
    min_gain: float = 0.0,
    actor: str = "loanflow",
    seed: int = 0,
) -> PromotionDecision:
    """Promote `version` if its holdout AUC beats the champion's by more than `min_gain`."""
    challenger = registry.get(name, version)
    champion = registry.champion(name)
    if champion is None:
        return install_initial(registry, name, version, actor=actor)
    if champion.version == version:
        raise RiskError(f"version {version} of '{name}' is already the champion")
    y = _holdout_target(holdout, target)
    digest = hashlib.sha256(pd.util.hash_pandas_object(holdout, index=False).to_numpy()
                            .tobytes()).hexdigest()
    p_new = _holdout_pd(challenger, holdout)
    p_old = _holdout_pd(champion, holdout)
    auc_new, auc_old = metrics.auc(y, p_new), metrics.auc(y, p_old)
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(BOOTSTRAP_ROUNDS):
        idx = rng.integers(0, len(y), len(y))
        if 0 < y[idx].sum() < len(idx):
            gains.append(metrics.auc(y[idx], p_new[idx]) - metrics.auc(y[idx], p_old[idx]))
    ci = (float(np.percentile(gains, 2.5)), float(np.percentile(gains, 97.5)))
    gain = auc_new - auc_old
    promoted = gain > min_gain
    reason = (f"holdout AUC {auc_new:.4f} vs champion {auc_old:.4f}: gain {gain:+.4f} "
              f"{'>' if promoted else '<='} required {min_gain:.4f}")
    decision = PromotionDecision(name, version, champion.version, promoted, reason, auc_new,
                                 auc_old, gain, ci, len(y), digest, actor)
    registry._move_champion(name, version, decision.to_json())
    return decision
