"""Rules that compare the application with what outside sources and our records say."""

from __future__ import annotations

from verification.fuzzy import company_similarity, name_similarity
from verification.report import (
    Check,
    Context,
    Rule,
    Severity,
    could_not_check,
    failed,
    failed_as,
    passed,
    rule,
)
from verification.sources import ApplicationSnapshot

NAME_MATCH = 0.9  # identity registry / bureau name similarity that counts as the same
EMPLOYER_MATCH = 0.85
# Employers commonly declare a contribution base below the real salary, so stated income
# may exceed the base; more than this factor is not explained by that.
INCOME_OVER_BASE = 1.6
INCOME_DIFFERENT = 0.25  # relative difference between two applications' stated incomes
DEBT_SLACK_RATIO, DEBT_SLACK_ABS = 1.25, 300.0

_BUREAU_REASONS = {
    "no_hit": "The credit bureau has no file on the applicant (thin file).",
    "frozen": "The applicant's credit file is frozen; the applicant must lift the freeze.",
    "multiple_match": "The credit bureau found several files for these details.",
    "no_consent": "No bureau check was made: the applicant has not consented to it.",
}


@rule("identity.registry", Severity.error, "National ID number known to the identity "
      "registry, without flags", ("identity_registry",))
def identity_registry(ctx: Context) -> Check:
    if ctx.identity is None:
        return ctx.absent("identity_registry")
    if ctx.identity.status == "not_found":
        return failed("The identity registry has no record of this national ID number.")
    if ctx.identity.flags:
        return failed("The identity registry flags this identity card: "
                      + ", ".join(f.replace("_", " ") for f in ctx.identity.flags) + ".",
                      flags=ctx.identity.flags, reference=ctx.identity.reference)
    return passed("The identity registry knows this number and flags nothing.",
                  reference=ctx.identity.reference)


@rule("identity.name", Severity.warning, "Name matches the identity registry",
      ("application", "identity_registry"))
def identity_name(ctx: Context) -> Check | None:
    if ctx.identity is None:
        return ctx.absent("identity_registry")
    if ctx.identity.status != "found":
        return None
    score = ctx.identity.name_score
    if score < NAME_MATCH:
        return failed("The name differs from the one the identity registry holds for this "
                      "number.", name_score=score)
    return passed("The name matches the identity registry.", name_score=score)


@rule("identity.birth_date_sex", Severity.error, "Birth date and sex match the identity "
      "registry", ("application", "identity_registry"))
def identity_dob_sex(ctx: Context) -> Check | None:
    if ctx.identity is None:
        return ctx.absent("identity_registry")
    if ctx.identity.status != "found":
        return None
    wrong = [k for k, ok in (("birth date", ctx.identity.date_of_birth_match),
                             ("sex", ctx.identity.sex_match)) if ok is False]
    if wrong:
        return failed(f"The {' and '.join(wrong)} differ from the identity registry.",
                      differing=wrong)
    return passed("Birth date and sex match the identity registry.")


def _employed(ctx: Context) -> bool:
    return ctx.employment_stated.get("status") == "employed"


@rule("employment.registry", Severity.warning, "Social-security record of current "
      "employment", ("application", "employment_registry"))
def employment_registry(ctx: Context) -> Check | None:
    if not _employed(ctx):
        return None
    if ctx.employment is None:
        return ctx.absent("employment_registry")
    if ctx.employment.status == "not_found":
        return failed("The applicant says they are employed, but social security has no "
                      "record of them.")
    if not ctx.employment.active:
        return failed("Social security shows no contributions in the last three months.",
                      last_contribution=ctx.employment.last_contribution)
    return passed("Social security shows current contributions.",
                  months_contributed=ctx.employment.months_contributed)


@rule("employment.employer", Severity.warning, "Stated employer matches social security",
      ("application", "employment_registry"))
def employer_match(ctx: Context) -> Check | None:
    if not _employed(ctx) or not str(ctx.employment_stated.get("employer", "")).strip():
        return None
    if ctx.employment is None:
        return ctx.absent("employment_registry")
    if ctx.employment.status != "found" or ctx.employment.registered_employer is None:
        return None  # employment.registry already reports the missing record
    score = company_similarity(str(ctx.employment_stated["employer"]),
                               ctx.employment.registered_employer)
    evidence = {"registered_employer": ctx.employment.registered_employer,
                "employer_score": round(score, 3)}
    if score < EMPLOYER_MATCH:
        return failed("The stated employer is not the one paying the applicant's social "
                      "security.", **evidence)
    return passed("The stated employer matches social security.", **evidence)


@rule("income.social_security", Severity.warning, "Stated income against the social-"
      "security contribution base", ("application", "employment_registry"))
def income_evidence(ctx: Context) -> Check | None:
    status = ctx.employment_stated.get("status")
    stated = float(ctx.employment_stated.get("monthly_income") or 0)
    if stated <= 0:
        return None
    if status != "employed":
        return could_not_check("Income that is not from employment cannot be checked against "
                               "social security; bank statements are needed.",
                               employment_status=status)
    if ctx.employment is None:
        return ctx.absent("employment_registry")
    base = ctx.employment.monthly_contribution_base
    if ctx.employment.status != "found" or base is None:
        return could_not_check("There is no social-security contribution base to compare "
                               "the income with.")
    cap = ctx.employment.contribution_cap
    evidence = {"stated_monthly_income": stated, "contribution_base": base,
                "contribution_cap": cap, "ratio": round(stated / base, 2)}
    if cap is not None and base >= cap:
        if stated < 0.5 * cap:
            return failed("The stated income is far below the social-security contribution "
                          "base, which is at its legal maximum.", **evidence)
        return passed("The contribution base is at its legal maximum, consistent with the "
                      "stated income.", **evidence)
    if stated > base * INCOME_OVER_BASE:
        return failed(f"The stated income is {stated / base:.1f} times the social-security "
                      f"contribution base.", **evidence)
    return passed("The stated income is consistent with the social-security contribution "
                  "base.", **evidence)


@rule("bureau.file", Severity.warning, "Credit bureau file available", ("credit_bureau",))
def bureau_file(ctx: Context) -> Check:
    if ctx.bureau is None:
        return ctx.absent("credit_bureau")
    if ctx.bureau.status != "hit":
        return could_not_check(_BUREAU_REASONS.get(ctx.bureau.status, ctx.bureau.status),
                               bureau_status=ctx.bureau.status)
    return passed("The credit bureau returned a file.", reference=ctx.bureau.reference)


@rule("bureau.subject", Severity.warning, "Name matches the credit bureau file",
      ("application", "credit_bureau"))
def bureau_subject(ctx: Context) -> Check | None:
    if ctx.bureau is None or ctx.bureau.status != "hit" or ctx.bureau.name_score is None:
        return None
    if ctx.bureau.name_score < NAME_MATCH:
        return failed("The name on the credit file differs from the application.",
                      name_score=ctx.bureau.name_score)
    return passed("The name on the credit file matches.", name_score=ctx.bureau.name_score)


@rule("bureau.fraud_flags", Severity.warning, "No fraud alerts on the credit file",
      ("credit_bureau",))
def bureau_fraud(ctx: Context) -> Check | None:
    if ctx.bureau is None or ctx.bureau.status != "hit":
        return None
    if ctx.bureau.fraud_flags:
        return failed("The credit file carries a fraud alert: confirm the applicant's "
                      "identity before lending.", fraud_flags=ctx.bureau.fraud_flags)
    return passed("The credit file carries no fraud alert.")


@rule("debts.bureau", Severity.warning, "Stated debts against the bureau's tradelines",
      ("application", "credit_bureau"))
def debts(ctx: Context) -> Check:
    if ctx.bureau is None:
        return ctx.absent("credit_bureau")
    if ctx.bureau.status != "hit":
        return could_not_check("Without a credit file the stated debts cannot be checked.")
    if not ctx.bureau.obligations_known or ctx.bureau.monthly_obligations is None:
        return could_not_check("The credit bureau does not know all of the applicant's "
                               "obligations.")
    stated = float(ctx.financials.get("monthly_debt_payments") or 0)
    stated_loans = int(ctx.financials.get("existing_loans") or 0)
    loans = sum(t.open and t.kind != "credit_card" for t in ctx.bureau.tradelines)
    owed = ctx.bureau.monthly_obligations
    evidence = {"stated_monthly_debt_payments": stated, "bureau_monthly_obligations": owed,
                "stated_existing_loans": stated_loans, "bureau_open_loans": loans}
    if owed > stated * DEBT_SLACK_RATIO + DEBT_SLACK_ABS:
        return failed("The credit bureau shows higher monthly repayments than the applicant "
                      "declared.", **evidence)
    if loans > stated_loans:
        return failed("The credit bureau shows more open loans than the applicant declared.",
                      **evidence)
    return passed("The declared debts agree with the credit bureau.", **evidence)


@rule("sanctions.screening", Severity.error, "Sanctions and watch-list screening",
      ("sanctions_list",))
def sanctions(ctx: Context) -> Check:
    if ctx.sanctions is None:
        return ctx.absent("sanctions_list")
    hits = [{"list": h.list_name, "entry_id": h.entry_id, "score": h.score,
             "birth_date_match": h.birth_date_match} for h in ctx.sanctions.matches]
    if ctx.sanctions.status == "match":
        return failed("The applicant matches a sanctions or watch-list entry by name and "
                      "birth date.", hits=hits, list_version=ctx.sanctions.list_version)
    if ctx.sanctions.status == "potential_match":
        return failed_as(Severity.warning, "The name resembles a watch-list entry without a "
                         "birth date to tell them apart: a person must clear it.", hits=hits)
    return passed("No sanctions or watch-list match.", cleared=hits,
                  list_version=ctx.sanctions.list_version)


def _differences(ctx: Context, other: ApplicationSnapshot) -> list[str]:
    a, e = ctx.applicant, ctx.employment_stated
    diffs = []
    if name_similarity(str(a.get("full_name", "")), other.full_name) < NAME_MATCH:
        diffs.append("name")
    if str(a.get("date_of_birth", "")) != other.date_of_birth:
        diffs.append("birth date")
    stated_employer = str(e.get("employer", ""))
    if (stated_employer or other.employer) and company_similarity(
            stated_employer, other.employer) < EMPLOYER_MATCH:
        diffs.append("employer")
    income = float(e.get("monthly_income") or 0)
    if max(income, other.monthly_income) > 0 and abs(income - other.monthly_income) > (
            INCOME_DIFFERENT * max(income, other.monthly_income)):
        diffs.append("income")
    return diffs


@rule("records.same_person", Severity.warning, "Same person on other applications with "
      "different details", ("application", "internal_records"))
def same_person(ctx: Context) -> Check:
    if ctx.others is None:
        return could_not_check("Our own records were not consulted.")
    conflicting = []
    for other in ctx.others:
        diffs = _differences(ctx, other)
        if diffs:
            conflicting.append({"application_id": other.application_id, "differs_in": diffs})
    if conflicting:
        return failed("The same national ID number appears on other applications with "
                      "different details.", applications=conflicting)
    return passed("No other application gives different details for this person.",
                  other_applications=len(ctx.others))


@rule("records.repayment", Severity.warning, "Repayment of past loans with us",
      ("internal_records",))
def repayment(ctx: Context) -> Check:
    if not ctx.history_known:
        return could_not_check("Our own records were not consulted.")
    if ctx.history is None:
        return passed("The applicant is not an existing customer.")
    bad = [loan.status for loan in ctx.history.loans
           if loan.status in ("in_arrears", "defaulted", "written_off")]
    if bad:
        return failed("The applicant has loans with us that were not repaid as agreed.",
                      statuses=bad, customer_since=ctx.history.customer_since)
    return passed("Past loans with us were repaid as agreed.",
                  loans=len(ctx.history.loans))


SOURCE_RULES: list[Rule] = [
    identity_registry, identity_name, identity_dob_sex, employment_registry, employer_match,
    income_evidence, bureau_file, bureau_subject, bureau_fraud, debts, sanctions,
    same_person, repayment,
]
