from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile, status

from api.deps import CurrentUser, SettingsDep, require
from api.documents import service
from api.documents.service import DocumentPublic, Prefill
from store.documents import SqlDocumentStore
from store.models import User
from verification.documents import MAX_BYTES, DocumentKind

router = APIRouter(prefix="/api/documents", tags=["documents"])
Applicant = Annotated[User, Depends(require("applicant", "admin"))]


def document_store(settings: SettingsDep) -> SqlDocumentStore:
    return service.store_for(settings)


StoreDep = Annotated[SqlDocumentStore, Depends(document_store)]


@router.post("", status_code=status.HTTP_201_CREATED)
def upload(
    user: Applicant, store: StoreDep, file: Annotated[UploadFile, File()],
    kind: Annotated[DocumentKind, Form()],
) -> DocumentPublic:
    # One byte over the limit is enough to refuse; a huge upload is never held whole.
    data = file.file.read(MAX_BYTES + 1)
    return service.upload(store, user, kind, data)


@router.get("/{document_id}")
def get_document(document_id: str, user: CurrentUser, store: StoreDep) -> DocumentPublic:
    return service.describe(service.get_visible(store, user, document_id))


@router.get("/{document_id}/prefill")
async def prefill(document_id: str, user: CurrentUser, store: StoreDep) -> Prefill:
    row = service.get_visible(store, user, document_id)
    return await service.prefill(store, row)
