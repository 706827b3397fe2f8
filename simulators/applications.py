"""Generated loan applications that agree with the simulated world, clean or with one
known inconsistency injected: for the tests, the bench and demo data.

A clean application states exactly what the sources know (with the small, honest
differences real applicants make: a shortened employer name, a rounded income). An
injected one is wrong in one named way, and lists the rule ids that must catch it.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from simulators.population import CONTRIBUTION_CAP, Population, Subject, make_employer, make_name
from verification import national_id as nid
from verification.formats import luhn_complete
from verification.fuzzy import company_similarity, name_similarity
from verification.sources import ApplicationSnapshot, CustomerHistory, PastLoan

JSON = Any

# kind -> rules that must not pass on it
KINDS: dict[str, tuple[str, ...]] = {
    "national_id_checksum": ("national_id.checksum",),
    "birth_date_mismatch": ("national_id.birth_date",),
    "sex_mismatch": ("national_id.sex",),
    "phone_format": ("contact.phone",),
    "address_format": ("contact.address",),
    "bank_card_luhn": ("payment.bank_card",),
    "age_limit": ("product.age",),
    "amount_limit": ("product.amount",),
    "identity_mismatch": ("identity.name",),
    "identity_flagged": ("identity.registry",),
    "employment_not_found": ("employment.registry",),
    "employer_mismatch": ("employment.employer",),
    "income_inflated": ("income.social_security",),
    "debts_understated": ("debts.bureau",),
    "missing_obligations": ("debts.bureau",),
    "bureau_no_hit": ("bureau.file",),
    "bureau_frozen": ("bureau.file",),
    "no_consent": ("bureau.file",),
    "bureau_fraud_flag": ("bureau.fraud_flags",),
    "sanctions_match": ("sanctions.screening",),
    "duplicate_person": ("records.same_person",),
    "past_default": ("records.repayment",),
}

_DISTRICTS = (("广东省", "深圳市", "南山区"), ("北京市", "北京市", "海淀区"),
              ("上海市", "上海市", "浦东新区"), ("浙江省", "杭州市", "西湖区"),
              ("四川省", "成都市", "武侯区"), ("湖北省", "武汉市", "洪山区"))
_ROADS = ("科技园", "中山", "人民", "建设", "解放", "学院", "滨江", "长江")
_BAD_PHONES = ("12345", "10012345678", "2381234567", "138-1234-567", "phone")
_BAD_ADDRESSES = ("不知道", "N/A", "123", "上海", "somewhere", "家")
_TERMS = {"personal": (12, 24, 36, 48), "micro": (6, 12, 24), "business": (24, 36, 60)}


@dataclass
class Case:
    application_id: str
    application: dict[str, JSON]
    kind: str | None  # None: clean
    expected: tuple[str, ...] = ()
    prior: list[tuple[str, ApplicationSnapshot]] = field(default_factory=list)
    customer: CustomerHistory | None = None


def _clean_subject(s: Subject) -> bool:
    c = s.credit
    return (s.valid and not s.identity_flags and s.employer is not None and s.active
            and c.status == "hit" and not c.fraud_flags and c.obligations_known
            and not s.listed)


class CaseFactory:
    def __init__(self, population: Population, *, seed: int = 0,
                 today: dt.date | None = None) -> None:
        self.population = population
        self.rng = random.Random(seed)
        self.today = today or dt.date.today()
        self._cursor = seed * 1_000_003 % 900_000

    def _age(self, s: Subject) -> int:
        return nid.age_on(s.birth_date, self.today)

    def _next(self, predicate: Callable[[Subject], bool]) -> Subject:
        # One cursor for every kind: no two cases share a subject (and so no clean case
        # looks like the same person applying twice with different details).
        for i in range(self._cursor, self._cursor + 500_000):
            subject = self.population.subject(self.population.number(i))
            if predicate(subject):
                self._cursor = i + 1
                return subject
        raise LookupError("no subject fits")

    def _fits(self, s: Subject) -> bool:
        return 23 <= self._age(s) <= 52

    def application(self, s: Subject, loan_type: str | None = None) -> dict[str, JSON]:
        """A clean application for subject ``s``."""
        r = self.rng
        loan_type = loan_type or r.choices(("personal", "micro", "business"), (16, 3, 1))[0]
        province, city, district = r.choice(_DISTRICTS)
        employer = s.employer or ""
        if employer and r.random() < 0.3:  # people shorten employer names
            employer = employer[2:].replace("股份有限公司", "").replace("有限责任公司", "")
            employer = employer.replace("有限公司", "")
        lines = s.credit.tradelines
        owed = sum(t.monthly_payment for t in lines if t.open)
        amount = {"personal": r.randrange(5, 300) * 1000, "micro": r.randrange(5, 80) * 1000,
                  "business": r.randrange(50, 2000) * 1000}[loan_type]
        app: dict[str, JSON] = {
            "loan_type": loan_type, "amount": float(amount),
            "term_months": r.choice(_TERMS[loan_type]),
            "purpose": "business" if loan_type != "personal" else r.choice(
                ("car_used", "furniture", "education", "repairs", "home_improvement")),
            "applicant": {
                "full_name": s.full_name if r.random() < 0.9 else s.name_latin,
                "national_id": s.national_id,
                "date_of_birth": s.birth_date.isoformat(), "sex": s.sex,
                "phone": f"1{r.choice('3456789')}{r.randrange(10**8, 10**9)}"
                if r.random() < 0.7 else f"+86 13{r.randrange(0, 10)} "
                f"{r.randrange(1000, 9999)} {r.randrange(1000, 9999)}",
                "email": f"applicant{r.randrange(10**6)}@example.com",
                "address": f"{province}{city}{district}{r.choice(_ROADS)}路{r.randrange(1, 300)}"
                           f"号{r.randrange(1, 30)}栋{r.randrange(101, 2800)}室",
            },
            "employment": {
                "status": "employed", "employer": employer,
                "years_employed": round(s.months_contributed / 12 * r.uniform(0.3, 1), 1),
                "monthly_income": round(s.monthly_salary * r.uniform(0.95, 1.05), -1),
            },
            "financials": {
                "checking_balance": float(r.randrange(0, 50_000)),
                "savings_balance": float(r.randrange(0, 200_000)),
                "monthly_debt_payments": round(owed * r.uniform(0.92, 1.1), 0),
                "existing_loans": sum(t.open and t.kind != "credit_card" for t in lines),
                "housing": r.choice(("own", "rent", "rent", "free")),
                "dependents": r.randrange(0, 4),
            },
            "consent_bureau_check": True,
            "bank_card": luhn_complete("62" + "".join(r.choice("0123456789") for _ in range(16))),
        }
        if loan_type == "business":
            app["business"] = {"company_name": make_employer(r), "registration_number":
                               f"91{r.randrange(10**15, 10**16)}X", "industry": "retail",
                               "years_trading": float(r.randrange(1, 20)),
                               "annual_revenue": float(r.randrange(5, 500) * 100_000)}
        return app

    def _case(self, app: dict[str, JSON], kind: str | None) -> Case:
        app_id = f"application-{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
        return Case(app_id, app, kind, KINDS.get(kind, ()) if kind else ())

    def clean(self) -> Case:
        subject = self._next(lambda s: _clean_subject(s) and self._fits(s))
        return self._case(self.application(subject), None)

    def _picker(self, kind: str) -> Callable[[Subject], bool]:
        """Which subjects can carry an inconsistency of this kind."""
        fits, age = self._fits, self._age

        def clean(s: Subject) -> bool:
            return _clean_subject(s) and fits(s)

        def owed(s: Subject) -> float:
            return sum(t.monthly_payment for t in s.credit.tradelines if t.open)

        pickers: dict[str, Callable[[Subject], bool]] = {
            "identity_flagged": lambda s: s.valid and bool(s.identity_flags) and fits(s),
            "employment_not_found": lambda s: (s.valid and s.employer is None and fits(s)
                                               and s.credit.status == "hit"),
            "income_inflated": lambda s: clean(s) and (s.contribution_base or 0)
            < CONTRIBUTION_CAP,
            "debts_understated": lambda s: clean(s) and owed(s) >= 1500,
            "missing_obligations": lambda s: (s.valid and s.credit.status == "hit" and fits(s)
                                              and not s.credit.obligations_known),
            "bureau_no_hit": lambda s: (s.valid and s.credit.status == "no_hit" and fits(s)
                                        and not s.identity_flags),
            "bureau_frozen": lambda s: (s.valid and s.credit.status == "frozen" and fits(s)
                                        and not s.identity_flags),
            "bureau_fraud_flag": lambda s: s.valid and bool(s.credit.fraud_flags) and fits(s),
            "age_limit": lambda s: _clean_subject(s) and age(s) > 61,
        }
        return pickers.get(kind, clean)

    def injected(self, kind: str) -> Case:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if kind == "sanctions_match":
            subject = self.population.subject(self.rng.choice(self.population.listed()))
        else:
            subject = self._next(self._picker(kind))
        app = self.application(subject, "personal" if kind == "age_limit" else None)
        case = self._case(app, kind)
        _INJECTORS.get(kind, _nothing)(self.rng, case, subject)
        return case


Injector = Callable[[random.Random, Case, Subject], None]


def _nothing(r: random.Random, case: Case, s: Subject) -> None:
    """The subject itself carries the inconsistency (flags, bureau file, listing)."""


def _checksum(r: random.Random, case: Case, s: Subject) -> None:
    number = s.national_id
    wrong = [c for c in "0123456789X" if c != number[17]]
    case.application["applicant"]["national_id"] = number[:17] + r.choice(wrong)


def _birth_date(r: random.Random, case: Case, s: Subject) -> None:
    shifted = s.birth_date + dt.timedelta(days=r.choice((-1, 1)) * r.randrange(1, 400))
    case.application["applicant"]["date_of_birth"] = shifted.isoformat()


def _sex(r: random.Random, case: Case, s: Subject) -> None:
    case.application["applicant"]["sex"] = "female" if s.sex == "male" else "male"


def _card(r: random.Random, case: Case, s: Subject) -> None:
    card = case.application["bank_card"]
    case.application["bank_card"] = card[:-1] + str((int(card[-1]) + r.randrange(1, 10)) % 10)


def _amount(r: random.Random, case: Case, s: Subject) -> None:
    app = case.application
    app.pop("business", None)
    app["loan_type"] = "personal"
    if r.random() < 0.5:
        app["amount"] = float(r.randrange(501, 2000) * 1000)
    else:
        app["term_months"] = r.choice((72, 84, 120))


def _other_name(r: random.Random, case: Case, s: Subject) -> None:
    while name_similarity(name := make_name(r)[0], s.full_name) >= 0.85:
        pass
    case.application["applicant"]["full_name"] = name


def _other_employer(r: random.Random, case: Case, s: Subject) -> None:
    while company_similarity(other := make_employer(r), s.employer or "") >= 0.7:
        pass
    case.application["employment"]["employer"] = other


def _income(r: random.Random, case: Case, s: Subject) -> None:
    inflated = round((s.contribution_base or 0) * r.uniform(2, 3.5))
    case.application["employment"]["monthly_income"] = inflated


def _debts(r: random.Random, case: Case, s: Subject) -> None:
    fin = case.application["financials"]
    fin["monthly_debt_payments"] = round(fin["monthly_debt_payments"] * 0.3)
    fin["existing_loans"] = 0


def _duplicate(r: random.Random, case: Case, s: Subject) -> None:
    a, e = case.application["applicant"], case.application["employment"]
    prior = ApplicationSnapshot(
        f"application-{uuid.UUID(int=r.getrandbits(128), version=4)}", a["full_name"],
        a["date_of_birth"], a["phone"], a["address"], e["employer"], e["monthly_income"])
    if r.random() < 0.5:
        prior = replace(prior, monthly_income=round(prior.monthly_income * 1.8))
    else:
        prior = replace(prior, employer=make_employer(r))
    case.prior.append((s.national_id, prior))


def _set(path: tuple[str, ...], choices: tuple[JSON, ...]) -> Injector:
    def inject(r: random.Random, case: Case, s: Subject) -> None:
        target = case.application
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = r.choice(choices)

    return inject


def _past_default(r: random.Random, case: Case, s: Subject) -> None:
    case.customer = CustomerHistory("2019-03-01", [
        PastLoan(30_000.0, "repaid"), PastLoan(50_000.0, "defaulted", 120)])


_INJECTORS: dict[str, Injector] = {
    "national_id_checksum": _checksum,
    "birth_date_mismatch": _birth_date,
    "sex_mismatch": _sex,
    "phone_format": _set(("applicant", "phone"), _BAD_PHONES),
    "address_format": _set(("applicant", "address"), _BAD_ADDRESSES),
    "bank_card_luhn": _card,
    "amount_limit": _amount,
    "identity_mismatch": _other_name,
    "employment_not_found": _set(("employment", "employer"), ("深圳宏远科技有限公司",)),
    "employer_mismatch": _other_employer,
    "income_inflated": _income,
    "debts_understated": _debts,
    "no_consent": _set(("consent_bureau_check",), (False,)),
    "duplicate_person": _duplicate,
    "past_default": _past_default,
}
