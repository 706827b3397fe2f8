"""The loan application as the API accepts it. Its `model_dump(mode="json")` is the
`application` entry of the process data every activity and diagram expression reads."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from verification.documents import DocumentKind


class LoanType(StrEnum):
    personal = "personal"
    business = "business"
    micro = "micro"


class Purpose(StrEnum):
    car_new = "car_new"
    car_used = "car_used"
    furniture = "furniture"
    electronics = "electronics"
    appliances = "appliances"
    repairs = "repairs"
    education = "education"
    retraining = "retraining"
    business = "business"
    debt_consolidation = "debt_consolidation"
    home_improvement = "home_improvement"
    medical = "medical"
    other = "other"


class Sex(StrEnum):
    female = "female"
    male = "male"


class EmploymentStatus(StrEnum):
    employed = "employed"
    self_employed = "self_employed"
    unemployed = "unemployed"
    retired = "retired"
    student = "student"


class Housing(StrEnum):
    own = "own"
    rent = "rent"
    free = "free"


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: Annotated[str, Field(min_length=1, max_length=200)]
    # Resident identity card number (GB 11643-1999): 17 digits and a check character.
    national_id: Annotated[str, Field(pattern=r"^\d{17}[\dXx]$")]
    date_of_birth: dt.date
    sex: Sex
    phone: Annotated[str, Field(min_length=5, max_length=32)]
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
    address: Annotated[str, Field(min_length=1, max_length=500)]


class Employment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: EmploymentStatus
    employer: Annotated[str, Field(max_length=200)] = ""
    years_employed: Annotated[float, Field(ge=0, le=70)] = 0
    monthly_income: Annotated[float, Field(ge=0, le=10_000_000)]


class Financials(BaseModel):
    """What the applicant declares about money they already have and owe."""

    model_config = ConfigDict(extra="forbid")

    checking_balance: Annotated[float, Field(ge=-10_000_000, le=1_000_000_000)] | None = None
    savings_balance: Annotated[float, Field(ge=0, le=1_000_000_000)] | None = None
    monthly_debt_payments: Annotated[float, Field(ge=0, le=10_000_000)] = 0
    existing_loans: Annotated[int, Field(ge=0, le=100)] = 0
    housing: Housing = Housing.rent
    dependents: Annotated[int, Field(ge=0, le=20)] = 0


class Business(BaseModel):
    """Required for business loans."""

    model_config = ConfigDict(extra="forbid")

    company_name: Annotated[str, Field(min_length=1, max_length=200)]
    registration_number: Annotated[str, Field(min_length=1, max_length=64)]
    industry: Annotated[str, Field(min_length=1, max_length=100)]
    years_trading: Annotated[float, Field(ge=0, le=200)]
    annual_revenue: Annotated[float, Field(ge=0, le=1e12)]


class DocumentRef(BaseModel):
    """An uploaded document (POST /api/documents) the application relies on."""

    model_config = ConfigDict(extra="forbid")

    document_id: Annotated[str, Field(min_length=1, max_length=64)]
    kind: DocumentKind


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    loan_type: LoanType
    amount: Annotated[float, Field(gt=0, le=50_000_000)]
    term_months: Annotated[int, Field(ge=1, le=360)]
    purpose: Purpose
    applicant: Applicant
    employment: Employment
    financials: Financials = Financials()
    business: Business | None = None
    # Recorded consent to a credit bureau check for this application (purpose: credit
    # decision). Without it no bureau pull is made and the application goes to a person.
    consent_bureau_check: bool
    # The account the loan is paid into (checked with the Luhn digit by verification).
    bank_card: Annotated[str, Field(pattern=r"^\d{12,19}$")] | None = None
    # Name a process version to run; by default the latest of the loan type's process.
    process_version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    # Uploaded documents, read by OCR (read_documents) and cross-checked with the form.
    documents: Annotated[list[DocumentRef], Field(max_length=20)] = []

    @model_validator(mode="after")
    def _business_details(self) -> ApplicationCreate:
        if self.loan_type is LoanType.business and self.business is None:
            raise ValueError("business: required for a business loan")
        return self
