"""What the approver admin reads and writes: an approver's profile and their load."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from activities.assignment import token
from bpmn.registry import APPROVER_ROLES

Skill = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^,]+$")]
Language = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}$")]  # ISO 639 code
Username = Annotated[str, Field(min_length=1, max_length=64)]


def _tokens(values: list[str]) -> list[str]:
    return sorted({token(v) for v in values})


class ApproverUpdate(BaseModel):
    """The whole profile (PUT replaces it). Roles are the approver roles; any other role
    the person holds (admin, compliance, ...) is kept."""

    model_config = ConfigDict(extra="forbid")

    roles: Annotated[list[str], Field(min_length=1, max_length=len(APPROVER_ROLES))]
    skills: Annotated[list[Skill], Field(max_length=50)] = []
    languages: Annotated[list[Language], Field(max_length=20)] = []
    industries: Annotated[list[Skill], Field(max_length=50)] = []
    authority_limit: Annotated[float, Field(ge=0, le=1e12)]
    capacity: Annotated[float, Field(gt=0, le=10_000)]
    supervisor: Username | None = None
    away_from: AwareDatetime | None = None
    away_until: AwareDatetime | None = None
    delegate: Username | None = None

    @field_validator("roles")
    @classmethod
    def _approver_roles(cls, roles: list[str]) -> list[str]:
        unknown = sorted(set(roles) - APPROVER_ROLES)
        if unknown:
            raise ValueError(f"not approver roles: {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(APPROVER_ROLES))})")
        return sorted(set(roles))

    @field_validator("skills", "industries")
    @classmethod
    def _normalise(cls, values: list[str]) -> list[str]:
        return _tokens(values)

    @field_validator("languages")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return sorted({v.lower() for v in values})

    @field_validator("away_until")
    @classmethod
    def _after_from(cls, until: AwareDatetime | None, info: ValidationInfo) -> AwareDatetime | None:
        start = info.data.get("away_from")
        if until is not None and start is not None and until <= start:
            raise ValueError("must be after away_from")
        return until


class ApproverPublic(BaseModel):
    username: str
    full_name: str
    roles: list[str]
    skills: list[str]
    languages: list[str]
    industries: list[str]
    authority_limit: float
    capacity: float
    supervisor: str | None
    away_from: str | None
    away_until: str | None
    delegate: str | None
    away: bool  # away now
    open_tasks: int
    open_effort: float
    load: float  # open effort ÷ capacity


class HandoverPublic(BaseModel):
    """Where each open task of someone now away went."""

    task_id: str
    to_user: str | None  # None: the role's shared queue
    kind: str  # delegated, reassigned, queued
    reason: str


class ApproverUpdated(BaseModel):
    approver: ApproverPublic
    moved: list[HandoverPublic]
