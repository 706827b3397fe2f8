"""One feature pipeline for training and scoring: a loan application (as
`ApplicationCreate.model_dump(mode="json")`), the verification report and the credit bureau
report become one row with the column names of the data set the model was trained on.
Training reads those columns from the CSV; scoring builds them here; derived columns are
added by `risk.derived` in both cases, so there is no training/serving skew.

Which data stands for which loan (see data/README.md for what each can and cannot say):

- personal -> German credit (UCI Statlog, 1,000 personal-loan applications, 1970s West
  Germany, amounts in DM).
- business, micro -> Lending Club 2007-2010 (bureau-style: FICO, DTI, inquiries, revolving
  utilisation; amounts in USD).
- behaviour -> Taiwan credit cards 2005 (six months of repayment status, bills, payments;
  amounts in NT$); its row is built by `risk.behaviour` from a loan's statements.

Assumptions, stated once and recorded with every model (`FeatureConfig`):

- Money is converted into each data set's currency by income parity, not by exchange rate:
  the factor keeps an amount's relation to a typical income of the data set's time and
  place. Typical monthly incomes are rough orders of magnitude: West German earnings in the
  mid-1970s about 2,000 DM, Lending Club borrowers about 4,700 USD (the data's median log
  income), urban employees in China today about 10,000 CNY, Taiwan 2005 about 40,000 NT$.
  Ratios (instalment to income, utilisation) do not depend on the factor at all.
- Pricing: a monthly instalment is the annuity on the amount over the term at
  `annual_rate` (12.3 %, the Lending Club data's mean rate). The data's own interest rate
  and Lending Club's `credit.policy` are not used as features: both are Lending Club's own
  risk grading, which an application to us does not have.
- Protected attributes (sex, marital status, foreign-worker status) are never features of
  the shipped models; sex and age are kept beside the predictions for the fairness report.
  Age is a feature of the personal and behaviour models, monitored in that report.
- Anything absent becomes missing: NaN for numbers (CatBoost sends NaN below every split,
  as it would the smallest value) and "missing" for categories (unseen in training, so
  CatBoost treats it as none of the known values). Only features listed as required make a
  row unscorable; the scorer then names them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from risk.errors import DataError

MISSING = "missing"
NAN = float("nan")

Row = dict[str, Any]


@dataclass(frozen=True)
class FeatureConfig:
    currency_per_dm: float = 5.0
    currency_per_usd: float = 2.2
    currency_per_twd: float = 0.25
    annual_rate: float = 0.123
    as_of: str | None = None  # ISO date for ages; None: today

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> FeatureConfig:
        return cls(**dict(data or {}))


DEFAULT_CONFIG = FeatureConfig()

PERSONAL_COLUMNS = [
    "status_of_existing_checking_account",
    "duration_in_month",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings_account_and_bonds",
    "present_employment_since",
    "age_in_years",
    "housing",
    "number_of_existing_credits_at_this_bank",
    "other_installment_plans",
]
LENDING_COLUMNS = [
    "purpose",
    "installment",
    "log.annual.inc",
    "dti",
    "fico",
    "days.with.cr.line",
    "revol.bal",
    "revol.util",
    "inq.last.6mths",
    "delinq.2yrs",
    "pub.rec",
]
_MONTHS = ["0", "2", "3", "4", "5", "6"]  # Taiwan's PAY_ columns: PAY_0 is the latest month
BEHAVIOUR_COLUMNS = [
    "LIMIT_BAL",
    "AGE",
    *[f"PAY_{m}" for m in _MONTHS],
    *[f"BILL_AMT{i}" for i in range(1, 7)],
    *[f"PAY_AMT{i}" for i in range(1, 7)],
]

_GERMAN_PURPOSE = {
    "car_new": "car (new)",
    "car_used": "car (used)",
    "furniture": "furniture/equipment",
    "electronics": "radio/television",
    "appliances": "domestic appliances",
    "repairs": "repairs",
    "home_improvement": "repairs",
    "education": "education",
    "retraining": "retraining",
    "business": "business",
}
_LENDING_PURPOSE = {
    "business": "small_business",
    "debt_consolidation": "debt_consolidation",
    "home_improvement": "home_improvement",
    "education": "educational",
    "retraining": "educational",
    "car_new": "major_purchase",
    "car_used": "major_purchase",
    "furniture": "major_purchase",
    "electronics": "major_purchase",
    "appliances": "major_purchase",
}
_CHECKING_HIGH = "... >= 200 DM / salary assignments for at least 1 year"
# Tradeline kinds as the bureau adapters report them (verification/sources.py: credit_card,
# mortgage, auto, personal, consumer_finance). Consumer-finance companies mostly finance
# purchases at the point of sale: the German data's "stores".
_REVOLVING = {"credit_card", "revolving", "line_of_credit"}
_STORE = {"consumer_finance", "store", "retail"}
_NOT_INSTALMENT = _REVOLVING | {"mortgage"}


def _get(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            raise DataError(f"application field '{path}' is missing")
        node = node[key]
    return node


def _number(value: Any) -> float:
    """A float, or NaN for anything absent or not a number (never raises)."""
    if isinstance(value, bool) or value is None:
        return NAN
    try:
        out = float(value)
    except (TypeError, ValueError):
        return NAN
    return out if math.isfinite(out) else NAN


def _required_number(data: Mapping[str, Any], path: str) -> float:
    value = _number(_get(data, path))
    if math.isnan(value):
        raise DataError(f"application field '{path}' is not a number")
    return value


def annuity(amount: float, months: float, annual_rate: float) -> float:
    """Monthly instalment repaying `amount` over `months` at `annual_rate`."""
    if months <= 0:
        return NAN
    rate = annual_rate / 12
    if rate == 0:
        return amount / months
    return float(amount * rate / (1 - (1 + rate) ** -months))


def _age(application: Mapping[str, Any], config: FeatureConfig) -> float:
    raw = _get(application, "applicant.date_of_birth")
    try:
        born = dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise DataError("application field 'applicant.date_of_birth' is not a date") from exc
    today = dt.date.fromisoformat(config.as_of) if config.as_of else dt.date.today()
    return float(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))


def _monthly_income(
    application: Mapping[str, Any], verification: Mapping[str, Any] | None
) -> float:
    """Verified income when the verification report has one: we score what was checked."""
    verified = _number((verification or {}).get("verified_monthly_income"))
    if not math.isnan(verified):
        return verified
    return _required_number(application, "employment.monthly_income")


def _financials(application: Mapping[str, Any]) -> Mapping[str, Any]:
    fin = application.get("financials")
    return fin if isinstance(fin, Mapping) else {}


def _tradelines(bureau: Mapping[str, Any] | None) -> list[Mapping[str, Any]] | None:
    if not bureau or bureau.get("status") != "hit":
        return None
    lines = bureau.get("tradelines")
    if not isinstance(lines, Sequence) or isinstance(lines, str):
        return None
    return [t for t in lines if isinstance(t, Mapping)]


def _band(value: float, edges: Sequence[float], labels: Sequence[str], missing: str) -> str:
    if math.isnan(value):
        return missing
    for edge, label in zip(edges, labels, strict=False):
        if value < edge:
            return label
    return labels[-1]


# --- personal: German credit -------------------------------------------------------------


def _late_in_history(status: Any) -> bool:
    """24-month status string: "0" current, "1".."7" months past due, "C" closed, "-" none."""
    return isinstance(status, str) and any(ch in "1234567" for ch in status)


def _credit_history(bureau: Mapping[str, Any] | None) -> str:
    """Only the categories a bureau report can establish; 'critical account' and 'all
    credits at this bank paid back' describe our own book, which we do not map."""
    status = (bureau or {}).get("status")
    if status == "no_hit":
        return "no credits taken/ all credits paid back duly"
    lines = _tradelines(bureau)
    if lines is None or bureau is None:
        return MISSING
    late = _number(bureau.get("delinquencies_2y")) > 0 or any(
        _number(t.get("past_due")) > 0 or _late_in_history(t.get("status_24m")) for t in lines
    )
    if late:
        return "delay in paying off in the past"
    if not lines:
        return "no credits taken/ all credits paid back duly"
    return "existing credits paid back duly till now"


def _other_installment_plans(bureau: Mapping[str, Any] | None) -> str:
    lines = _tradelines(bureau)
    if lines is None:
        return "none" if (bureau or {}).get("status") == "no_hit" else MISSING
    open_lines = [t for t in lines if t.get("open", True) and _number(t.get("balance")) > 0]
    kinds = {str(t.get("kind", "")).lower() for t in open_lines}
    if kinds & _STORE:
        return "stores"
    if kinds - _NOT_INSTALMENT - _STORE:
        return "bank"
    return "none"


def _employment_band(application: Mapping[str, Any]) -> str:
    status = str(_get(application, "employment.status"))
    if status in ("unemployed", "student"):
        return "unemployed"
    if status == "retired":
        return MISSING  # the data has no category for it; scored as unknown
    years = _number(application["employment"].get("years_employed", 0))
    return _band(
        years,
        [1, 4, 7],
        ["... < 1 year", "1 <= ... < 4 years", "4 <= ... < 7 years", "... >= 7 years"],
        MISSING,
    )


def _credits_count(fin: Mapping[str, Any]) -> float:
    """The data counts credits at the bank, this one included (never below 1)."""
    existing = _number(fin.get("existing_loans", 0))
    return float(min(4, 1 + (0 if math.isnan(existing) else max(0, int(existing)))))


def personal_features(
    application: Mapping[str, Any],
    verification: Mapping[str, Any] | None = None,
    bureau: Mapping[str, Any] | None = None,
    config: FeatureConfig = DEFAULT_CONFIG,
) -> Row:
    """Row in the German credit columns (PERSONAL_COLUMNS)."""
    fin = _financials(application)
    per_dm = config.currency_per_dm
    checking = _number(fin.get("checking_balance"))
    savings = _number(fin.get("savings_balance"))
    housing = str(fin.get("housing", "rent"))
    purpose = str(_get(application, "purpose"))
    return {
        "status_of_existing_checking_account": "no checking account"
        if math.isnan(checking)
        else _band(
            checking / per_dm,
            [0, 200],
            ["... < 0 DM", "0 <= ... < 200 DM", _CHECKING_HIGH],
            MISSING,
        ),
        "duration_in_month": _required_number(application, "term_months"),
        "credit_history": _credit_history(bureau),
        "purpose": _GERMAN_PURPOSE.get(purpose, "others"),
        "credit_amount": _required_number(application, "amount") / per_dm,
        "savings_account_and_bonds": "unknown/ no savings account"
        if math.isnan(savings)
        else _band(
            savings / per_dm,
            [100, 500, 1000],
            ["... < 100 DM", "100 <= ... < 500 DM", "500 <= ... < 1000 DM", "... >= 1000 DM"],
            MISSING,
        ),
        "present_employment_since": _employment_band(application),
        "age_in_years": _age(application, config),
        "housing": {"own": "own", "rent": "rent", "free": "for free"}.get(housing, MISSING),
        "number_of_existing_credits_at_this_bank": _credits_count(fin),
        "other_installment_plans": _other_installment_plans(bureau),
    }


# --- business and micro: Lending Club ----------------------------------------------------


def _revolving(lines: list[Mapping[str, Any]] | None) -> tuple[float, float]:
    """(balance, utilisation in %) over revolving tradelines; NaN when unknown."""
    if lines is None:
        return NAN, NAN
    revolving = [t for t in lines if str(t.get("kind", "")).lower() in _REVOLVING]
    balance = sum(b for t in revolving if not math.isnan(b := _number(t.get("balance"))))
    limit = sum(v for t in revolving if not math.isnan(v := _number(t.get("limit"))))
    return balance, (100 * balance / limit if limit > 0 else NAN)


def _monthly_debts(fin: Mapping[str, Any], bureau: Mapping[str, Any] | None) -> float:
    """Declared debt payments, or the bureau's figure when it knows more (never understate)."""
    declared = _number(fin.get("monthly_debt_payments", 0))
    known = bureau.get("obligations_known") if bureau else False
    reported = _number(bureau.get("monthly_obligations")) if bureau and known else NAN
    return max(0.0 if math.isnan(declared) else declared,
               0.0 if math.isnan(reported) else reported)


def lending_features(
    application: Mapping[str, Any],
    verification: Mapping[str, Any] | None = None,
    bureau: Mapping[str, Any] | None = None,
    config: FeatureConfig = DEFAULT_CONFIG,
) -> Row:
    """Row in the Lending Club columns (LENDING_COLUMNS); `fico` is NaN without a bureau
    hit, which the shipped models treat as a required feature."""
    fin = _financials(application)
    per_usd = config.currency_per_usd
    income = _monthly_income(application, verification)
    debts = _monthly_debts(fin, bureau)
    amount = _required_number(application, "amount") / per_usd
    term = _required_number(application, "term_months")
    loan_type = str(_get(application, "loan_type"))
    purpose = "business" if loan_type == "business" else str(_get(application, "purpose"))
    hit = bureau if bureau and bureau.get("status") == "hit" else {}
    lines = _tradelines(bureau)
    revol_bal, revol_util = _revolving(lines)
    util = _number(hit.get("revolving_utilization"))
    oldest = _number(hit.get("oldest_tradeline_months"))
    return {
        "purpose": _LENDING_PURPOSE.get(purpose, "all_other"),
        "installment": annuity(amount, term, config.annual_rate),
        "log.annual.inc": math.log(12 * income / per_usd) if income > 0 else NAN,
        # No income: a ratio beyond anything in the data, so the model sees "very high".
        "dti": 100 * debts / income if income > 0 else 999.0,
        "fico": _number(hit.get("score")),
        "days.with.cr.line": oldest * 30.4375,
        "revol.bal": revol_bal / per_usd,
        "revol.util": 100 * util if not math.isnan(util) else revol_util,
        "inq.last.6mths": _number(hit.get("inquiries_6m")),
        "delinq.2yrs": _number(hit.get("delinquencies_2y")),
        "pub.rec": _number(hit.get("public_records")),
    }


MODEL_KINDS = {"personal": "german", "business": "lending_club", "micro": "lending_club"}


def application_features(
    model_name: str,
    application: Mapping[str, Any],
    verification: Mapping[str, Any] | None = None,
    bureau: Mapping[str, Any] | None = None,
    config: FeatureConfig = DEFAULT_CONFIG,
) -> Row:
    """The feature row for the model that scores this kind of loan."""
    kind = MODEL_KINDS.get(model_name)
    if kind == "german":
        return personal_features(application, verification, bureau, config)
    if kind == "lending_club":
        return lending_features(application, verification, bureau, config)
    raise DataError(f"no application feature mapping for model '{model_name}'")
