"""The outside sources a loan application is checked against, as typed Protocols with
dataclass results. An adapter per provider implements a Protocol (see ``http.py`` for the
simulators'); activities and tests depend only on the Protocols.

Every call takes ``request_id``: the opaque application id, used for correlation and as
the idempotency key. Personal data travels in the request body only, never in ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from pydantic import TypeAdapter

JSON = Any
T = TypeVar("T")

# --- errors ----------------------------------------------------------------------------


class SourceError(Exception):
    """A call to an outside source that did not produce an answer.

    Messages name the source and the HTTP status only: never personal data.
    """

    retryable: bool = True

    def __init__(self, source: str, message: str, *, retry_after: float | None = None):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.retry_after = retry_after


class SourceRateLimited(SourceError):
    """429: the source asks us to come back later (``retry_after`` seconds)."""


class SourceUnavailable(SourceError):
    """5xx or the connection failed."""


class SourceTimeout(SourceError):
    """No answer within our deadline."""


class SourceRejected(SourceError):
    """4xx other than 429: our request is wrong; retrying cannot fix it."""

    retryable = False


# --- results ---------------------------------------------------------------------------


@dataclass
class IdentityCheck:
    status: Literal["found", "not_found"]
    name_score: float  # 0..1 similarity of the stated name to the registered one
    date_of_birth_match: bool | None
    sex_match: bool | None
    flags: list[str] = field(default_factory=list)  # reported_lost, deceased, cancelled
    reference: str = ""


@dataclass
class EmploymentCheck:
    status: Literal["found", "not_found"]
    registered_employer: str | None = None
    employer_score: float | None = None  # similarity of the stated employer, if stated
    active: bool = False  # contributions paid in the last three months
    monthly_contribution_base: float | None = None
    contribution_floor: float | None = None  # the base is clamped to [floor, cap]
    contribution_cap: float | None = None
    months_contributed: int = 0
    last_contribution: str | None = None  # YYYY-MM
    reference: str = ""


@dataclass
class Tradeline:
    kind: str  # credit_card, mortgage, auto, personal, consumer_finance
    limit: float
    balance: float
    past_due: float
    # 24 months, oldest first: "0" current, "1".."7" months past due, "C" closed, "-" none
    status_24m: str
    monthly_payment: float = 0.0
    open: bool = True
    opened_months_ago: int = 0


@dataclass
class Inquiry:
    months_ago: int
    reason: str  # loan_approval, credit_card_approval, post_loan_management, guarantee, self


@dataclass
class PublicRecord:
    kind: str  # court_judgment, tax_arrears, enforcement
    amount: float
    months_ago: int
    satisfied: bool


BureauStatus = Literal["hit", "no_hit", "frozen", "multiple_match", "no_consent"]


@dataclass
class BureauReport:
    status: BureauStatus
    score: int | None = None  # 300..850
    score_factors: list[str] = field(default_factory=list)
    tradelines: list[Tradeline] = field(default_factory=list)
    inquiries: list[Inquiry] = field(default_factory=list)
    inquiries_6m: int = 0
    public_records: int = 0
    public_record_details: list[PublicRecord] = field(default_factory=list)
    delinquencies_2y: int = 0
    revolving_utilization: float | None = None
    oldest_tradeline_months: int | None = None
    fraud_flags: list[str] = field(default_factory=list)
    # False when the bureau could not tell us the subject's obligations (e.g. a lender
    # does not report): the stated debts then cannot be checked.
    obligations_known: bool = False
    monthly_obligations: float | None = None
    name_score: float | None = None  # how well the name on file matches the query
    reference: str = ""


@dataclass
class SanctionsHit:
    list_name: str
    entry_id: str
    score: float
    birth_date_match: bool | None


@dataclass
class SanctionsScreen:
    status: Literal["clear", "potential_match", "match"]
    matches: list[SanctionsHit] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    list_version: str = ""


@dataclass
class ApplicationSnapshot:
    """The details of an earlier application that identify a person."""

    application_id: str
    full_name: str
    date_of_birth: str
    phone: str
    address: str
    employer: str
    monthly_income: float
    submitted_at: str = ""


@dataclass
class PastLoan:
    amount: float
    status: Literal["repaid", "current", "in_arrears", "defaulted", "written_off"]
    worst_days_past_due: int = 0


@dataclass
class CustomerHistory:
    customer_since: str
    loans: list[PastLoan] = field(default_factory=list)


# --- protocols -------------------------------------------------------------------------


@runtime_checkable
class IdentityRegistry(Protocol):
    async def verify(
        self, *, request_id: str, national_id: str, full_name: str,
        date_of_birth: dt.date, sex: str,
    ) -> IdentityCheck: ...


@runtime_checkable
class EmploymentRegistry(Protocol):
    async def lookup(
        self, *, request_id: str, national_id: str, stated_employer: str,
    ) -> EmploymentCheck: ...


@runtime_checkable
class CreditBureau(Protocol):
    async def pull_report(
        self, *, request_id: str, national_id: str, full_name: str,
        purpose: str, consent_reference: str,
    ) -> BureauReport: ...


@runtime_checkable
class SanctionsList(Protocol):
    async def screen(
        self, *, request_id: str, full_name: str, date_of_birth: dt.date | None,
    ) -> SanctionsScreen: ...


@runtime_checkable
class InternalRecords(Protocol):
    async def register_application(
        self, *, national_id: str, snapshot: ApplicationSnapshot
    ) -> None: ...

    async def other_applications(
        self, *, national_id: str, exclude_application_id: str
    ) -> list[ApplicationSnapshot]: ...

    async def customer_history(self, *, national_id: str) -> CustomerHistory | None: ...


# --- (de)serialisation for process data --------------------------------------------------


def to_json(result: object) -> dict[str, JSON]:
    """A result dataclass as the plain dict that travels in process data."""
    out: dict[str, JSON] = asdict(result)  # type: ignore[call-overload]
    return out


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def from_json(kind: type[T], data: JSON) -> T:
    """Back from process data; raises ``pydantic.ValidationError`` on a malformed dict."""
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    value: T = adapter.validate_python(data)
    return value
