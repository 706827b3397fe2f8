"""Upload checks, field extraction, and the real OCR on rendered documents."""

from __future__ import annotations

import io
import os
import random
import shutil

import pytest
from PIL import Image

from simulators import documents
from verification.documents import (
    DocumentKind,
    ExtractedDocument,
    ExtractedField,
    OcrLine,
    TesseractOcr,
    UploadRejected,
    compare,
    extract_fields,
    inspect_upload,
    make_line,
    normalize_amount,
    read_document,
)

PERSON = documents.Person("王建国", "male", "1985-12-05", "广东省深圳市南山区科技园路88号3栋1203室",
                          "440305198512050033", "深圳宏远科技有限公司", 12800.0)
APPLICATION = {"applicant": {"full_name": "王建国", "sex": "male", "date_of_birth": "1985-12-05",
                             "national_id": "440305198512050033", "address": ""},
               "employment": {"employer": "宏远科技", "monthly_income": 12800.0}}


def _png(pages: int = 1) -> bytes:
    out = io.BytesIO()
    frames = [Image.new("L", (20, 20), 255) for _ in range(pages)]
    frames[0].save(out, format="TIFF" if pages > 1 else "PNG", save_all=pages > 1,
                   append_images=frames[1:])
    return out.getvalue()


def test_upload_type_is_judged_by_content() -> None:
    assert inspect_upload(_png()).media_type == "image/png"
    assert inspect_upload(b"%PDF-1.7 /Type /Page /Type /Pages").pages == 1
    with pytest.raises(UploadRejected, match="not a PNG"):
        inspect_upload(b"MZ\x90\x00 an executable renamed to id.png")


def test_upload_limits_and_damage() -> None:
    with pytest.raises(UploadRejected, match="empty"):
        inspect_upload(b"")
    with pytest.raises(UploadRejected, match="larger than"):
        inspect_upload(_png(), max_bytes=10)
    with pytest.raises(UploadRejected, match="more than 5 pages"):
        inspect_upload(_png(pages=6))
    with pytest.raises(UploadRejected, match="damaged"):
        inspect_upload(_png()[:40])


def test_amounts_survive_misread_separators() -> None:
    assert normalize_amount("8,221.20") == "8221.20"
    assert normalize_amount("8.221.20") == "8221.20"
    assert normalize_amount("8,.221.20") == "8221.20"
    assert normalize_amount("12800") == "12800.00"


def _lines(*texts: tuple[str, float]) -> list[OcrLine]:
    return [make_line([(t, c)]) for t, c in texts]


def test_extraction_trusts_only_plausible_or_corroborated_reads() -> None:
    fields = extract_fields(DocumentKind.id_card, _lines(
        ("姓名 MRS", 90.0), ("公民身份号码 440305198512050033", 20.0), ("出生 1985年12月5日", 40.0)))
    assert not fields["full_name"].trusted  # not a name, whatever the confidence
    assert fields["national_id"].trusted  # low confidence, but the check digit is right
    assert fields["date_of_birth"].value == "1985-12-05" and not fields["date_of_birth"].trusted
    slip = extract_fields(DocumentKind.payslip, _lines(
        ("基本工资 8960.00 绩效 3840.00", 30.0), ("应发工资 12800.00", 30.0)))
    assert slip["gross_pay"].trusted  # the parts add up to the total


def test_compare_prefills_flags_and_cross_checks() -> None:
    doc = ExtractedDocument(DocumentKind.id_card, {
        "full_name": ExtractedField("王建国", 90), "address": ExtractedField(PERSON.address, 90),
        "sex": ExtractedField("female", 90), "date_of_birth": ExtractedField("1985-12-06", 10),
        "national_id": ExtractedField("440305198512050033", 10, plausible=True),
    })
    rows = {r["field"]: r for r in compare(doc, APPLICATION)}
    assert rows["full_name"]["status"] == "agrees"
    assert rows["address"] == {"document": "id_card", "field": "address", "confidence": 90,
                               "status": "prefill", "value": PERSON.address}
    assert rows["sex"]["status"] == "disagrees"
    # an uncertain read neither contradicts the applicant...
    assert rows["date_of_birth"]["status"] == "low_confidence"
    # ...nor is wasted when it reproduces exactly what they typed
    assert rows["national_id"]["status"] == "agrees"


needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None and not os.environ.get("LOANFLOW_REQUIRE_OCR"),
    reason="Debian's tesseract-ocr and tesseract-ocr-chi-sim are not installed")


@needs_tesseract
@pytest.mark.parametrize(("kind", "render", "expected"), [
    (DocumentKind.id_card, documents.id_card,
     {"full_name": "王建国", "sex": "male", "date_of_birth": "1985-12-05",
      "national_id": "440305198512050033"}),
    (DocumentKind.payslip, documents.payslip, {"gross_pay": "12800.00"}),
])
def test_real_ocr_reads_rendered_documents(kind: DocumentKind, render: object,
                                           expected: dict[str, str]) -> None:
    assert callable(render)
    doc = read_document(render(PERSON, random.Random(1)), kind, TesseractOcr())
    for name, value in expected.items():
        assert doc.fields[name].value == value, name
    rows = {r["field"]: r["status"] for r in compare(doc, APPLICATION)}
    assert all(rows[name] in ("agrees", "low_confidence") for name in expected)
    assert doc.seconds < 10


def _report(documents_out: object, referenced: bool = True) -> dict:
    import datetime as dt

    from verification.crosscheck import context_from_process_data, verification_report
    application = {**APPLICATION, "documents": [{"document_id": "d1", "kind": "id_card"}]
                   if referenced else []}
    data = {"application": application, "documents": documents_out}
    ctx = context_from_process_data(data, today=dt.date(2024, 6, 1))
    report = verification_report(ctx, checked_at="2024-06-01T00:00:00Z")
    return next((f for f in report["findings"] if f["rule_id"] == "documents.ocr"), {})


def test_cross_check_uses_what_ocr_read() -> None:
    def out(*fields: tuple[str, str], rejected: bool = False) -> dict:
        return {"results": [{"document_id": "d1", "kind": "id_card",
                             "status": "rejected" if rejected else "read"}],
                "fields": [{"document": "id_card", "field": f, "status": s, "confidence": 90}
                           for f, s in fields],
                "prefill": {}, "needs_review": False}

    ok = _report(out(("full_name", "agrees"), ("national_id", "agrees")))
    assert ok["status"] == "passed"
    bad = _report(out(("full_name", "agrees"), ("national_id", "disagrees")))
    assert bad["status"] == "failed" and bad["evidence"]["fields"] == ["id_card.national_id"]
    assert "440305" not in bad["message"]  # names fields, never values
    unsure = _report(out(("full_name", "low_confidence")))
    assert unsure["status"] == "could_not_check" and "full_name" in unsure["message"]
    assert _report(out(rejected=True))["status"] == "could_not_check"
    # referenced but never read (the reader failed): a person looks; none: no finding
    assert _report([{"document_id": "d1", "kind": "id_card"}])["status"] == "could_not_check"
    assert _report(None, referenced=False) == {}
