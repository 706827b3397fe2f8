"""Decline reason codes: a fixed catalogue, no free "other".

An applicant who is declined is owed the principal reasons (adverse-action notices). The
categories follow the sample reasons listed in the US Regulation B model form for
adverse action (12 CFR 1002, Appendix C, Form C-1); the codes and wording are loanflow's.
Pure data: the workflow's decision validator, the API and the pages all read it."""

from __future__ import annotations

DECLINE_REASONS: dict[str, str] = {
    "INCOMPLETE_APPLICATION": "The application is incomplete",
    "IDENTITY_UNVERIFIED": "We could not verify the applicant's identity",
    "EMPLOYMENT_UNVERIFIED": "We could not verify employment",
    "EMPLOYMENT_SHORT": "Length of employment is too short",
    "EMPLOYMENT_IRREGULAR": "Employment is temporary or irregular",
    "INCOME_UNVERIFIED": "We could not verify income",
    "INCOME_INSUFFICIENT": "Income is insufficient for the amount requested",
    "OBLIGATIONS_EXCESSIVE": "Existing obligations are too high relative to income",
    "CREDIT_FILE_MISSING": "No credit file at the bureau",
    "CREDIT_EXPERIENCE_LIMITED": "Limited credit experience",
    "CREDIT_DELINQUENT": "Delinquent past or present credit obligations",
    "COLLECTION_OR_JUDGMENT": "Collection action, judgment or garnishment",
    "BANKRUPTCY": "Bankruptcy",
    "INQUIRIES_EXCESSIVE": "Too many recent credit inquiries",
    "RESIDENCE_UNVERIFIED": "We could not verify the residence",
    "COLLATERAL_INSUFFICIENT": "Value or type of collateral is not sufficient",
    "DOCUMENTS_INCONSISTENT": "Documents do not match the application or the records",
    "SANCTIONS_MATCH": "The applicant matches a sanctions or watch list",
    "BUSINESS_FINANCIALS_WEAK": "The business's financial statements do not support the loan",
    "POLICY_LIMIT": "The request is outside the lender's product limits",
}


def unknown_codes(codes: list[str]) -> list[str]:
    return [c for c in codes if c not in DECLINE_REASONS]
