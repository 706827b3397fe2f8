"""The loan application form: its fields (from api/applications/schemas.py), reading a
posted form into the nested shape ApplicationCreate validates, and putting validation
errors next to the field they name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from api.applications.schemas import (
    ApplicationCreate,
    EmploymentStatus,
    Housing,
    LoanType,
    Purpose,
    Sex,
)

_LABELS = {
    "car_new": "Car (new)", "car_used": "Car (used)", "self_employed": "Self-employed",
    "debt_consolidation": "Debt consolidation", "home_improvement": "Home improvement",
    "free": "Living free of charge",
}


def label(value: str) -> str:
    return _LABELS.get(value, value.replace("_", " ").capitalize())


def _options(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(m.value, label(m.value)) for m in enum]


@dataclass(frozen=True)
class FormField:
    name: str  # dotted path into ApplicationCreate, e.g. "applicant.national_id"
    label: str
    kind: str = "text"  # text, number, date, email, tel, select, textarea, checkbox
    required: bool = True
    options: Sequence[tuple[str, str]] = ()
    step: str = "any"
    hint: str = ""
    default: str = ""
    wide: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: list[FormField] = field(default_factory=list)
    note: str = ""


SECTIONS = [
    Section("loan", "The loan", [
        FormField("loan_type", "Loan type", "select", options=_options(LoanType)),
        FormField("amount", "Amount (CNY)", "number", step="0.01"),
        FormField("term_months", "Term (months)", "number", step="1"),
        FormField("purpose", "Purpose", "select", options=_options(Purpose)),
    ]),
    Section("applicant", "About you", [
        FormField("applicant.full_name", "Full name"),
        FormField("applicant.national_id", "National ID number",
                  hint="18 characters: 17 digits and a check digit or X"),
        FormField("applicant.date_of_birth", "Date of birth", "date"),
        FormField("applicant.sex", "Sex", "select", options=_options(Sex)),
        FormField("applicant.phone", "Phone", "tel"),
        FormField("applicant.email", "Email", "email"),
        FormField("applicant.address", "Address", "textarea", wide=True),
    ]),
    Section("employment", "Employment and income", [
        FormField("employment.status", "Employment status", "select",
                  options=_options(EmploymentStatus)),
        FormField("employment.employer", "Employer", required=False),
        FormField("employment.years_employed", "Years employed", "number", required=False,
                  step="0.5", default="0"),
        FormField("employment.monthly_income", "Monthly income (CNY)", "number", step="0.01"),
    ]),
    Section("financials", "What you have and owe", [
        FormField("financials.checking_balance", "Checking account balance", "number",
                  required=False, hint="leave empty if you have no checking account"),
        FormField("financials.savings_balance", "Savings", "number", required=False),
        FormField("financials.monthly_debt_payments", "Monthly debt payments", "number",
                  required=False, default="0"),
        FormField("financials.existing_loans", "Existing loans", "number", required=False,
                  step="1", default="0"),
        FormField("financials.housing", "Housing", "select", required=False,
                  options=_options(Housing), default=Housing.rent.value),
        FormField("financials.dependents", "Dependents", "number", required=False, step="1",
                  default="0"),
    ]),
    Section("business", "Your business", [
        FormField("business.company_name", "Company name"),
        FormField("business.registration_number", "Registration number"),
        FormField("business.industry", "Industry"),
        FormField("business.years_trading", "Years trading", "number", step="0.5"),
        FormField("business.annual_revenue", "Annual revenue (CNY)", "number", step="0.01"),
    ], note="Only for business loans."),
    Section("consent", "Consent", [
        FormField("consent_bureau_check", "I consent to a credit bureau check for this "
                  "application, for the purpose of the credit decision.", "checkbox",
                  required=False, hint="Without consent no bureau report is pulled and a "
                  "person reviews the application.", wide=True),
    ]),
    Section("advanced", "Advanced", [
        FormField("process_version", "Process version", "number", required=False, step="1",
                  hint="leave empty for the current process"),
    ], note="For testing a particular version of the approval process."),
]
FIELDS = {f.name: f for s in SECTIONS for f in s.fields}


def defaults() -> dict[str, str]:
    return {name: f.default for name, f in FIELDS.items() if f.default}


def read_form(form: Mapping[str, Any]) -> dict[str, str]:
    """The posted values we know, as typed (so a failed submission loses nothing)."""
    values = {name: str(form.get(name, "")).strip() for name in FIELDS}
    values["consent_bureau_check"] = "on" if form.get("consent_bureau_check") else ""
    return values


def to_payload(values: Mapping[str, str]) -> dict[str, Any]:
    """Nest the dotted names. An empty field is left out: an optional one gets its default,
    a required one the message that it is required."""
    out: dict[str, Any] = {}
    for name, raw in values.items():
        if name == "consent_bureau_check":
            out[name] = raw == "on"
            continue
        if raw == "":
            continue
        head, _, rest = name.partition(".")
        if rest:
            out.setdefault(head, {})[rest] = raw
        else:
            out[name] = raw
    wants_business = values.get("loan_type") == LoanType.business.value
    if not wants_business:
        out.pop("business", None)
    elif "business" not in out:
        out["business"] = {}  # each missing field gets its own message
    return out


def _friendly(name: str, err: Mapping[str, Any], msg: str) -> str:
    """Pydantic's words where they are plain; the field's own words where they are not."""
    kind, ctx, f = err.get("type"), err.get("ctx") or {}, FIELDS.get(name)
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "This field is required."
    if kind == "string_pattern_mismatch" and f is not None:
        return ("Not in the expected format (see the hint)." if f.hint
                else f"Not a valid {f.label.lower()}.")
    return msg[:1].upper() + msg[1:]


def _message(err: Mapping[str, Any]) -> tuple[str, str]:
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    loc = [str(p) for p in err.get("loc", ()) if p != "body"]
    if not loc and ": " in msg:  # a model-level check names its field first
        name, _, rest = msg.partition(": ")
        return name, rest[:1].upper() + rest[1:]
    name = ".".join(loc) or "form"
    return name, _friendly(name, err, msg)


def field_errors(errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Pydantic (or service) errors keyed by the form field they name; errors about a
    whole section (e.g. "business") are keyed by the section."""
    out: dict[str, str] = {}
    for err in errors:
        name, msg = _message(err)
        if name not in FIELDS and name.partition(".")[0] in FIELDS:
            name = name.partition(".")[0]
        out.setdefault(name, msg)
    return out


def validate(values: Mapping[str, str]) -> tuple[ApplicationCreate | None, dict[str, str]]:
    try:
        body = ApplicationCreate.model_validate(to_payload(values))
    except ValidationError as err:
        return None, field_errors(err.errors(include_url=False))
    return body, {}


def _lookup(payload: Mapping[str, Any], name: str) -> Any:
    value: Any = payload
    for part in name.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _shown(f: FormField, value: Any) -> str:
    if f.kind == "checkbox":
        return "yes" if value else "no"
    if f.kind == "select" and value is not None:
        return label(str(value))
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"
    return "" if value is None else str(value)


def summary(payload: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """An application as its reviewer reads it: the form's sections, labelled."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for section in SECTIONS:
        if section.key == "business" and not payload.get("business"):
            continue
        rows = [(f.label if f.kind != "checkbox" else "Bureau check consent",
                 _shown(f, _lookup(payload, f.name)))
                for f in section.fields if f.name != "process_version"]
        if rows:
            out.append((section.title, rows))
    return out
