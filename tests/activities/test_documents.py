"""read_documents in an ActivityEnvironment: a bad upload is rejected with a clear reason
and the rest of the application's documents are still read."""

from __future__ import annotations

import io

from PIL import Image
from temporalio.testing import ActivityEnvironment

from activities.documents import DocumentActivities
from verification.documents import InMemoryDocumentStore, OcrLine, make_line
from workflows.types import ServiceTaskInput


class ScriptedOcr:
    def read(self, image: Image.Image) -> list[OcrLine]:
        return [make_line([("姓名", 95.0), ("王建国", 92.0)]),
                make_line([("住址", 95.0), ("广东省深圳市南山区科技园路88号", 90.0)]),
                make_line([("公民身份号码", 95.0), ("440305198512050033", 91.0)])]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (40, 20), 255).save(out, format="PNG")
    return out.getvalue()


async def test_documents_are_read_prefilled_and_bad_uploads_rejected() -> None:
    store = InMemoryDocumentStore()
    store.put("doc-1", _png())
    store.put("doc-2", b"GIF89a not accepted")
    application = {"applicant": {"full_name": "王建国", "national_id": "440305198512050034",
                                 "address": "", "date_of_birth": "1985-12-05"},
                   "employment": {"employer": "", "monthly_income": 0}}
    task = ServiceTaskInput("application-9", "loan-application-9", "read_docs", {
        "application": application,
        "documents": [{"document_id": "doc-1", "kind": "id_card"},
                      {"document_id": "doc-2", "kind": "payslip"},
                      {"document_id": "doc-1", "kind": "passport"}]})
    result = await ActivityEnvironment().run(
        DocumentActivities(store, ScriptedOcr()).read_documents, task)
    out = result.output["documents"]
    statuses = [(r["document_id"], r["status"]) for r in out["results"]]
    assert statuses == [("doc-1", "read"), ("doc-2", "rejected"), ("doc-1", "rejected")]
    assert "not a PNG" in out["results"][1]["reason"]
    fields = {r["field"]: r["status"] for r in out["fields"]}
    assert fields == {"full_name": "agrees", "address": "prefill", "national_id": "disagrees"}
    assert out["prefill"] == {"address": "广东省深圳市南山区科技园路88号"}
    assert out["needs_review"] is True
