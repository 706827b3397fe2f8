"""Fairness by group: approval rate and AUC by age band and by sex, where the data has
them, on out-of-fold predictions (each row scored by a model that never saw it).

The shipped models never use sex as a feature; it is kept beside the predictions only to
measure this. Age is a feature of some models, which is why its bands are watched. The
adverse impact ratio is a group's approval rate over the best-treated group's; below 0.8
(the "four-fifths" rule of thumb) the table flags it for a person to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk import metrics

AGE_COLUMNS = ("age_in_years", "AGE", "age", "Age")
SEX_COLUMNS = ("personal_status_and_sex", "SEX", "sex", "Sex", "gender")
AGE_BANDS = ((0, 25, "under 25"), (25, 35, "25-34"), (35, 50, "35-49"), (50, 65, "50-64"),
             (65, 200, "65 and over"))
FOUR_FIFTHS = 0.8
MIN_GROUP_FOR_AUC = 30


@dataclass(frozen=True)
class GroupRow:
    group: str
    rows: int
    default_rate: float
    approval_rate: float
    adverse_impact_ratio: float
    auc: float | None
    flagged: bool


@dataclass(frozen=True)
class FairnessTable:
    attribute: str
    column: str
    rows: list[GroupRow]


def detect_columns(columns: Sequence[str]) -> list[str]:
    """Columns that carry age or sex, by the names the known data sets use."""
    return [c for c in columns if c in AGE_COLUMNS or c in SEX_COLUMNS]


def _sex_labels(series: pd.Series, column: str) -> pd.Series:
    if column == "SEX":  # Taiwan data's codebook: 1 = male, 2 = female
        return series.map({1: "male", 2: "female"}).fillna("unknown")
    text = series.astype(str).str.lower().str.strip()
    # German credit: "female : divorced/separated/married", "male : single", ...
    return text.str.split(":").str[0].str.strip()


def _age_labels(series: pd.Series) -> pd.Series:
    ages = pd.to_numeric(series, errors="coerce")
    labels = pd.Series("unknown", index=series.index, dtype=object)
    for low, high, label in AGE_BANDS:
        labels[(ages >= low) & (ages < high)] = label
    return labels


def _group_order(group: object) -> tuple[int, str]:
    """Age bands youngest first, then anything else alphabetically."""
    order = [label for _, _, label in AGE_BANDS]
    return (order.index(group) if group in order else len(order), str(group))


def _table(attribute: str, column: str, groups: pd.Series, y: np.ndarray,
           pd_: np.ndarray, approve_below: float) -> FairnessTable:
    approved = pd_ < approve_below
    stats = []
    for name in sorted(groups.unique(), key=_group_order):
        mask = (groups == name).to_numpy()
        y_g = y[mask]
        auc = None
        if mask.sum() >= MIN_GROUP_FOR_AUC and 0 < y_g.sum() < mask.sum():
            auc = metrics.auc(y_g, pd_[mask])
        stats.append((str(name), int(mask.sum()), float(y_g.mean()),
                      float(approved[mask].mean()), auc))
    best = max((s[3] for s in stats), default=0.0)
    rows = []
    for name, n, dr, ar, auc in stats:
        ratio = ar / best if best > 0 else 1.0
        rows.append(GroupRow(name, n, dr, ar, ratio, auc, ratio < FOUR_FIFTHS))
    return FairnessTable(attribute, column, rows)


def fairness_tables(oof: pd.DataFrame, approve_below: float) -> list[FairnessTable]:
    """Tables for every age or sex column kept beside the out-of-fold predictions."""
    y = oof["y"].to_numpy(dtype=np.float64)
    pd_ = oof["pd"].to_numpy(dtype=np.float64)
    tables = []
    for column in oof.columns:
        if column in AGE_COLUMNS:
            tables.append(_table("age band", column, _age_labels(oof[column]), y, pd_,
                                 approve_below))
        elif column in SEX_COLUMNS:
            tables.append(_table("sex", column, _sex_labels(oof[column], column), y, pd_,
                                 approve_below))
    return tables
