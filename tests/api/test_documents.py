"""Uploads, OCR pre-fill and document ownership, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import random
import shutil

import pytest
from PIL import Image
from sqlmodel import Session

from simulators import documents
from store.db import engine_for
from store.models import Document
from tests.api.test_applications import wait_for
from tests.support import sample_application
from verification.documents import MAX_BYTES

PERSON = documents.Person("王建国", "male", "1985-12-05", "广东省深圳市南山区科技园路88号3栋1203室",
                          "440305198512050033", "深圳宏远科技有限公司", 12800.0)
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="Debian's tesseract-ocr is not installed")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (40, 20), 255).save(out, format="PNG")
    return out.getvalue()


async def upload(api, user, data, kind="id_card", name="scan.png"):
    return await api.as_(user, "POST", "/api/documents",
                         files={"file": (name, data, "image/png")}, data={"kind": kind})


async def test_upload_good_and_bad(api):
    r = await upload(api, "alice", _png())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "id_card" and body["content_type"] == "image/png"
    assert body["pages"] == 1 and body["size"] == len(_png()) and len(body["sha256"]) == 64
    # stored encrypted: the row holds no plain PNG
    with Session(engine_for(api.settings.db_url)) as s:
        row = s.get(Document, body["id"])
        assert row is not None and row.owner == "alice"
        assert b"PNG" not in row.ciphertext and len(row.ciphertext) == body["size"] + 28

    # type by content, not by the name or the declared type
    r = await upload(api, "alice", b"MZ\x90\x00 an executable", name="id.png")
    assert r.status_code == 422 and "not a PNG" in r.json()["detail"]
    assert r.json()["errors"][0]["loc"] == ["body", "file"]
    r = await upload(api, "alice", b"")
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    r = await upload(api, "alice", b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_BYTES)
    assert r.status_code == 422 and "larger than 10 MB" in r.json()["detail"]
    r = await upload(api, "alice", _png()[:40])
    assert r.status_code == 422 and "damaged" in r.json()["detail"]
    r = await upload(api, "alice", _png(), kind="passport")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "kind"]
    # staff do not upload on an applicant's behalf
    assert (await upload(api, "uma", _png())).status_code == 403
    # a bad upload loses nothing: the good one is still there
    r = await api.as_("alice", "GET", f"/api/documents/{body['id']}")
    assert r.status_code == 200 and r.json()["sha256"] == body["sha256"]


async def test_only_the_owner_or_staff_sees_a_document(api):
    doc = (await upload(api, "alice", _png())).json()
    for path in (f"/api/documents/{doc['id']}", f"/api/documents/{doc['id']}/prefill"):
        assert (await api.as_("bob", "GET", path)).status_code == 404
    assert (await api.as_("bob", "GET", "/api/documents/no-such-id")).status_code == 404
    assert (await api.as_("uma", "GET", f"/api/documents/{doc['id']}")).status_code == 200
    assert (await api.http.get(f"/api/documents/{doc['id']}")).status_code == 401


@needs_tesseract
async def test_prefill_reads_a_rendered_id_card(api):
    doc = (await upload(api, "alice", documents.id_card(PERSON, random.Random(1)))).json()
    r = await api.as_("alice", "GET", f"/api/documents/{doc['id']}/prefill")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["readable"] is True
    fields = body["fields"]
    assert fields["national_id"]["value"] == "440305198512050033"
    assert fields["national_id"]["trusted"] and fields["national_id"]["corroborated"]
    assert fields["full_name"]["value"] == "王建国"
    assert fields["date_of_birth"]["value"] == "1985-12-05"
    assert 0 <= fields["full_name"]["confidence"] <= 100
    # trusted reads pre-fill the form; the rest are named for a person
    for name, f in fields.items():
        assert (name in body["needs_review"]) is (not f["trusted"])
        if f["trusted"] and f["form_field"]:
            assert f["form_field"] in body["prefill"]
    assert body["prefill"]["applicant.national_id"] == "440305198512050033"


async def test_application_with_documents(api):
    mine = (await upload(api, "alice", _png())).json()
    bobs = (await upload(api, "bob", _png())).json()
    app = sample_application()
    app["documents"] = [{"document_id": bobs["id"], "kind": "id_card"}]
    r = await api.as_("alice", "POST", "/api/applications", json=app)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["body", "documents", 0, "document_id"]
    app["documents"] = [{"document_id": mine["id"], "kind": "payslip"}]
    r = await api.as_("alice", "POST", "/api/applications", json=app)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "documents", 0, "kind"]
    app["documents"] = [{"document_id": mine["id"], "kind": "id_card"}]
    r = await api.as_("alice", "POST", "/api/applications", json=app)
    assert r.status_code == 201, r.text
    body = await wait_for(api, "alice", r.json()["id"],
                          lambda b: "read_documents" in [s["element_id"] for s in b["steps"]])
    steps = [s["element_id"] for s in body["steps"]]
    assert steps.index("bureau") < steps.index("read_documents")
