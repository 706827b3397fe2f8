"""Cross-validation: put the application and every source's answer side by side, run the
rules, and say per attribute which sources agree. The result is the verification report
stored with the application and shown to the underwriter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

import pydantic

from verification import national_id as nid
from verification.fuzzy import company_similarity
from verification.products import DEFAULT_PRODUCTS, ProductLimits
from verification.report import (
    Check,
    Context,
    Rule,
    Severity,
    build_report,
    could_not_check,
    failed,
    passed,
    rule,
    run_rules,
)
from verification.rules_application import APPLICATION_RULES
from verification.rules_sources import (
    DEBT_SLACK_ABS,
    DEBT_SLACK_RATIO,
    EMPLOYER_MATCH,
    INCOME_OVER_BASE,
    NAME_MATCH,
    SOURCE_RULES,
)
from verification.sources import (
    ApplicationSnapshot,
    BureauReport,
    CustomerHistory,
    EmploymentCheck,
    IdentityCheck,
    SanctionsScreen,
    from_json,
)

JSON = Any
T = TypeVar("T")

# Process-data key (an earlier activity's output) -> source name used in findings.
SOURCE_KEYS = {
    "identity": "identity_registry",
    "employment_check": "employment_registry",
    "bureau": "credit_bureau",
    "sanctions": "sanctions_list",
}


def _load(data: Mapping[str, JSON], key: str, kind: type[T], missing: dict[str, str]) -> T | None:
    raw = data.get(key)
    if raw is None:
        missing[SOURCE_KEYS[key]] = "no answer in the process data"
        return None
    try:
        return from_json(kind, raw)
    except pydantic.ValidationError:
        missing[SOURCE_KEYS[key]] = "the stored answer is malformed"
        return None


def context_from_process_data(
    data: Mapping[str, JSON],
    *,
    others: list[ApplicationSnapshot] | None = None,
    history: CustomerHistory | None = None,
    history_known: bool = False,
    today: dt.date | None = None,
    products: Mapping[str, ProductLimits] | None = None,
) -> Context:
    missing: dict[str, str] = {}
    return Context(
        application=dict(data.get("application") or {}),
        today=today or dt.date.today(),
        products=products or DEFAULT_PRODUCTS,
        identity=_load(data, "identity", IdentityCheck, missing),
        employment=_load(data, "employment_check", EmploymentCheck, missing),
        bureau=_load(data, "bureau", BureauReport, missing),
        sanctions=_load(data, "sanctions", SanctionsScreen, missing),
        others=others, history=history, history_known=history_known, missing=missing,
        documents=_documents(data),
    )


def _documents(data: Mapping[str, JSON]) -> dict[str, JSON] | None:
    """read_documents' output; before it ran, ``documents`` may still hold references."""
    raw = data.get("documents")
    return raw if isinstance(raw, dict) and isinstance(raw.get("fields"), list) else None


@rule("documents.ocr", Severity.warning, "Uploaded documents agree with the application",
      ("application", "documents"))
def documents_ocr(ctx: Context) -> Check | None:
    """What OCR read from the uploads against what was typed. A field read with low
    confidence, or a document that could not be read, goes to a person: never trusted,
    never held against the applicant."""
    referenced = bool(ctx.application.get("documents"))
    if ctx.documents is None:
        return could_not_check("The uploaded documents were not read.") if referenced else None
    fields: list[dict[str, JSON]] = [f for f in ctx.documents.get("fields") or []
                                     if isinstance(f, dict)]
    results: list[dict[str, JSON]] = [r for r in ctx.documents.get("results") or []
                                      if isinstance(r, dict)]
    if not fields and not results:
        return None

    def where(status: str) -> list[str]:
        # Names of document and field only: the values are personal data.
        return [f"{f.get('document')}.{f.get('field')}" for f in fields
                if f.get("status") == status]

    disagree, uncertain = where("disagrees"), where("low_confidence")
    rejected = [str(r.get("kind")) for r in results if r.get("status") == "rejected"]
    if disagree:
        return failed("What the uploaded documents say differs from the application: "
                      + ", ".join(disagree) + ".", fields=disagree, uncertain=uncertain,
                      unreadable=rejected)
    if uncertain or rejected:
        parts = ([f"read too uncertainly: {', '.join(uncertain)}"] if uncertain else []) + \
            ([f"could not be read: {', '.join(rejected)}"] if rejected else [])
        return could_not_check("A person must check the uploaded documents ("
                               + "; ".join(parts) + ").", uncertain=uncertain,
                               unreadable=rejected)
    agreed = where("agrees")
    return passed("The uploaded documents agree with the application.", fields=agreed)


DOCUMENT_RULES: list[Rule] = [documents_ocr]


def snapshot_of(application_id: str, application: Mapping[str, JSON]) -> ApplicationSnapshot:
    applicant = application.get("applicant") or {}
    employment = application.get("employment") or {}
    return ApplicationSnapshot(
        application_id=application_id,
        full_name=str(applicant.get("full_name", "")),
        date_of_birth=str(applicant.get("date_of_birth", "")),
        phone=str(applicant.get("phone", "")),
        address=str(applicant.get("address", "")),
        employer=str(employment.get("employer", "")),
        monthly_income=float(employment.get("monthly_income") or 0),
    )


def _verdict(ok: bool | None) -> str:
    return "unknown" if ok is None else ("agrees" if ok else "disagrees")


def _row(attribute: str, verdicts: dict[str, bool | None]) -> dict[str, JSON]:
    known = [v for v in verdicts.values() if v is not None]
    return {"attribute": attribute,
            "sources": {k: _verdict(v) for k, v in verdicts.items()},
            "agree": None if not known else all(known)}


def agreement(ctx: Context) -> list[dict[str, JSON]]:
    """Per attribute, whether each source agrees with the application (None: unknown)."""
    parsed = nid.parse(str(ctx.applicant.get("national_id", "")))
    ident = ctx.identity if ctx.identity and ctx.identity.status == "found" else None
    bureau = ctx.bureau if ctx.bureau and ctx.bureau.status == "hit" else None
    job = ctx.employment if ctx.employment and ctx.employment.status == "found" else None
    stated_dob = ctx.stated_date()
    rows = [
        _row("full_name", {
            "identity_registry": None if ident is None else ident.name_score >= NAME_MATCH,
            "credit_bureau": None if bureau is None or bureau.name_score is None
            else bureau.name_score >= NAME_MATCH,
        }),
        _row("date_of_birth", {
            "national_id": None if parsed.birth_date is None
            else parsed.birth_date == stated_dob,
            "identity_registry": None if ident is None else ident.date_of_birth_match,
        }),
        _row("sex", {
            "national_id": None if parsed.sex is None
            else parsed.sex.value == ctx.applicant.get("sex"),
            "identity_registry": None if ident is None else ident.sex_match,
        }),
    ]
    employer = str(ctx.employment_stated.get("employer", ""))
    rows.append(_row("employer", {
        "employment_registry": None if job is None or not employer
        or job.registered_employer is None
        else company_similarity(employer, job.registered_employer) >= EMPLOYER_MATCH,
    }))
    income = float(ctx.employment_stated.get("monthly_income") or 0)
    income_ok: bool | None = None
    if job is not None and job.monthly_contribution_base and income:
        base, cap = job.monthly_contribution_base, job.contribution_cap
        income_ok = (cap is not None and base >= cap) or income <= base * INCOME_OVER_BASE
    rows.append(_row("monthly_income", {"employment_registry": income_ok}))
    debts_ok: bool | None = None
    if bureau is not None and bureau.obligations_known and bureau.monthly_obligations is not None:
        stated = float(ctx.financials.get("monthly_debt_payments") or 0)
        debts_ok = bureau.monthly_obligations <= stated * DEBT_SLACK_RATIO + DEBT_SLACK_ABS
    rows.append(_row("monthly_debt_payments", {"credit_bureau": debts_ok}))
    return rows


def validation_report(ctx: Context, *, checked_at: str) -> dict[str, JSON]:
    """Rules on the application alone (no outside source consulted)."""
    return build_report(run_rules(APPLICATION_RULES, ctx), checked_at=checked_at)


def verification_report(ctx: Context, *, checked_at: str) -> dict[str, JSON]:
    """Every rule, plus the per-attribute agreement of the sources."""
    findings = run_rules(APPLICATION_RULES + SOURCE_RULES + DOCUMENT_RULES, ctx)
    sources = {name: ("missing: " + ctx.missing[name]) if name in ctx.missing else "answered"
               for name in SOURCE_KEYS.values()}
    sources["internal_records"] = "answered" if ctx.others is not None else "not consulted"
    return build_report(findings, checked_at=checked_at,
                        extra={"agreement": agreement(ctx), "sources": sources})
