"""HTTP adapters (httpx) for the simulated outside systems, one class per Protocol.

A real provider gets its own module with the same shape. Errors are mapped once, here:
429 -> SourceRateLimited (with Retry-After), 5xx and connection failures ->
SourceUnavailable, our deadline -> SourceTimeout, other 4xx or a malformed answer ->
SourceRejected (not retryable). Error messages carry the source and status only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
from typing import Any, TypeVar

import httpx
import pydantic

from verification.sources import (
    BureauReport,
    EmploymentCheck,
    IdentityCheck,
    SanctionsScreen,
    SourceRateLimited,
    SourceRejected,
    SourceTimeout,
    SourceUnavailable,
    from_json,
)

T = TypeVar("T")


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait, from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


class HttpSource:
    """Shared plumbing: one pooled client per event loop, error mapping, decoding."""

    source = "source"

    def __init__(
        self, base_url: str, *, timeout: float = 10.0,
        client: httpx.AsyncClient | None = None, headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = dict(headers or {})
        self._client = client
        self._owned: dict[int, httpx.AsyncClient] = {}

    def _http(self) -> httpx.AsyncClient:
        if self._client is not None:
            return self._client
        # Clients are bound to the loop that created them; tests run several loops.
        loop_id = id(asyncio.get_running_loop())
        client = self._owned.get(loop_id)
        if client is None or client.is_closed:
            client = self._owned[loop_id] = httpx.AsyncClient(headers=self.headers)
        return client

    async def aclose(self) -> None:
        for client in self._owned.values():
            await client.aclose()
        self._owned.clear()

    async def _post(
        self, path: str, body: dict[str, Any], kind: type[T], *, request_id: str,
        headers: dict[str, str] | None = None,
    ) -> T:
        sent = {"X-Request-Id": request_id, **(headers or {})}
        try:
            response = await self._http().post(
                self.base_url + path, json=body, headers=sent, timeout=self.timeout
            )
        except httpx.TimeoutException as exc:
            raise SourceTimeout(self.source, f"no answer within {self.timeout:g}s") from exc
        except httpx.TransportError as exc:
            raise SourceUnavailable(
                self.source, f"connection failed ({type(exc).__name__})"
            ) from exc
        status = response.status_code
        if status == 429:
            raise SourceRateLimited(
                self.source, "HTTP 429",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 500:
            raise SourceUnavailable(
                self.source, f"HTTP {status}",
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status >= 400:
            raise SourceRejected(self.source, f"HTTP {status}")
        try:
            return from_json(kind, response.json())
        except (ValueError, pydantic.ValidationError) as exc:
            raise SourceRejected(self.source, "malformed answer") from exc


class HttpIdentityRegistry(HttpSource):
    source = "identity_registry"

    async def verify(
        self, *, request_id: str, national_id: str, full_name: str,
        date_of_birth: dt.date, sex: str,
    ) -> IdentityCheck:
        body = {"national_id": national_id, "full_name": full_name,
                "date_of_birth": date_of_birth.isoformat(), "sex": sex}
        return await self._post("/v1/identity/verify", body, IdentityCheck,
                                request_id=request_id)


class HttpEmploymentRegistry(HttpSource):
    source = "employment_registry"

    async def lookup(
        self, *, request_id: str, national_id: str, stated_employer: str,
    ) -> EmploymentCheck:
        body = {"national_id": national_id, "stated_employer": stated_employer}
        return await self._post("/v1/employment/lookup", body, EmploymentCheck,
                                request_id=request_id)


class HttpCreditBureau(HttpSource):
    source = "credit_bureau"

    async def pull_report(
        self, *, request_id: str, national_id: str, full_name: str,
        purpose: str, consent_reference: str,
    ) -> BureauReport:
        body = {"national_id": national_id, "full_name": full_name, "purpose": purpose,
                "consent_reference": consent_reference}
        # The idempotency key makes a retried pull return the same report and leave one
        # inquiry on the applicant's file, not one per attempt.
        return await self._post("/v1/reports", body, BureauReport, request_id=request_id,
                                headers={"Idempotency-Key": f"{request_id}:{purpose}"})


class HttpSanctionsList(HttpSource):
    source = "sanctions_list"

    async def screen(
        self, *, request_id: str, full_name: str, date_of_birth: dt.date | None,
    ) -> SanctionsScreen:
        body = {"full_name": full_name,
                "date_of_birth": date_of_birth.isoformat() if date_of_birth else None}
        return await self._post("/v1/screen", body, SanctionsScreen, request_id=request_id)


def http_sources(urls: dict[str, str], *, timeout: float = 10.0) -> tuple[
    HttpIdentityRegistry, HttpEmploymentRegistry, HttpCreditBureau, HttpSanctionsList
]:
    """Adapters for the four simulators, from a service-name -> base URL map."""
    return (
        HttpIdentityRegistry(urls["identity"], timeout=timeout),
        HttpEmploymentRegistry(urls["employment"], timeout=timeout),
        HttpCreditBureau(urls["bureau"], timeout=timeout),
        HttpSanctionsList(urls["sanctions"], timeout=timeout),
    )
