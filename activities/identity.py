"""Know-your-customer activities: identity registry, social-security employment record and
sanctions screening. Each returns the source's answer for the diagram and ``cross_check``;
a source that fails transiently raises a retryable error (see ``source_error``)."""

from __future__ import annotations

from temporalio import activity

from activities.verification import application_of, source_error, stated_birth_date
from verification.rules_sources import EMPLOYER_MATCH, NAME_MATCH
from verification.sources import (
    EmploymentRegistry,
    IdentityRegistry,
    SanctionsList,
    SourceError,
    to_json,
)
from workflows.types import ServiceTaskInput, ServiceTaskResult


class IdentityActivities:
    def __init__(
        self, identity: IdentityRegistry, employment: EmploymentRegistry,
        sanctions: SanctionsList,
    ) -> None:
        self.identity = identity
        self.employment = employment
        self.sanctions = sanctions

    @activity.defn(name="verify_identity")
    async def verify_identity(self, input: ServiceTaskInput) -> ServiceTaskResult:
        applicant = application_of(input)["applicant"]
        try:
            check = await self.identity.verify(
                request_id=input.application_id,
                national_id=str(applicant.get("national_id", "")),
                full_name=str(applicant.get("full_name", "")),
                date_of_birth=stated_birth_date(applicant, input.application_id),
                sex=str(applicant.get("sex", "")),
            )
        except SourceError as exc:
            raise source_error(exc, input.application_id) from None
        out = to_json(check)
        out["verified"] = (check.status == "found" and not check.flags
                           and check.name_score >= NAME_MATCH
                           and check.date_of_birth_match is not False
                           and check.sex_match is not False)
        activity.logger.info("identity of application %s: %s, verified=%s",
                             input.application_id, check.status, out["verified"])
        return ServiceTaskResult(output={"identity": out})

    @activity.defn(name="check_employment")
    async def check_employment(self, input: ServiceTaskInput) -> ServiceTaskResult:
        application = application_of(input)
        employment = application.get("employment") or {}
        try:
            check = await self.employment.lookup(
                request_id=input.application_id,
                national_id=str(application["applicant"].get("national_id", "")),
                stated_employer=str(employment.get("employer", "")),
            )
        except SourceError as exc:
            raise source_error(exc, input.application_id) from None
        out = to_json(check)
        out["employer_confirmed"] = (None if check.employer_score is None
                                     else check.employer_score >= EMPLOYER_MATCH)
        activity.logger.info("employment record for application %s: %s",
                             input.application_id, check.status)
        return ServiceTaskResult(output={"employment_check": out})

    @activity.defn(name="screen_sanctions")
    async def screen_sanctions(self, input: ServiceTaskInput) -> ServiceTaskResult:
        applicant = application_of(input)["applicant"]
        try:
            screen = await self.sanctions.screen(
                request_id=input.application_id,
                full_name=str(applicant.get("full_name", "")),
                date_of_birth=stated_birth_date(applicant, input.application_id),
            )
        except SourceError as exc:
            raise source_error(exc, input.application_id) from None
        activity.logger.info("sanctions screening of application %s: %s (%d hits)",
                             input.application_id, screen.status, len(screen.matches))
        return ServiceTaskResult(output={"sanctions": to_json(screen)})
