"""Uploaded documents (ID card, payslip, bank statement): checking the upload, reading it
with OCR, extracting the fields that matter and comparing them with the application.

The OCR engine is behind a Protocol; ``TesseractOcr`` uses Debian's tesseract-ocr with the
Simplified Chinese and English data (``tesseract-ocr-chi-sim``). A field read with low
confidence is flagged for a person, never trusted.
"""

from __future__ import annotations

import io
import os
import re
import time
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from PIL import Image, ImageOps

from verification import national_id as nid
from verification.formats import address_problem
from verification.fuzzy import company_similarity, name_similarity

JSON = Any
MAX_BYTES = 10 * 1024 * 1024
MAX_PAGES = 5
LOW_CONFIDENCE = 50.0  # tesseract word confidence (0-100) below which we do not trust a read
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"), (b"%PDF-", "application/pdf"))


class DocumentKind(StrEnum):
    id_card = "id_card"
    payslip = "payslip"
    bank_statement = "bank_statement"


class UploadRejected(ValueError):
    """A bad upload; the message is for the applicant and quotes nothing of the file."""


@dataclass(frozen=True)
class UploadInfo:
    media_type: str
    pages: int
    size: int


def inspect_upload(data: bytes, *, max_bytes: int = MAX_BYTES,
                   max_pages: int = MAX_PAGES) -> UploadInfo:
    """Type by content (not by name), size and page limits."""
    if not data:
        raise UploadRejected("The file is empty.")
    if len(data) > max_bytes:
        raise UploadRejected(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    media = next((m for magic, m in _MAGIC if data.startswith(magic)), None)
    if media is None:
        raise UploadRejected("The file is not a PNG, JPEG or TIFF image or a PDF.")
    if media == "application/pdf":
        pages = max(1, len(re.findall(rb"/Type\s*/Page(?!s)", data)))
    else:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                pages = getattr(image, "n_frames", 1)
        except Exception as exc:  # Pillow raises many kinds on a broken file
            raise UploadRejected("The image is damaged and cannot be opened.") from exc
    if pages > max_pages:
        raise UploadRejected(f"The document has more than {max_pages} pages.")
    return UploadInfo(media, pages, len(data))


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float  # the lowest word confidence on the line
    # (start, end, confidence) of each word within ``text``
    spans: tuple[tuple[int, int, float], ...] = ()

    def confidence_of(self, start: int, end: int) -> float:
        """The lowest confidence of the words overlapping text[start:end]."""
        inside = [c for s, e, c in self.spans if s < end and e > start]
        return min(inside) if inside else self.confidence


class OcrEngine(Protocol):
    def read(self, image: Image.Image) -> list[OcrLine]: ...


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def make_line(words: list[tuple[str, float]]) -> OcrLine:
    """Tesseract splits Chinese into pieces; glue CJK to CJK, keep spaces elsewhere."""
    text, spans = "", []
    for word, conf in words:
        if text and not (_is_cjk(text[-1]) or _is_cjk(word[0])):
            text += " "
        spans.append((len(text), len(text) + len(word), conf))
        text += word
    return OcrLine(text, min((c for _, c in words), default=0.0), tuple(spans))


class TesseractOcr:
    def __init__(self, lang: str = "chi_sim", config: str = "--psm 6") -> None:
        self.lang, self.config = lang, config

    def read(self, image: Image.Image) -> list[OcrLine]:
        import pytesseract

        # One OpenMP thread per tesseract: on a small machine its threads fight each
        # other; parallelism comes from reading pages concurrently instead.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        data = pytesseract.image_to_data(ImageOps.autocontrast(image), lang=self.lang,
                                         config=self.config,
                                         output_type=pytesseract.Output.DICT)
        lines: dict[tuple[int, int, int], list[tuple[str, float]]] = {}
        for i, word in enumerate(data["text"]):
            if word.strip():
                key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
                lines.setdefault(key, []).append((word.strip(), float(data["conf"][i])))
        return [make_line(words) for _, words in sorted(lines.items())]


@dataclass(frozen=True)
class ExtractedField:
    value: str
    confidence: float
    # Another part of the document (or a check digit) confirms the read: e.g. the
    # payslip's parts add up to its total, the ID number's check character is right.
    corroborated: bool = False
    plausible: bool = True

    @property
    def trusted(self) -> bool:
        return self.plausible and (self.corroborated or self.confidence >= LOW_CONFIDENCE)


@dataclass
class ExtractedDocument:
    kind: DocumentKind
    fields: dict[str, ExtractedField] = field(default_factory=dict)
    seconds: float = 0.0
    pages: int = 1


_AMOUNT = r"([0-9][0-9,.]*)"
_NAME = r"([\u4e00-\u9fff]{2,4}|[A-Za-z][A-Za-z'.-]*(?: [A-Za-z][A-Za-z'.-]*)*)"
_PATTERNS: dict[DocumentKind, dict[str, str]] = {
    DocumentKind.id_card: {
        "full_name": r"姓\s*名\s*[:：]?\s*" + _NAME,
        "sex": r"性\s*别\s*[:：]?\s*([男女])",
        "date_of_birth": r"出\s*生\s*[:：]?\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日",
        "address": r"住\s*址\s*[:：]?\s*(\S+)",
        "national_id": r"(\d{17}[\dXx])",
    },
    DocumentKind.payslip: {
        "employer": r"(?:单\s*位|公\s*司)\s*[:：]?\s*(\S{4,})",
        "full_name": r"姓\s*名\s*[:：]?\s*" + _NAME,
        "period": r"(\d{4})\s*年\s*(\d{1,2})\s*月",
        "basic_pay": r"基\s*本\s*工\s*资\s*" + _AMOUNT,
        "bonus_pay": r"绩\s*效\s*" + _AMOUNT,
        "gross_pay": r"应\s*发\s*(?:工\s*资|合\s*计)?\s*[:：]?\s*" + _AMOUNT,
        "net_pay": r"实\s*发\s*(?:工\s*资|合\s*计)?\s*[:：]?\s*" + _AMOUNT,
    },
    DocumentKind.bank_statement: {
        "full_name": r"户\s*名\s*[:：]?\s*" + _NAME,
        "salary_credit": r"代\s*发\s*工\s*资\s*" + _AMOUNT,
    },
}


_AMOUNTS = frozenset({"gross_pay", "net_pay", "salary_credit", "basic_pay", "bonus_pay"})
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_LATIN_NAME = re.compile(r"^[A-Za-z][A-Za-z'.-]+(?: [A-Za-z][A-Za-z'.-]+)+$")


def normalize_amount(text: str) -> str:
    """'8,221.20', '8.221.20' and '8,.221.20' (separators misread by OCR) -> '8221.20'."""
    digits = re.sub(r"[^0-9.,]", "", text)
    match = re.fullmatch(r"(.*?)[.,](\d{2})", digits)
    whole, cents = (match.group(1), match.group(2)) if match else (digits, "00")
    whole = re.sub(r"[.,]", "", whole)
    if not whole.isdigit():
        raise ValueError("not an amount")
    return f"{int(whole)}.{cents}"


def _value(kind: DocumentKind, name: str, match: re.Match[str]) -> str:
    if name == "date_of_birth" or name == "period":
        parts = [int(g) for g in match.groups()]
        return "-".join(f"{p:02d}" for p in parts)
    if name == "sex":
        return "male" if match.group(1) == "男" else "female"
    if name in _AMOUNTS:
        return normalize_amount(match.group(1))
    value = match.group(1)
    return value.upper() if name == "national_id" else value


def extract_fields(kind: DocumentKind, lines: list[OcrLine]) -> dict[str, ExtractedField]:
    """The first match of each field's pattern; repeated rows (salary credits) averaged."""
    found: dict[str, ExtractedField] = {}
    credits: list[tuple[float, float]] = []
    for line in lines:
        for name, pattern in _PATTERNS[kind].items():
            match = re.search(pattern, line.text)
            if match is None:
                continue
            confidence = line.confidence_of(match.start(1), match.end(match.lastindex or 1))
            try:
                value = _value(kind, name, match)
            except ValueError:
                continue
            if name == "salary_credit":
                credits.append((float(value), confidence))
            elif name not in found:
                found[name] = ExtractedField(value, confidence)
    if credits:
        average = sum(a for a, _ in credits) / len(credits)
        # The same salary credited in several months confirms each read.
        repeated = len(credits) >= 2 and len({a for a, _ in credits}) == 1
        found["monthly_salary"] = ExtractedField(f"{average:.2f}", min(c for _, c in credits),
                                                 corroborated=repeated)
    return _check(found)


def _check(found: dict[str, ExtractedField]) -> dict[str, ExtractedField]:
    """Plausibility of each read, and corroboration where the document allows it."""
    out = dict(found)
    for name, f in found.items():
        if name == "full_name":
            out[name] = replace(f, plausible=bool(_CJK_NAME.match(f.value)
                                                  or _LATIN_NAME.match(f.value)))
        elif name == "national_id":
            ok = nid.checksum_ok(f.value)
            out[name] = replace(f, plausible=ok, corroborated=ok)
        elif name == "address":
            out[name] = replace(f, plausible=address_problem(f.value) is None)
    parts = [found.get("basic_pay"), found.get("bonus_pay"), found.get("gross_pay")]
    if all(parts):
        basic, bonus, gross = (float(p.value) for p in parts if p)
        if abs(basic + bonus - gross) < 0.015:
            for name in ("basic_pay", "bonus_pay", "gross_pay"):
                out[name] = replace(out[name], corroborated=True)
    return out


def read_document(data: bytes, kind: DocumentKind, engine: OcrEngine) -> ExtractedDocument:
    info = inspect_upload(data)
    if info.media_type == "application/pdf":
        raise UploadRejected("PDF pages cannot be read automatically yet; a person will.")
    started = time.perf_counter()
    lines: list[OcrLine] = []
    with Image.open(io.BytesIO(data)) as image:
        for page in range(info.pages):
            image.seek(page)
            lines.extend(engine.read(image.convert("L")))
    return ExtractedDocument(kind, extract_fields(kind, lines),
                             time.perf_counter() - started, info.pages)


_COUNTERPARTS = frozenset({"full_name", "sex", "date_of_birth", "national_id", "address",
                           "employer", "gross_pay", "monthly_salary"})


def _stated(application: dict[str, JSON], name: str) -> str | None:
    applicant = application.get("applicant") or {}
    employment = application.get("employment") or {}
    value = {
        "full_name": applicant.get("full_name"), "sex": applicant.get("sex"),
        "date_of_birth": applicant.get("date_of_birth"),
        "national_id": applicant.get("national_id"), "address": applicant.get("address"),
        "employer": employment.get("employer"),
        "gross_pay": employment.get("monthly_income"),
        "monthly_salary": employment.get("monthly_income"),
    }.get(name)
    return None if value in (None, "") else str(value)


def _same(name: str, read: str, stated: str) -> bool:
    try:
        if name in ("gross_pay", "monthly_salary"):
            return abs(float(read) - float(stated)) < 0.005
    except ValueError:
        return False
    return read.replace(" ", "").upper() == stated.replace(" ", "").upper()


def _agrees(name: str, read: str, stated: str) -> bool:
    if name == "full_name":
        return name_similarity(read, stated) >= 0.9
    if name == "employer":
        return company_similarity(read, stated) >= 0.85
    if name in ("gross_pay", "monthly_salary"):
        tolerance = 0.15 if name == "gross_pay" else 0.25
        return abs(float(read) - float(stated)) <= tolerance * max(float(stated), 1.0)
    if name == "address":
        return read.replace(" ", "") == stated.replace(" ", "")
    return read.upper() == stated.upper()


def compare(document: ExtractedDocument, application: dict[str, JSON]) -> list[dict[str, JSON]]:
    """Per field: agrees / disagrees / prefill (the applicant left it empty) /
    low_confidence (read too uncertainly to be used either way)."""
    rows: list[dict[str, JSON]] = []
    for name, read in sorted(document.fields.items()):
        stated = _stated(application, name)
        row: dict[str, JSON] = {"document": document.kind.value, "field": name,
                                "confidence": round(read.confidence, 1)}
        if not read.trusted:
            # An uncertain read may neither contradict the applicant nor fill in for them,
            # but one that reproduces exactly what they typed is confirmed by it.
            exact = read.plausible and stated is not None and _same(name, read.value, stated)
            row["status"] = "agrees" if exact else "low_confidence"
        elif name not in _COUNTERPARTS:
            row.update(status="read", value=read.value)
        elif stated is None:
            row.update(status="prefill", value=read.value)
        else:
            try:
                row["status"] = "agrees" if _agrees(name, read.value, stated) else "disagrees"
            except ValueError:
                row["status"] = "low_confidence"
        rows.append(row)
    return rows


class DocumentStore(Protocol):
    """Where uploads are kept (the api writes, the activity reads); process data carries
    only document ids."""

    async def get(self, document_id: str) -> bytes: ...


class InMemoryDocumentStore:
    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}

    def put(self, document_id: str, data: bytes) -> None:
        self._files[document_id] = data

    async def get(self, document_id: str) -> bytes:
        return self._files[document_id]
