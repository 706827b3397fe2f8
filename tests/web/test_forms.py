"""The application form: posted fields become the API's ApplicationCreate, and every
error lands next to the field (or section) it names."""

from __future__ import annotations

from tests.support import sample_application
from tests.web.test_pages import flat
from web import forms


def posted(**overrides):
    values = {k: str(v) for k, v in flat(sample_application(**overrides)).items()}
    values["consent_bureau_check"] = "on"
    return forms.read_form(values)


def test_a_complete_form_is_the_api_body():
    body, errors = forms.validate(posted())
    assert errors == {}
    assert body is not None
    assert body.model_dump(mode="json", exclude={"process_version"})["applicant"] == \
        sample_application()["applicant"]
    assert body.consent_bureau_check is True and body.business is None


def test_errors_name_their_fields():
    values = posted(amount=-5, applicant={"national_id": "12345", "email": "nope"})
    values["term_months"] = ""
    values["consent_bureau_check"] = ""
    body, errors = forms.validate(values)
    assert body is None
    assert errors["amount"] == "Input should be greater than 0"
    assert errors["term_months"] == "This field is required."
    assert "expected format" in errors["applicant.national_id"]
    assert errors["applicant.email"] == "Not a valid email."
    assert "consent_bureau_check" not in errors  # no consent is allowed: a person reviews


def test_a_business_loan_asks_for_each_business_field():
    body, errors = forms.validate(posted(loan_type="business"))
    assert body is None
    assert {"business.company_name", "business.industry", "business.years_trading"} <= set(errors)
    values = posted(loan_type="business")
    values.update({"business.company_name": "Wei Trading", "business.registration_number": "91110",
                   "business.industry": "retail", "business.years_trading": "4",
                   "business.annual_revenue": "2000000"})
    body, errors = forms.validate(values)
    assert errors == {} and body is not None and body.business is not None
    # business fields typed for another loan type are not sent
    body, _ = forms.validate({**values, "loan_type": "personal"})
    assert body is not None and body.business is None


def test_model_level_and_service_errors_find_their_place():
    assert forms.field_errors([{"loc": (), "msg": "Value error, business: required for a business loan"}]) \
        == {"business": "Required for a business loan"}
    assert forms.field_errors([{"loc": ["body", "process_version"], "msg": "no version 9"}]) \
        == {"process_version": "No version 9"}
    _, errors = forms.validate({**posted(), "process_version": str(2**40)})
    assert list(errors) == ["process_version"] and "2147483647" in errors["process_version"]


def test_summary_reads_like_the_form():
    sections = dict(forms.summary(sample_application(amount=60_000)))
    assert ("Amount (CNY)", "60,000") in sections["The loan"]
    assert ("Purpose", "Car (used)") in sections["The loan"]
    assert ("Bureau check consent", "yes") in sections["Consent"]
    assert "Your business" not in sections and "Advanced" not in sections
