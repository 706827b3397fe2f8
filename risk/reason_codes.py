"""The reason-code catalogue: what an applicant reads when a feature pushed their risk up.

Versioned: the version travels with every score and decision record, so a notice can be
reproduced word for word later. Change a text -> bump CATALOGUE_VERSION. Texts say what
in the application weighed against it, in plain words, without model jargon (ECOA/Reg B
adverse-action notices; GDPR Art. 22; PIPL Art. 24).

Several features may share a code (a ratio and its parts): contributions are added up per
code before the top reasons are chosen, so an applicant never reads the same reason twice.
"""

from __future__ import annotations

from dataclasses import dataclass

CATALOGUE_VERSION = "2025-01"


@dataclass(frozen=True)
class ReasonCode:
    code: str
    text: str


_CODES: dict[str, str] = {
    "R01": "Balance in your current account is low, negative or unknown to us",
    "R02": "The repayment term requested is long",
    "R03": "Your credit history shows late payments or too little history",
    "R04": "The purpose of the loan carries more risk",
    "R05": "The amount requested is high",
    "R06": "Savings are low or unknown to us",
    "R07": "Time in your current employment is short, or you are not employed",
    "R08": "Your age, as weighed by the statistical scoring model",
    "R09": "Your housing situation",
    "R10": "Number of credits you already have",
    "R11": "Other loans or instalment plans you are repaying",
    "R12": "The monthly repayment is high for the amount and term",
    "R13": "Your income is low for the repayment requested",
    "R14": "Your existing debt payments are high compared with your income",
    "R15": "Your credit bureau score",
    "R16": "Your credit history is short",
    "R17": "Balances on your credit cards and credit lines are high",
    "R18": "You use a large share of your available credit",
    "R19": "Several recent applications for credit",
    "R20": "Late payments in the last two years",
    "R21": "Public records such as judgments or bankruptcies",
    "R22": "The credit limit or loan amount",
    "R23": "Recent payments were late",
    "R24": "Amounts owed on your account are high",
    "R25": "Recent payments were small compared with the amounts owed",
    "R26": "Interest rate on the loan",
    "R27": "The lender's credit policy assessment",
    "R28": "Other circumstances of the application",
    "R29": "Personal circumstances recorded in the application",
    "R99": "Other information in the application",
}

FEATURE_CODES: dict[str, str] = {
    # German credit (personal)
    "status_of_existing_checking_account": "R01",
    "duration_in_month": "R02",
    "credit_history": "R03",
    "purpose": "R04",
    "credit_amount": "R05",
    "savings_account_and_bonds": "R06",
    "present_employment_since": "R07",
    "installment_rate_in_percentage_of_disposable_income": "R14",
    "personal_status_and_sex": "R29",
    "other_debtors_or_guarantors": "R28",
    "present_residence_since": "R09",
    "property": "R28",
    "age_in_years": "R08",
    "other_installment_plans": "R11",
    "housing": "R09",
    "number_of_existing_credits_at_this_bank": "R10",
    "job": "R07",
    "number_of_people_being_liable_to_provide_maintenance_for": "R29",
    "telephone": "R28",
    "foreign_worker": "R29",
    "x_monthly_amount": "R12",
    # Lending Club (business, micro)
    "credit.policy": "R27",
    "int.rate": "R26",
    "installment": "R12",
    "log.annual.inc": "R13",
    "dti": "R14",
    "fico": "R15",
    "days.with.cr.line": "R16",
    "revol.bal": "R17",
    "revol.util": "R18",
    "inq.last.6mths": "R19",
    "delinq.2yrs": "R20",
    "pub.rec": "R21",
    "x_payment_to_income": "R13",
    "x_revolving_to_income": "R17",
    "x_loan_amount": "R05",
    "x_amount_to_income": "R13",
    # Taiwan (behaviour)
    "LIMIT_BAL": "R22",
    "SEX": "R29",
    "EDUCATION": "R28",
    "MARRIAGE": "R29",
    "AGE": "R08",
    **{f"PAY_{m}": "R23" for m in ("0", "2", "3", "4", "5", "6")},
    **{f"BILL_AMT{i}": "R24" for i in range(1, 7)},
    **{f"PAY_AMT{i}": "R25" for i in range(1, 7)},
    **{f"x_utilisation_{i}": "R18" for i in range(1, 7)},
    **{f"x_paid_share_{i}": "R25" for i in range(1, 6)},
    "x_worst_status": "R23",
    "x_months_late": "R23",
    "x_mean_utilisation": "R18",
    "x_total_paid": "R25",
}

FALLBACK = "R99"


def reason_for(feature: str) -> ReasonCode:
    """The catalogue entry for a feature; features of models trained on other data fall
    back to a generic code rather than leaking a column name to an applicant."""
    code = FEATURE_CODES.get(feature, FALLBACK)
    return ReasonCode(code, _CODES[code])


def text_of(code: str) -> str:
    return _CODES[code]


def all_codes() -> dict[str, str]:
    return dict(_CODES)
