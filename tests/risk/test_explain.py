"""Our per-leaf SHAP tables reproduce CatBoost's own ShapValues exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from catboost import CatBoostClassifier, Pool

from risk.explain import TreeExplainer


@pytest.mark.parametrize("one_hot", [2, 4])  # combinations of categories, one-hot splits
def test_equals_catboost_shap_values(german_frame: pd.DataFrame, one_hot: int) -> None:
    X = german_frame.drop(columns=["default"])
    y = german_frame["default"].to_numpy()
    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    model = CatBoostClassifier(iterations=40, depth=5, one_hot_max_size=one_hot, verbose=0,
                               thread_count=1, random_seed=3, allow_writing_files=False)
    model.fit(X.iloc[:800], y[:800], cat_features=cats)
    pool = Pool(X.iloc[800:], cat_features=cats)
    theirs = model.get_feature_importance(pool, type="ShapValues")
    explainer = TreeExplainer(model)
    ours = explainer.shap_values(pool)
    assert np.abs(ours - theirs[:, :-1]).max() < 1e-9
    assert explainer.expected_value == pytest.approx(theirs[0, -1], abs=1e-9)
    raw = model.predict(pool, prediction_type="RawFormulaVal")
    assert np.abs(ours.sum(axis=1) + explainer.expected_value - raw).max() < 1e-9
