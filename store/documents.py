"""Uploaded documents kept in the database, encrypted at rest.

The bytes are sealed with AES-GCM under a key that lives in a file beside the data, not
in the database (``core.codec.secret_file``); the row id is the associated data, so a
sealed blob cannot be moved to another row. The API writes, the ``read_documents``
activity reads (``DocumentStore`` protocol of verification.documents)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import os
import uuid
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session

from store.models import Document


class DocumentNotFound(LookupError):
    pass


def _aes_key(secret: bytes) -> bytes:
    """``secret_file`` keeps 32 random bytes in base64; anything else is hashed to 32."""
    try:
        raw = base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    return raw if len(raw) in (16, 24, 32) else hashlib.sha256(secret).digest()


class SqlDocumentStore:
    def __init__(self, sessions: Callable[[], Session], secret: bytes) -> None:
        self._sessions = sessions
        self._cipher = AESGCM(_aes_key(secret))

    def put(self, *, owner: str, kind: str, data: bytes, content_type: str,
            pages: int) -> Document:
        """Seal and store; returns the row (without touching the caller's session)."""
        document_id = str(uuid.uuid4())
        nonce = os.urandom(12)
        row = Document(
            id=document_id, owner=owner, kind=kind, content_type=content_type,
            size=len(data), pages=pages, sha256=hashlib.sha256(data).hexdigest(),
            ciphertext=nonce + self._cipher.encrypt(nonce, data, document_id.encode()),
        )
        with self._sessions() as s:
            s.add(row)
            s.commit()
            s.refresh(row)
            s.expunge(row)
        return row

    def row(self, document_id: str) -> Document | None:
        with self._sessions() as s:
            row = s.get(Document, document_id)
            if row is not None:
                s.expunge(row)
            return row

    def read(self, document_id: str) -> bytes:
        row = self.row(document_id)
        if row is None:
            raise DocumentNotFound("no such document")
        return self.open(row)

    def open(self, row: Document) -> bytes:
        sealed = row.ciphertext
        return self._cipher.decrypt(sealed[:12], sealed[12:], row.id.encode())

    async def get(self, document_id: str) -> bytes:
        return await asyncio.to_thread(self.read, document_id)
