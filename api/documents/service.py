"""Uploading documents and reading them for the form's pre-fill. Knows nothing of HTTP."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from api.auth.service import STAFF
from api.errors import Invalid, NotFound
from core.codec import secret_file
from core.settings import Settings
from store.db import session_factory
from store.documents import SqlDocumentStore
from store.models import Document, User
from verification.documents import (
    DocumentKind,
    OcrEngine,
    TesseractOcr,
    UploadRejected,
    inspect_upload,
    read_document,
)

# Where each extracted field goes on the application form.
FORM_FIELDS = {
    "full_name": "applicant.full_name", "sex": "applicant.sex",
    "date_of_birth": "applicant.date_of_birth", "address": "applicant.address",
    "national_id": "applicant.national_id", "employer": "employment.employer",
    "gross_pay": "employment.monthly_income", "monthly_salary": "employment.monthly_income",
}


class DocumentPublic(BaseModel):
    id: str
    kind: str
    content_type: str
    size: int
    pages: int
    sha256: str
    created_at: str


class FieldRead(BaseModel):
    value: str
    confidence: float
    trusted: bool
    corroborated: bool
    form_field: str | None


class Prefill(BaseModel):
    id: str
    kind: str
    readable: bool
    message: str = ""
    fields: dict[str, FieldRead] = {}
    # form field -> value, trusted reads only: fill in what the applicant left empty
    prefill: dict[str, str] = {}
    # fields read too uncertainly (or implausibly) to be used: a person looks at them
    needs_review: list[str] = []
    seconds: float = 0.0


def store_for(settings: Settings) -> SqlDocumentStore:
    return SqlDocumentStore(session_factory(settings.db_url),
                            secret_file(settings.data_dir / "documents.key"))


def _public(row: Document) -> DocumentPublic:
    return DocumentPublic(id=row.id, kind=row.kind, content_type=row.content_type,
                          size=row.size, pages=row.pages, sha256=row.sha256,
                          created_at=row.created_at.isoformat())


def upload(store: SqlDocumentStore, user: User, kind: DocumentKind,
           data: bytes) -> DocumentPublic:
    try:
        info = inspect_upload(data)
    except UploadRejected as err:
        raise Invalid(str(err), [{"loc": ["body", "file"], "msg": str(err)}]) from None
    row = store.put(owner=user.username, kind=kind.value, data=data,
                    content_type=info.media_type, pages=info.pages)
    return _public(row)


def get_visible(store: SqlDocumentStore, user: User, document_id: str) -> Document:
    row = store.row(document_id)
    if row is None or (row.owner != user.username and not STAFF & set(user.role_list)):
        raise NotFound("no such document")
    return row


def describe(row: Document) -> DocumentPublic:
    return _public(row)


async def prefill(store: SqlDocumentStore, row: Document,
                  engine: OcrEngine | None = None) -> Prefill:
    data = store.open(row)
    kind = DocumentKind(row.kind)
    try:
        # tesseract is a blocking subprocess: keep the event loop free
        extracted = await asyncio.to_thread(read_document, data, kind,
                                            engine or TesseractOcr())
    except UploadRejected as err:
        return Prefill(id=row.id, kind=row.kind, readable=False, message=str(err))
    fields = {name: FieldRead(value=f.value, confidence=round(f.confidence, 1),
                              trusted=f.trusted, corroborated=f.corroborated,
                              form_field=FORM_FIELDS.get(name))
              for name, f in sorted(extracted.fields.items())}
    filled: dict[str, str] = {}
    for f in fields.values():
        if f.trusted and f.form_field and f.form_field not in filled:
            filled[f.form_field] = f.value
    return Prefill(id=row.id, kind=row.kind, readable=True, fields=fields, prefill=filled,
                   needs_review=[n for n, f in fields.items() if not f.trusted],
                   seconds=round(extracted.seconds, 2))
