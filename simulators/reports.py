"""Turning a subject's simulated credit file into the report the bureau answers with."""

from __future__ import annotations

import hashlib

from simulators.population import Subject
from verification.fuzzy import name_similarity
from verification.sources import BureauReport, Tradeline

HARD_INQUIRY_REASONS = frozenset({"loan_approval", "credit_card_approval", "guarantee"})


def delinquencies(tradelines: list[Tradeline]) -> int:
    """Months past due (any tradeline) in the last 24 months."""
    return sum(ch.isdigit() and ch != "0" for t in tradelines for ch in t.status_24m)


def _score(subject: Subject, report: BureauReport) -> tuple[int, list[str]]:
    impacts: dict[str, float] = {
        "delinquency_in_last_24_months": 35.0 * report.delinquencies_2y,
        "too_many_recent_inquiries": 12.0 * max(0, report.inquiries_6m - 1),
        "high_revolving_utilization":
            150.0 * max(0.0, (report.revolving_utilization or 0.0) - 0.3),
        "public_record_on_file": 60.0 * sum(
            not r.satisfied for r in report.public_record_details),
        "short_credit_history": max(0.0, 30.0 - (report.oldest_tradeline_months or 0) / 4),
        "few_accounts": 25.0 if len(report.tradelines) < 2 else 0.0,
    }
    noise = int.from_bytes(hashlib.sha256(subject.national_id.encode()).digest()[:2], "big")
    raw = 735.0 - sum(impacts.values()) + (noise % 51 - 25)
    factors = [k for k, v in sorted(impacts.items(), key=lambda kv: -kv[1]) if v > 0][:4]
    return int(min(850, max(300, round(raw)))), factors


def build_report(
    subject: Subject, queried_name: str, fault: str | None, reference: str
) -> BureauReport:
    credit = subject.credit
    status = credit.status if subject.valid else "no_hit"
    if fault in ("no_hit", "frozen", "multiple_match"):
        status = fault
    if status != "hit":
        return BureauReport(status=status, reference=reference)  # type: ignore[arg-type]
    lines = list(credit.tradelines)
    cards = [t for t in lines if t.kind == "credit_card" and t.open]
    card_limit = sum(t.limit for t in cards)
    obligations_known = credit.obligations_known and fault != "missing_obligations"
    report = BureauReport(
        status="hit",
        tradelines=lines,
        inquiries=list(credit.inquiries),
        inquiries_6m=sum(i.months_ago < 6 and i.reason in HARD_INQUIRY_REASONS
                         for i in credit.inquiries),
        public_records=len(credit.public_records),
        public_record_details=list(credit.public_records),
        delinquencies_2y=delinquencies(lines),
        revolving_utilization=(round(sum(t.balance for t in cards) / card_limit, 4)
                               if card_limit > 0 else None),
        oldest_tradeline_months=max((t.opened_months_ago for t in lines), default=None),
        fraud_flags=list(credit.fraud_flags) + (["fraud_alert"] if fault == "fraud_alert"
                                                else []),
        obligations_known=obligations_known,
        monthly_obligations=(round(sum(t.monthly_payment for t in lines if t.open), 2)
                             if obligations_known else None),
        name_score=round(max(name_similarity(queried_name, subject.full_name),
                             name_similarity(queried_name, subject.name_latin)), 3),
        reference=reference,
    )
    report.score, report.score_factors = _score(subject, report)
    return report
