"""Service-task names a diagram may use, and how the workflow runs each as an activity.

Pure data: the workflow imports it inside the sandbox, the validator checks diagrams
against it, the modeler lists it. The activities themselves live in activities/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # what a diagram writes in loanflow:activity
    activity: str  # the registered Temporal activity name
    description: str
    start_to_close: timedelta = timedelta(seconds=30)
    schedule_to_close: timedelta = timedelta(minutes=10)
    max_attempts: int = 0  # 0: retry until schedule_to_close
    initial_interval: timedelta = timedelta(seconds=1)
    maximum_interval: timedelta = timedelta(seconds=30)
    # Automated decisions are kept as decision records (with their model version).
    records_decision: bool = False
    # Errors that retrying cannot fix; the activity raises them as non-retryable.
    non_retryable: tuple[str, ...] = ()


_SERVICES = [
    ServiceSpec("validate_application", "validate_application",
                "Consistency checks on the application itself (ID number, formats, limits)."),
    ServiceSpec("verify_identity", "verify_identity",
                "Match name and national ID number against the identity registry.",
                start_to_close=timedelta(seconds=20)),
    ServiceSpec("check_employment", "check_employment",
                "Employer and income evidence from social security records."),
    ServiceSpec("screen_sanctions", "screen_sanctions",
                "Screen the applicant against sanctions and watch lists."),
    ServiceSpec("pull_credit_report", "pull_credit_report",
                "Credit bureau report (needs the applicant's consent).",
                start_to_close=timedelta(seconds=30), maximum_interval=timedelta(seconds=60)),
    ServiceSpec("read_documents", "read_documents",
                "OCR of the uploaded documents: pre-fill, cross-check, low-confidence reads "
                "flagged for a person.",
                start_to_close=timedelta(minutes=2), schedule_to_close=timedelta(minutes=10),
                max_attempts=3),
    ServiceSpec("cross_check", "cross_check",
                "Cross-validate application, registries and bureau into a verification report.",
                records_decision=True),
    ServiceSpec("score_application", "score_application",
                "Probability of default, score, grade and reasons from the credit model.",
                records_decision=True, non_retryable=("ScoringUnavailable",)),
    ServiceSpec("plan_deadlines", "plan_deadlines",
                "Due times of review steps on the business calendar (working hours, weekends)."),
    ServiceSpec("remind_approver", "remind_approver",
                "Remind whoever holds a review task (loanflow:task names it) that it is due "
                "soon; reached by a non-interrupting timer."),
    ServiceSpec("disburse_loan", "disburse_loan",
                "Pay out the approved amount (idempotent by application id)."),
    ServiceSpec("notify_applicant", "notify_applicant",
                "Tell the applicant the outcome."),
]

SERVICES: dict[str, ServiceSpec] = {s.name: s for s in _SERVICES}

# Diagrams written elsewhere name services their own way (camunda:class, topics, Spiff
# operators). Tests of foreign diagrams map those to this generic activity.
GENERIC_SERVICE = ServiceSpec(
    "external", "external_service", "A service named by a foreign diagram (tests only)."
)


def lookup(name: str, allow_generic: bool = False) -> ServiceSpec | None:
    spec = SERVICES.get(name)
    if spec is None and allow_generic:
        return GENERIC_SERVICE
    return spec


# Lanes name roles; a person holding a higher role may take a lower role's task.
ROLE_RANK: dict[str, int] = {
    "underwriter": 1,
    "senior_approver": 2,
    "credit_committee": 3,
}
APPROVER_ROLES = frozenset(ROLE_RANK)


def lane_role(lane: str | None) -> str | None:
    """The role a lane names: 'Underwriter' / 'underwriters' / 'Senior approver' ..."""
    if not lane:
        return None
    key = lane.strip().lower().replace(" ", "_").replace("-", "_")
    if key.endswith("s") and key[:-1] in ROLE_RANK:
        key = key[:-1]
    return key


def may_act_for(actor_roles: list[str], required: str | None) -> bool:
    if required is None:
        return bool(set(actor_roles) & APPROVER_ROLES)
    if required in actor_roles:
        return True
    need = ROLE_RANK.get(required)
    return need is not None and any(ROLE_RANK.get(r, 0) >= need for r in actor_roles)
