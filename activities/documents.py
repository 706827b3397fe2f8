"""OCR of uploaded documents: extract the fields that matter, pre-fill what the applicant
left empty, cross-check what they typed; a low-confidence read goes to a person."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity

from activities.verification import application_of
from verification.documents import (
    DocumentKind,
    DocumentStore,
    OcrEngine,
    UploadRejected,
    compare,
    read_document,
)
from workflows.types import ServiceTaskInput, ServiceTaskResult

JSON = Any


class DocumentActivities:
    def __init__(self, store: DocumentStore, ocr: OcrEngine) -> None:
        self.store = store
        self.ocr = ocr

    @activity.defn(name="read_documents")
    async def read_documents(self, input: ServiceTaskInput) -> ServiceTaskResult:
        """``data["documents"]``: [{"document_id", "kind"}]; output ``documents``."""
        application = application_of(input)
        results: list[dict[str, JSON]] = []
        fields: list[dict[str, JSON]] = []
        # The references come with the application (``documents`` of the submitted form);
        # a process may also place them in the data directly.
        refs = input.data.get("documents")
        if not isinstance(refs, list):
            refs = application.get("documents") or []
        for ref in refs:
            document_id, kind = str(ref.get("document_id")), str(ref.get("kind"))
            try:
                data = await self.store.get(document_id)
                # tesseract is a blocking subprocess: keep the worker's event loop free
                extracted = await asyncio.to_thread(read_document, data, DocumentKind(kind),
                                                    self.ocr)
            except (UploadRejected, ValueError, LookupError) as exc:
                reason = (str(exc) if isinstance(exc, UploadRejected) else
                          "document not found" if isinstance(exc, LookupError)
                          else "unknown kind")
                results.append({"document_id": document_id, "kind": kind,
                                "status": "rejected", "reason": reason})
                continue
            rows = compare(extracted, application)
            for row in rows:
                row["document_id"] = document_id
            fields.extend(rows)
            results.append({"document_id": document_id, "kind": kind, "status": "read",
                            "pages": extracted.pages, "seconds": round(extracted.seconds, 2)})
        prefill = {r["field"]: r["value"] for r in fields if r["status"] == "prefill"}
        needs_review = any(r["status"] in ("disagrees", "low_confidence") for r in fields) or \
            any(r["status"] == "rejected" for r in results)
        activity.logger.info("documents of application %s: %d read, review=%s",
                             input.application_id, len(results), needs_review)
        return ServiceTaskResult(output={"documents": {
            "results": results, "fields": fields, "prefill": prefill,
            "needs_review": needs_review}})
