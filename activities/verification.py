"""Activities that check an application's consistency: on its own (``validate_application``)
and against every source's answer (``cross_check``), producing the verification report.

Also the one place where a source's failure becomes a Temporal error: retryable for 429,
5xx and timeouts (the RetryPolicy backs off; a Retry-After is honoured through
``next_retry_delay``), non-retryable for requests the source rejects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from verification.crosscheck import context_from_process_data, snapshot_of
from verification.crosscheck import validation_report as _validation_report
from verification.crosscheck import verification_report as _verification_report
from verification.products import DEFAULT_PRODUCTS, ProductLimits
from verification.sources import InternalRecords, SourceError
from workflows.types import ServiceTaskInput, ServiceTaskResult

JSON = Any


def source_error(exc: SourceError, application_id: str) -> ApplicationError:
    """The Temporal error for a failed source call. The message names the source, the
    failure and the opaque application id only; no personal data, no cause chained."""
    kind = type(exc).__name__
    message = f"{exc} (application {application_id})"
    if not exc.retryable:
        return ApplicationError(message, type=kind, non_retryable=True)
    delay = timedelta(seconds=exc.retry_after) if exc.retry_after else None
    return ApplicationError(message, type=kind, next_retry_delay=delay)


def application_of(input: ServiceTaskInput) -> dict[str, JSON]:
    """The application from the process data, or a non-retryable error naming nothing."""
    application = input.data.get("application")
    if not isinstance(application, dict) or not isinstance(application.get("applicant"), dict):
        raise ApplicationError(
            f"process data has no application (application {input.application_id})",
            type="InvalidProcessData", non_retryable=True,
        )
    return application


def stated_birth_date(applicant: Mapping[str, JSON], application_id: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(applicant.get("date_of_birth")))
    except ValueError:
        raise ApplicationError(
            f"application {application_id} has no readable birth date",
            type="InvalidProcessData", non_retryable=True,
        ) from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class VerificationActivities:
    def __init__(
        self,
        records: InternalRecords,
        products: Mapping[str, ProductLimits] | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.records = records
        self.products = products or DEFAULT_PRODUCTS
        self.today = today

    async def _register(self, input: ServiceTaskInput, application: dict[str, JSON]) -> str:
        national_id = str(application["applicant"].get("national_id", ""))
        await self.records.register_application(
            national_id=national_id, snapshot=snapshot_of(input.application_id, application))
        return national_id

    @activity.defn(name="validate_application")
    async def validate_application(self, input: ServiceTaskInput) -> ServiceTaskResult:
        application = application_of(input)
        await self._register(input, application)
        ctx = context_from_process_data({"application": application}, today=self.today(),
                                        products=self.products)
        report = _validation_report(ctx, checked_at=_now())
        activity.logger.info("application %s validated: %s (%s)", input.application_id,
                             report["outcome"], report["summary"])
        return ServiceTaskResult(output={"validation": report})

    @activity.defn(name="cross_check")
    async def cross_check(self, input: ServiceTaskInput) -> ServiceTaskResult:
        application = application_of(input)
        national_id = await self._register(input, application)
        others = await self.records.other_applications(
            national_id=national_id, exclude_application_id=input.application_id)
        history = await self.records.customer_history(national_id=national_id)
        ctx = context_from_process_data(
            input.data, others=others, history=history, history_known=True,
            today=self.today(), products=self.products,
        )
        report = _verification_report(ctx, checked_at=_now())
        activity.logger.info("application %s cross-checked: %s (%s)", input.application_id,
                             report["outcome"], report["summary"])
        return ServiceTaskResult(output={"verification": report})
