from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from simulators.applications import KINDS, CaseFactory
from simulators.population import Population
from verification.crosscheck import (
    agreement,
    context_from_process_data,
    validation_report,
    verification_report,
)
from verification.report import Context, Severity, Status, outcome_of, rule, run_rules
from verification.sources import (
    ApplicationSnapshot,
    BureauReport,
    CustomerHistory,
    EmploymentCheck,
    IdentityCheck,
    PastLoan,
    SanctionsHit,
    SanctionsScreen,
    Tradeline,
    to_json,
)

TODAY = dt.date(2025, 6, 1)
APPLICATION_ONLY = ("national_id_checksum", "birth_date_mismatch", "sex_mismatch",
                    "phone_format", "address_format", "bank_card_luhn", "age_limit",
                    "amount_limit")


@pytest.fixture(scope="module")
def factory() -> CaseFactory:
    return CaseFactory(Population("rules-test"), seed=3, today=TODAY)


def agreeing_sources(app: dict[str, Any]) -> dict[str, Any]:
    """Source answers that agree with ``app`` in every respect."""
    income = app["employment"]["monthly_income"]
    owed = app["financials"]["monthly_debt_payments"]
    loans = app["financials"]["existing_loans"]
    lines = [Tradeline("personal", 50_000, 20_000, 0, "0" * 24, owed / max(loans, 1))
             for _ in range(loans)]
    return {
        "identity": to_json(IdentityCheck("found", 1.0, True, True)),
        "employment_check": to_json(EmploymentCheck(
            "found", app["employment"]["employer"], 1.0, True, income * 0.9, 6821, 35283, 60,
            "2025-05")),
        "bureau": to_json(BureauReport("hit", 720, tradelines=lines, obligations_known=True,
                                       monthly_obligations=owed, name_score=1.0)),
        "sanctions": to_json(SanctionsScreen("clear")),
    }


def report_for(app: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {"application": app, **agreeing_sources(app)}
    data.update(changes)
    ctx = context_from_process_data(data, others=[], history=None, history_known=True,
                                    today=TODAY)
    return verification_report(ctx, checked_at="now")


def status_of(report: dict[str, Any], rule_id: str) -> str | None:
    return next((f["status"] for f in report["findings"] if f["rule_id"] == rule_id), None)


def test_clean_application_with_agreeing_sources_passes(factory: CaseFactory) -> None:
    for _ in range(20):
        report = report_for(factory.clean().application)
        assert report["outcome"] == "passed", report["reasons"]
        assert report["summary"]["failed"] == 0
        assert all(row["agree"] is not False for row in report["agreement"])


@pytest.mark.parametrize("kind", APPLICATION_ONLY)
def test_application_rules_catch_injected_inconsistency(factory: CaseFactory, kind: str) -> None:
    case = factory.injected(kind)
    ctx = context_from_process_data({"application": case.application}, today=TODAY)
    report = validation_report(ctx, checked_at="now")
    for rule_id in KINDS[kind]:
        assert status_of(report, rule_id) == "failed"
    assert report["outcome"] != "passed"


def test_missing_sources_cannot_be_checked_and_need_a_person(factory: CaseFactory) -> None:
    app = factory.clean().application
    ctx = context_from_process_data({"application": app}, today=TODAY)
    report = verification_report(ctx, checked_at="now")
    assert report["outcome"] == "manual_review"
    assert status_of(report, "identity.registry") == "could_not_check"
    assert status_of(report, "sanctions.screening") == "could_not_check"
    assert report["sources"]["credit_bureau"].startswith("missing")


@pytest.mark.parametrize("status", ["no_hit", "frozen", "multiple_match", "no_consent"])
def test_bureau_without_file_routes_to_manual_review(factory: CaseFactory, status: str) -> None:
    app = factory.clean().application
    report = report_for(app, bureau=to_json(BureauReport(status)))  # type: ignore[arg-type]
    assert report["outcome"] == "manual_review"
    assert status_of(report, "bureau.file") == "could_not_check"
    assert status_of(report, "debts.bureau") == "could_not_check"
    assert any("bureau.file" in r for r in report["reasons"])


def test_malformed_source_answer_is_reported_not_raised(factory: CaseFactory) -> None:
    app = factory.clean().application
    report = report_for(app, identity={"status": "weird"})
    assert status_of(report, "identity.registry") == "could_not_check"
    assert "malformed" in report["sources"]["identity_registry"]


def test_sanctions_match_fails_and_potential_match_needs_review(factory: CaseFactory) -> None:
    app = factory.clean().application
    hit = SanctionsHit("SIM-PEP", "SIM-0001", 0.97, True)
    assert report_for(app, sanctions=to_json(SanctionsScreen("match", [hit])))[
        "outcome"] == "failed"
    maybe = SanctionsHit("SIM-PEP", "SIM-0001", 0.93, None)
    report = report_for(app, sanctions=to_json(SanctionsScreen("potential_match", [maybe])))
    assert report["outcome"] == "manual_review"
    finding = next(f for f in report["findings"] if f["rule_id"] == "sanctions.screening")
    assert finding["severity"] == "warning"


def test_income_rule(factory: CaseFactory) -> None:
    app = copy.deepcopy(factory.clean().application)
    app["employment"]["monthly_income"] = 20_000
    base = EmploymentCheck("found", app["employment"]["employer"], 1.0, True, 8_000, 6821,
                           35283, 60)
    report = report_for(app, employment_check=to_json(base))
    assert status_of(report, "income.social_security") == "failed"
    capped = EmploymentCheck("found", app["employment"]["employer"], 1.0, True, 35283, 6821,
                             35283, 60)
    app["employment"]["monthly_income"] = 90_000
    assert status_of(report_for(app, employment_check=to_json(capped)),
                     "income.social_security") == "passed"
    app["employment"]["status"] = "self_employed"
    assert status_of(report_for(app), "income.social_security") == "could_not_check"


def test_debt_rule_catches_understated_repayments_and_hidden_loans(factory: CaseFactory) -> None:
    app = copy.deepcopy(factory.clean().application)
    app["financials"].update(monthly_debt_payments=500, existing_loans=0)
    lines = [Tradeline("auto", 90_000, 60_000, 0, "0" * 24, 2_400)]
    bureau = BureauReport("hit", 700, tradelines=lines, obligations_known=True,
                          monthly_obligations=2_400, name_score=1.0)
    report = report_for(app, bureau=to_json(bureau))
    assert status_of(report, "debts.bureau") == "failed"
    app["financials"].update(monthly_debt_payments=2_400, existing_loans=0)
    report = report_for(app, bureau=to_json(bureau))
    finding = next(f for f in report["findings"] if f["rule_id"] == "debts.bureau")
    assert finding["status"] == "failed" and "more open loans" in finding["message"]
    unknown = BureauReport("hit", 700, obligations_known=False, name_score=1.0)
    assert status_of(report_for(app, bureau=to_json(unknown)), "debts.bureau") == \
        "could_not_check"


def test_same_person_with_different_details_and_past_default(factory: CaseFactory) -> None:
    app = factory.clean().application
    a, e = app["applicant"], app["employment"]
    same = ApplicationSnapshot("application-1", a["full_name"], a["date_of_birth"], "1",
                               "elsewhere", e["employer"], e["monthly_income"])
    other = ApplicationSnapshot("application-2", a["full_name"], a["date_of_birth"],
                                a["phone"], a["address"], e["employer"],
                                e["monthly_income"] * 2)
    base = {"application": app, **agreeing_sources(app)}
    ctx = context_from_process_data(base, others=[same], history_known=True, today=TODAY)
    assert status_of(verification_report(ctx, checked_at=""), "records.same_person") == "passed"
    ctx = context_from_process_data(base, others=[same, other], history_known=True,
                                    today=TODAY)
    report = verification_report(ctx, checked_at="")
    finding = next(f for f in report["findings"] if f["rule_id"] == "records.same_person")
    assert finding["status"] == "failed"
    assert finding["evidence"]["applications"] == [
        {"application_id": "application-2", "differs_in": ["income"]}]
    history = CustomerHistory("2020-01-01", [PastLoan(10_000, "written_off", 200)])
    ctx = context_from_process_data(base, others=[], history=history, history_known=True,
                                    today=TODAY)
    assert status_of(verification_report(ctx, checked_at=""), "records.repayment") == "failed"


def test_identity_disagreement_shows_in_agreement_table(factory: CaseFactory) -> None:
    app = factory.clean().application
    ctx = context_from_process_data(
        {"application": app, **agreeing_sources(app),
         "identity": to_json(IdentityCheck("found", 0.4, False, True))}, today=TODAY)
    rows = {r["attribute"]: r for r in agreement(ctx)}
    assert rows["full_name"]["agree"] is False
    assert rows["full_name"]["sources"]["identity_registry"] == "disagrees"
    assert rows["date_of_birth"]["sources"] == {"national_id": "agrees",
                                                "identity_registry": "disagrees"}
    assert rows["employer"]["agree"] is True


def test_a_broken_rule_reports_could_not_check_without_quoting_data() -> None:
    @rule("test.broken", Severity.error, "broken")
    def broken(ctx: Context) -> None:
        raise ValueError(f"bad value {ctx.applicant['national_id']}")

    ctx = Context(application={"applicant": {"national_id": "11010519491231002X"}})
    (finding,) = run_rules([broken], ctx)
    assert finding.status is Status.could_not_check
    assert "11010519491231002X" not in finding.message
    assert outcome_of([finding]) == "manual_review"


def test_info_findings_do_not_change_the_outcome() -> None:
    @rule("test.info", Severity.info, "note")
    def note(ctx: Context) -> Any:
        from verification.report import failed

        return failed("just so you know")

    assert outcome_of(run_rules([note], Context(application={}))) == "passed"
