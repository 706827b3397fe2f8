"""Our own records: earlier applications and past loans, behind ``InternalRecords``.

``InMemoryInternalRecords`` serves tests, the bench and the embedded default until the
store-backed adapter exists (store/ owns the tables). Numbers are kept as a keyed digest,
never in clear, so even this stand-in holds no national ID numbers.
"""

from __future__ import annotations

import hashlib
import hmac

from verification.sources import ApplicationSnapshot, CustomerHistory


def fingerprint(national_id: str, key: bytes = b"loanflow-records") -> str:
    return hmac.new(key, national_id.upper().encode(), hashlib.sha256).hexdigest()


class InMemoryInternalRecords:
    def __init__(self) -> None:
        self._applications: dict[str, dict[str, ApplicationSnapshot]] = {}
        self._customers: dict[str, CustomerHistory] = {}

    async def register_application(
        self, *, national_id: str, snapshot: ApplicationSnapshot
    ) -> None:
        # Idempotent by application id: a retried activity registers nothing new. No await
        # between read and write, so no lock is needed within one event loop.
        by_id = self._applications.setdefault(fingerprint(national_id), {})
        by_id.setdefault(snapshot.application_id, snapshot)

    async def other_applications(
        self, *, national_id: str, exclude_application_id: str
    ) -> list[ApplicationSnapshot]:
        by_id = self._applications.get(fingerprint(national_id), {})
        return [s for k, s in by_id.items() if k != exclude_application_id]

    async def customer_history(self, *, national_id: str) -> CustomerHistory | None:
        return self._customers.get(fingerprint(national_id))

    def add_customer(self, national_id: str, history: CustomerHistory) -> None:
        self._customers[fingerprint(national_id)] = history
