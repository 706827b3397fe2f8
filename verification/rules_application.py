"""Rules that need nothing but the application itself."""

from __future__ import annotations

import datetime as dt

from verification import formats
from verification import national_id as nid
from verification.report import (
    Check,
    Context,
    Rule,
    Severity,
    could_not_check,
    failed,
    passed,
    rule,
)


def _parsed(ctx: Context) -> nid.ParsedId:
    return nid.parse(str(ctx.applicant.get("national_id", "")))


@rule("national_id.checksum", Severity.error, "National ID number check character (GB 11643)")
def id_checksum(ctx: Context) -> Check:
    parsed = _parsed(ctx)
    if not parsed.well_formed:
        return failed("The national ID number is not 17 digits followed by a digit or X.")
    if not parsed.checksum_ok:
        return failed("The national ID number's check character is wrong: the number was "
                      "mistyped or is not genuine.", algorithm="ISO 7064 MOD 11-2")
    return passed("The national ID number's check character is right.",
                  algorithm="ISO 7064 MOD 11-2")


@rule("national_id.region", Severity.warning, "National ID number region code")
def id_region(ctx: Context) -> Check | None:
    parsed = _parsed(ctx)
    if not parsed.well_formed:
        return None
    if parsed.province is None:
        return failed("The first two digits of the national ID number are not a province "
                      "code.", province_code=parsed.province_code)
    return passed("The national ID number's region code is a province.",
                  province=parsed.province)


@rule("national_id.birth_date", Severity.error, "Birth date encoded in the national ID number")
def id_birth_date(ctx: Context) -> Check | None:
    parsed = _parsed(ctx)
    if not parsed.well_formed:
        return None
    if parsed.birth_date is None:
        return failed("The national ID number encodes a birth date that does not exist.")
    if parsed.birth_date > ctx.today:
        return failed("The national ID number encodes a birth date in the future.")
    stated = ctx.stated_date()
    if stated is None:
        return could_not_check("The application has no readable birth date.")
    if stated != parsed.birth_date:
        return failed("The birth date on the application differs from the one encoded in the "
                      "national ID number.", stated=stated.isoformat(),
                      encoded=parsed.birth_date.isoformat())
    return passed("The birth date matches the national ID number.")


@rule("national_id.sex", Severity.error, "Sex encoded in the national ID number")
def id_sex(ctx: Context) -> Check | None:
    parsed = _parsed(ctx)
    if not parsed.well_formed or parsed.sex is None:
        return None
    stated = str(ctx.applicant.get("sex", ""))
    if stated != parsed.sex.value:
        return failed("The sex on the application differs from the one encoded in the "
                      "national ID number (17th digit).", stated=stated,
                      encoded=parsed.sex.value)
    return passed("The sex matches the national ID number.")


@rule("contact.phone", Severity.warning, "Phone number format")
def phone(ctx: Context) -> Check:
    kind = formats.phone_kind(str(ctx.applicant.get("phone", "")))
    if kind is None:
        return failed("The phone number is not a valid mainland mobile, landline or "
                      "international number.")
    return passed("The phone number is well formed.", kind=kind)


@rule("contact.address", Severity.warning, "Address format")
def address(ctx: Context) -> Check:
    problem = formats.address_problem(str(ctx.applicant.get("address", "")))
    if problem is not None:
        return failed(f"The address cannot be used: {problem}.")
    return passed("The address is well formed.")


def _bank_card(ctx: Context) -> str | None:
    for holder in (ctx.application, ctx.applicant, ctx.financials):
        value = holder.get("bank_card")
        if value:
            return str(value)
    return None


@rule("payment.bank_card", Severity.warning, "Bank card number (Luhn check)")
def bank_card(ctx: Context) -> Check | None:
    card = _bank_card(ctx)
    if card is None:
        return None
    if not formats.luhn_ok(card):
        return failed("The bank card number fails its check digit (Luhn): it was mistyped.")
    return passed("The bank card number's check digit is right.")


@rule("product.age", Severity.error, "Applicant's age within the product's limits")
def product_age(ctx: Context) -> Check:
    limits = ctx.products.get(str(ctx.application.get("loan_type")))
    born = ctx.stated_date()
    if limits is None or born is None:
        return could_not_check("The loan product or the birth date is unknown.")
    age = nid.age_on(born, ctx.today)
    term = int(ctx.application.get("term_months") or 0)
    maturity = ctx.today + dt.timedelta(days=round(term * 30.44))
    age_at_maturity = nid.age_on(born, maturity)
    evidence = {"age": age, "age_at_maturity": age_at_maturity, "min_age": limits.min_age,
                "max_age_at_application": limits.max_age_at_application,
                "max_age_at_maturity": limits.max_age_at_maturity}
    if age < limits.min_age:
        return failed(f"The applicant is younger than the product's minimum age of "
                      f"{limits.min_age}.", **evidence)
    if age > limits.max_age_at_application:
        return failed(f"The applicant is older than the product's maximum age of "
                      f"{limits.max_age_at_application}.", **evidence)
    if age_at_maturity > limits.max_age_at_maturity:
        return failed(f"The applicant would be older than {limits.max_age_at_maturity} when "
                      f"the loan ends.", **evidence)
    return passed("The applicant's age is within the product's limits.", **evidence)


@rule("product.amount", Severity.error, "Amount and term within the product's limits")
def product_amount(ctx: Context) -> Check:
    limits = ctx.products.get(str(ctx.application.get("loan_type")))
    if limits is None:
        return could_not_check("The loan product is unknown.")
    amount = float(ctx.application.get("amount") or 0)
    term = int(ctx.application.get("term_months") or 0)
    evidence = {"amount": amount, "term_months": term, "min_amount": limits.min_amount,
                "max_amount": limits.max_amount, "min_term_months": limits.min_term_months,
                "max_term_months": limits.max_term_months}
    if not limits.min_amount <= amount <= limits.max_amount:
        return failed(f"The amount is outside the {limits.loan_type} product's range of "
                      f"{limits.min_amount:,.0f} to {limits.max_amount:,.0f}.", **evidence)
    if not limits.min_term_months <= term <= limits.max_term_months:
        return failed(f"The term is outside the {limits.loan_type} product's range of "
                      f"{limits.min_term_months} to {limits.max_term_months} months.",
                      **evidence)
    return passed("The amount and term are within the product's limits.", **evidence)


@rule("employment.stated", Severity.warning, "An employed applicant names an employer")
def stated_employer(ctx: Context) -> Check | None:
    if ctx.employment_stated.get("status") != "employed":
        return None
    if not str(ctx.employment_stated.get("employer", "")).strip():
        return failed("The applicant says they are employed but names no employer.")
    return passed("The applicant names an employer.")


APPLICATION_RULES: list[Rule] = [
    id_checksum, id_region, id_birth_date, id_sex, phone, address, bank_card,
    product_age, product_amount, stated_employer,
]
