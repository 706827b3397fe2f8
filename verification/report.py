"""Rules, findings and the verification report.

A rule has an id, a severity and a title; run against a ``Context`` it yields a finding:
passed, failed or could-not-check, with a message an underwriter understands and the
evidence behind it. The report's outcome follows from the findings:

- ``failed``: a rule of severity ``error`` failed (data demonstrably wrong, or the
  product's limits are not met, or a confirmed sanctions match);
- ``manual_review``: a ``warning`` rule failed, or an ``error``/``warning`` rule could
  not be checked (a source had no file, was frozen, had no consent, did not answer);
- ``passed`` otherwise. ``info`` findings never change the outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from verification.products import DEFAULT_PRODUCTS, ProductLimits
from verification.sources import (
    ApplicationSnapshot,
    BureauReport,
    CustomerHistory,
    EmploymentCheck,
    IdentityCheck,
    SanctionsScreen,
)

JSON = Any
RULES_VERSION = "verification-rules-1"


class Status(StrEnum):
    passed = "passed"
    failed = "failed"
    could_not_check = "could_not_check"


class Severity(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"


@dataclass(frozen=True)
class Check:
    status: Status
    message: str
    evidence: dict[str, JSON] = field(default_factory=dict)
    severity: Severity | None = None  # overrides the rule's, for graded outcomes


def passed(message: str, **evidence: JSON) -> Check:
    return Check(Status.passed, message, evidence)


def failed(message: str, **evidence: JSON) -> Check:
    return Check(Status.failed, message, evidence)


def failed_as(severity: Severity, message: str, **evidence: JSON) -> Check:
    """A failure graded differently from the rule's default severity."""
    return Check(Status.failed, message, evidence, severity)


def could_not_check(message: str, **evidence: JSON) -> Check:
    return Check(Status.could_not_check, message, evidence)


@dataclass
class Context:
    """Everything the rules may look at. Source results are None when absent."""

    application: dict[str, JSON]
    today: dt.date = field(default_factory=dt.date.today)
    products: Mapping[str, ProductLimits] = field(default_factory=lambda: DEFAULT_PRODUCTS)
    identity: IdentityCheck | None = None
    employment: EmploymentCheck | None = None
    bureau: BureauReport | None = None
    sanctions: SanctionsScreen | None = None
    others: list[ApplicationSnapshot] | None = None  # None: internal records not asked
    history: CustomerHistory | None = None
    history_known: bool = False
    # read_documents' output (OCR of the uploads compared with the form); None: not read
    documents: dict[str, JSON] | None = None
    # source -> why its answer is missing ("not in process data", "malformed")
    missing: dict[str, str] = field(default_factory=dict)

    @property
    def applicant(self) -> dict[str, JSON]:
        value: dict[str, JSON] = self.application.get("applicant") or {}
        return value

    @property
    def employment_stated(self) -> dict[str, JSON]:
        value: dict[str, JSON] = self.application.get("employment") or {}
        return value

    @property
    def financials(self) -> dict[str, JSON]:
        value: dict[str, JSON] = self.application.get("financials") or {}
        return value

    def stated_date(self, key: str = "date_of_birth") -> dt.date | None:
        raw = self.applicant.get(key)
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            return None

    def absent(self, source: str) -> Check:
        why = self.missing.get(source, "no answer in the process data")
        return could_not_check(f"The {source.replace('_', ' ')} result is missing ({why}).")


@dataclass(frozen=True)
class Finding:
    rule_id: str
    title: str
    severity: Severity
    status: Status
    message: str
    evidence: dict[str, JSON]
    sources: tuple[str, ...]

    def to_json(self) -> dict[str, JSON]:
        return {"rule_id": self.rule_id, "title": self.title, "severity": self.severity.value,
                "status": self.status.value, "message": self.message,
                "evidence": self.evidence, "sources": list(self.sources)}


RuleFn = Callable[[Context], Check | None]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    sources: tuple[str, ...]
    fn: RuleFn

    def run(self, ctx: Context) -> Finding | None:
        try:
            check = self.fn(ctx)
        except Exception as exc:  # one broken rule must not hide the others
            # The exception text may quote application data: keep only its type.
            check = could_not_check(f"The check itself failed ({type(exc).__name__}).")
        if check is None:
            return None
        return Finding(self.id, self.title, check.severity or self.severity, check.status,
                       check.message, check.evidence, self.sources)


def rule(
    rule_id: str, severity: Severity, title: str, sources: tuple[str, ...] = ("application",)
) -> Callable[[RuleFn], Rule]:
    def wrap(fn: RuleFn) -> Rule:
        return Rule(rule_id, severity, title, sources, fn)

    return wrap


def run_rules(rules: list[Rule], ctx: Context) -> list[Finding]:
    return [f for f in (r.run(ctx) for r in rules) if f is not None]


def outcome_of(findings: list[Finding]) -> str:
    def counts(f: Finding) -> bool:
        return f.severity is not Severity.info

    if any(f.status is Status.failed and f.severity is Severity.error for f in findings):
        return "failed"
    if any(counts(f) and f.status is not Status.passed for f in findings):
        return "manual_review"
    return "passed"


def build_report(
    findings: list[Finding], *, checked_at: str, extra: dict[str, JSON] | None = None
) -> dict[str, JSON]:
    outcome = outcome_of(findings)
    summary = {s.value: sum(f.status is s for f in findings) for s in Status}
    reasons = [f"{f.rule_id}: {f.message}" for f in findings
               if f.status is not Status.passed and f.severity is not Severity.info]
    report: dict[str, JSON] = {
        "outcome": outcome, "summary": summary, "reasons": reasons,
        "findings": [f.to_json() for f in findings],
        "rules_version": RULES_VERSION, "checked_at": checked_at,
    }
    report.update(extra or {})
    return report
