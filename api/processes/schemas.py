"""What the modeler sends and gets back: drafts and validation results."""

from __future__ import annotations

from pydantic import BaseModel, Field

MAX_XML = 5_000_000


class DraftIn(BaseModel):
    bpmn_xml: str = Field(min_length=1, max_length=MAX_XML)
    dmn_xml: list[str] = Field(default_factory=list, max_length=20)
    based_on_version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class DraftPublic(BaseModel):
    process_id: str
    name: str
    bpmn_xml: str
    dmn_xml: list[str]
    based_on_version: int | None
    latest_version: int | None  # newer than based_on_version: someone deployed meanwhile
    updated_by: str
    updated_at: str


class ValidateIn(BaseModel):
    bpmn_xml: str = Field(min_length=1, max_length=MAX_XML)
    dmn_xml: list[str] = Field(default_factory=list, max_length=20)


class ProblemPublic(BaseModel):
    element_id: str
    reason: str


class ValidationResult(BaseModel):
    valid: bool
    problems: list[ProblemPublic]
