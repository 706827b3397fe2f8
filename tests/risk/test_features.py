"""The application -> feature row mapping: right columns, honest missing values, no crash
on partial bureau reports, and derived columns identical for one row and a batch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from api.applications.schemas import ApplicationCreate
from risk import derived
from risk.behaviour import behaviour_features
from risk.errors import DataError
from risk.features import (
    BEHAVIOUR_COLUMNS,
    LENDING_COLUMNS,
    PERSONAL_COLUMNS,
    FeatureConfig,
    annuity,
    application_features,
    lending_features,
    personal_features,
)

CONFIG = FeatureConfig(as_of="2025-06-01")


def test_schema_application_maps_to_german_columns(application: dict[str, Any],
                                                   bureau: dict[str, Any],
                                                   german_frame: pd.DataFrame) -> None:
    app = ApplicationCreate.model_validate(application).model_dump(mode="json")
    row = personal_features(app, None, bureau, CONFIG)
    assert list(row) == PERSONAL_COLUMNS
    assert row["status_of_existing_checking_account"] == "... < 0 DM"
    assert row["savings_account_and_bonds"] == "unknown/ no savings account"
    assert row["credit_history"] == "delay in paying off in the past"
    assert row["other_installment_plans"] == "bank"
    assert row["age_in_years"] == 40.0
    assert row["credit_amount"] == pytest.approx(20000 / CONFIG.currency_per_dm)
    # every category we produce is one the data knows (or the explicit "missing")
    for col in PERSONAL_COLUMNS:
        if isinstance(row[col], str):
            assert row[col] in set(german_frame[col]) | {"missing"}, col


def test_bureau_absent_or_partial_never_crashes(application: dict[str, Any]) -> None:
    for report in (None, {}, {"status": "frozen"}, {"status": "hit"},
                   {"status": "hit", "tradelines": "garbage", "score": "n/a"},
                   {"status": "no_hit"}):
        row = lending_features(application, None, report, CONFIG)
        assert list(row) == LENDING_COLUMNS
        assert math.isnan(row["fico"])
        personal_features(application, None, report, CONFIG)


def test_lending_mapping(application: dict[str, Any], bureau: dict[str, Any]) -> None:
    application["loan_type"] = "business"
    application["business"] = {"company_name": "X", "registration_number": "1",
                               "industry": "retail", "years_trading": 3, "annual_revenue": 1e6}
    row = lending_features(application, None, bureau, CONFIG)
    assert row["purpose"] == "small_business"
    assert row["fico"] == 640
    assert row["dti"] == pytest.approx(100 * 1500 / 9000)
    assert row["revol.util"] == pytest.approx(75.0)
    assert row["revol.bal"] == pytest.approx(15000 / CONFIG.currency_per_usd)
    assert row["installment"] == pytest.approx(
        annuity(20000 / CONFIG.currency_per_usd, 24, CONFIG.annual_rate))
    # verified income replaces the declared one; the bureau's obligations are not understated
    bureau.update(obligations_known=True, monthly_obligations=3000.0)
    row = lending_features(application, {"verified_monthly_income": 6000.0}, bureau, CONFIG)
    assert row["dti"] == pytest.approx(50.0)
    application["employment"]["monthly_income"] = 0
    assert lending_features(application, None, bureau, CONFIG)["dti"] == 999.0


def test_annuity() -> None:
    assert annuity(1200, 12, 0.0) == pytest.approx(100)
    assert annuity(10000, 36, 0.12) == pytest.approx(332.14, abs=0.01)


def test_malformed_application_names_the_field(application: dict[str, Any]) -> None:
    del application["term_months"]
    with pytest.raises(DataError, match="'term_months' is missing"):
        personal_features(application)
    with pytest.raises(DataError, match="no application feature mapping"):
        application_features("behaviour", application)


def test_behaviour_row_from_statements(application: dict[str, Any]) -> None:
    statements = [{"bill": 1000, "paid": 1000, "months_past_due": 0},
                  {"bill": 1000, "paid": 200}, {"bill": 0, "paid": 0},
                  {"bill": 900, "paid": 0, "months_past_due": 2}]
    row = behaviour_features(application, statements, CONFIG)
    assert list(row) == BEHAVIOUR_COLUMNS
    assert [row[f"PAY_{m}"] for m in ("0", "2", "3", "4")] == [-1, 0, -2, 2]
    assert math.isnan(row["PAY_6"]) and math.isnan(row["BILL_AMT6"])


def test_derived_one_row_equals_batch(german_frame: pd.DataFrame) -> None:
    numeric = [c for c in german_frame.columns if pd.api.types.is_numeric_dtype(german_frame[c])]
    names = derived.applicable(list(german_frame.columns), numeric)
    assert names == ["x_monthly_amount"]
    cols = {c: german_frame[c].to_numpy() for c in german_frame.columns}
    batch = derived.compute(cols, names)
    for i in (0, 17, 999):
        one = derived.compute({c: v[i:i + 1] for c, v in cols.items()}, names)
        assert one["x_monthly_amount"][0] == batch["x_monthly_amount"][i]
    zero = derived.compute({"credit_amount": np.array([5.0]),
                            "duration_in_month": np.array([0.0])}, names)
    assert math.isnan(zero["x_monthly_amount"][0])
