"""Our own records behind verification's `InternalRecords` protocol, in the database:
earlier applications of the same person, and how their past loans went."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import ApplicantRecord, Application, Disbursement
from verification.records import fingerprint
from verification.sources import ApplicationSnapshot, CustomerHistory, PastLoan


class SqlInternalRecords:
    def __init__(self, sessions: Callable[[], Session], key: bytes) -> None:
        self._sessions = sessions
        self._key = key

    def _fp(self, national_id: str) -> str:
        return fingerprint(national_id, self._key)

    async def register_application(
        self, *, national_id: str, snapshot: ApplicationSnapshot
    ) -> None:
        await asyncio.to_thread(self._register, self._fp(national_id), snapshot)

    def _register(self, fp: str, snapshot: ApplicationSnapshot) -> None:
        with self._sessions() as s:
            exists = s.exec(select(ApplicantRecord).where(
                ApplicantRecord.application_id == snapshot.application_id)).first()
            if exists is not None:  # a retried activity registers nothing new
                return
            s.add(ApplicantRecord(fingerprint=fp, application_id=snapshot.application_id,
                                  snapshot=json.dumps(asdict(snapshot))))
            try:
                s.commit()
            except IntegrityError:
                s.rollback()

    async def other_applications(
        self, *, national_id: str, exclude_application_id: str
    ) -> list[ApplicationSnapshot]:
        return await asyncio.to_thread(self._others, self._fp(national_id),
                                       exclude_application_id)

    def _others(self, fp: str, exclude: str) -> list[ApplicationSnapshot]:
        with self._sessions() as s:
            rows = s.exec(select(ApplicantRecord).where(
                ApplicantRecord.fingerprint == fp, ApplicantRecord.application_id != exclude))
            return [ApplicationSnapshot(**json.loads(r.snapshot)) for r in rows]

    async def customer_history(self, *, national_id: str) -> CustomerHistory | None:
        return await asyncio.to_thread(self._history, self._fp(national_id))

    def _history(self, fp: str) -> CustomerHistory | None:
        """Loans we paid out to this person. Repayment tracking arrives with loan servicing;
        until then a paid-out loan counts as current."""
        with self._sessions() as s:
            ids = [r.application_id for r in s.exec(
                select(ApplicantRecord).where(ApplicantRecord.fingerprint == fp))]
            if not ids:
                return None
            paid = s.exec(select(Disbursement).where(col(Disbursement.application_id).in_(ids))
                          .order_by(col(Disbursement.created_at))).all()
            if not paid:
                return None
            first = s.exec(select(Application).where(col(Application.id).in_(ids))
                           .order_by(col(Application.created_at))).first()
            since = (first.created_at if first else paid[0].created_at).date().isoformat()
            return CustomerHistory(since, [PastLoan(d.amount, "current") for d in paid])
