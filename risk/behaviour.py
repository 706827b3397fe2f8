"""The behaviour score's row: a disbursed loan's last six monthly statements in the Taiwan
credit-card columns (`BEHAVIOUR_COLUMNS`), for portfolio monitoring. Same conventions as
`risk.features` (currency by income parity, NaN for anything unknown)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from risk.features import (
    _MONTHS,
    BEHAVIOUR_COLUMNS,
    DEFAULT_CONFIG,
    NAN,
    FeatureConfig,
    Row,
    _age,
    _number,
    _required_number,
)


def _pay_status(statement: Mapping[str, Any]) -> float:
    """Taiwan's code: -2 nothing owed, -1 paid in full, 0 part paid, k = k months late."""
    late = _number(statement.get("months_past_due"))
    bill = _number(statement.get("bill"))
    paid = _number(statement.get("paid"))
    if late > 0:
        return float(min(8, int(late)))
    if math.isnan(bill) or math.isnan(paid):
        return NAN
    if bill <= 0 and paid <= 0:
        return -2.0
    return -1.0 if paid >= bill else 0.0


def behaviour_features(
    application: Mapping[str, Any],
    statements: Sequence[Mapping[str, Any]],
    config: FeatureConfig = DEFAULT_CONFIG,
) -> Row:
    """Row in the Taiwan columns (BEHAVIOUR_COLUMNS) from up to six monthly statements,
    latest first: {"bill": owed, "paid": paid that month, "months_past_due": int}. The
    loan's amount stands for the card's credit limit; missing months are NaN."""
    per_twd = config.currency_per_twd
    row: Row = {
        "LIMIT_BAL": _required_number(application, "amount") / per_twd,
        "AGE": _age(application, config),
    }
    for i, month in enumerate(_MONTHS):
        st = statements[i] if i < len(statements) else {}
        row[f"PAY_{month}"] = _pay_status(st)
        row[f"BILL_AMT{i + 1}"] = _number(st.get("bill")) / per_twd
        row[f"PAY_AMT{i + 1}"] = _number(st.get("paid")) / per_twd
    return {col: row[col] for col in BEHAVIOUR_COLUMNS}
