"""Fixtures and data for the risk tests (and the scoring activity test): small, fast
models on the real data (few trees)."""

from __future__ import annotations

import atexit
import copy
import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from risk.defaults import ensure_default_models
from risk.registry import DEFAULT_DATA, ModelRegistry

GERMAN = DEFAULT_DATA / "german_credit.csv"

APPLICATION: dict[str, Any] = {
    "loan_type": "personal",
    "amount": 20000.0,
    "term_months": 24,
    "purpose": "car_used",
    "applicant": {"full_name": "Wang Fang", "national_id": "11010519491231002X",
                  "date_of_birth": "1985-03-02", "sex": "female", "phone": "13800000000",
                  "email": "wf@example.cn", "address": "1 Road, Beijing"},
    "employment": {"status": "employed", "employer": "ACME", "years_employed": 3.0,
                   "monthly_income": 9000.0},
    "financials": {"checking_balance": -200.0, "savings_balance": None,
                   "monthly_debt_payments": 1500.0, "existing_loans": 1, "housing": "rent",
                   "dependents": 1},
    "business": None,
    "consent_bureau_check": True,
    "process_version": None,
}

BUREAU: dict[str, Any] = {
    "status": "hit", "score": 640,
    "tradelines": [{"kind": "credit_card", "limit": 20000.0, "balance": 15000.0,
                    "past_due": 0.0, "status_24m": "000000000000000000000000"},
                   {"kind": "auto", "limit": 80000.0, "balance": 30000.0, "past_due": 0.0,
                    "status_24m": "000000000000000000000010", "open": True}],
    "inquiries_6m": 3, "public_records": 0, "delinquencies_2y": 1,
    "revolving_utilization": 0.75, "oldest_tradeline_months": 40,
}


@pytest.fixture
def application() -> dict[str, Any]:
    return copy.deepcopy(APPLICATION)


@pytest.fixture
def bureau() -> dict[str, Any]:
    return copy.deepcopy(BUREAU)


@functools.cache
def _shipped_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="loanflow-models-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    ensure_default_models(root, DEFAULT_DATA, fast=True)
    return root


@pytest.fixture(scope="session")
def shipped_registry() -> ModelRegistry:
    """The four shipped models, trained in fast mode once per test session (tests/risk and
    tests/activities share the folder; nothing writes to it: copy it to change it)."""
    return ModelRegistry(_shipped_root())


@pytest.fixture(scope="session")
def german_frame() -> pd.DataFrame:
    return pd.read_csv(GERMAN)


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path
