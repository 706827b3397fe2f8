"""Credit bureau pull, only with the applicant's recorded consent, and logged with it.

No-hit, frozen file, multiple match and missing consent are answers, not failures: the
activity returns them as ``bureau.status`` and the diagram routes the application to a
person with the reason. 429, 5xx and timeouts raise retryable errors.
"""

from __future__ import annotations

import logging

from temporalio import activity

from activities.verification import application_of, source_error
from verification.sources import BureauReport, CreditBureau, SourceError, to_json
from workflows.types import ServiceTaskInput, ServiceTaskResult

# The permissible purpose we pull for (PBoC credit reporting regulation Art. 18; FCRA 604).
PURPOSE = "credit_decision"
# Consent/permissible-purpose trail, separate from operational logs so it can be retained
# on its own schedule. Opaque ids only.
audit = logging.getLogger("loanflow.audit.bureau")


class BureauActivities:
    def __init__(self, bureau: CreditBureau) -> None:
        self.bureau = bureau

    @activity.defn(name="pull_credit_report")
    async def pull_credit_report(self, input: ServiceTaskInput) -> ServiceTaskResult:
        application = application_of(input)
        info = activity.info()
        if application.get("consent_bureau_check") is not True:
            audit.info("bureau pull not made: no recorded consent; application=%s "
                       "workflow=%s", input.application_id, input.workflow_id)
            out = to_json(BureauReport(status="no_consent"))
            out["consent"] = {"recorded": False, "purpose": PURPOSE, "reference": None}
            return ServiceTaskResult(output={"bureau": out})
        consent_reference = f"{input.application_id}/consent_bureau_check"
        audit.info("bureau pull: application=%s workflow=%s purpose=%s consent=recorded "
                   "consent_reference=%s attempt=%d", input.application_id,
                   input.workflow_id, PURPOSE, consent_reference, info.attempt)
        applicant = application["applicant"]
        try:
            report = await self.bureau.pull_report(
                request_id=input.application_id,
                national_id=str(applicant.get("national_id", "")),
                full_name=str(applicant.get("full_name", "")),
                purpose=PURPOSE, consent_reference=consent_reference,
            )
        except SourceError as exc:
            audit.info("bureau pull failed: application=%s attempt=%d error=%s",
                       input.application_id, info.attempt, type(exc).__name__)
            raise source_error(exc, input.application_id) from None
        audit.info("bureau pull answered: application=%s status=%s reference=%s",
                   input.application_id, report.status, report.reference)
        out = to_json(report)
        out["consent"] = {"recorded": True, "purpose": PURPOSE, "reference": consent_reference}
        return ServiceTaskResult(output={"bureau": out})
