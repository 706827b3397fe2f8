"""The model registry as the API shows it (versions, champion and challenger, metrics,
the HTML report), and repayment outcomes recorded for retraining. No FastAPI here."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from api.errors import Conflict, NotFound
from risk.errors import ModelNotFoundError, RiskError
from risk.registry import ModelRegistry, ModelVersion
from store.models import Application, LoanOutcome

# Outcomes exist for loans that were made: approved (and completed) applications only.
LENT = ("approved", "completed")
# matplotlib's pyplot keeps global state: one report is drawn at a time.
_DRAWING = threading.Lock()


class ModelVersionPublic(BaseModel):
    version: int
    role: str | None  # champion, challenger or None
    created_at: str | None
    trained_by: str | None
    dataset: str | None
    rows: int | None
    cv_auc: float | None
    cv_auc_std: float | None
    cv_ks: float | None
    cv_gini: float | None
    brier: float | None
    ece: float | None
    report_url: str


class ModelPublic(BaseModel):
    name: str
    champion: int | None
    challenger: int | None
    versions: list[ModelVersionPublic]
    promotions: int


def _metric(meta: dict[str, Any], *path: str) -> float | None:
    value: Any = meta
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, int | float) else None


def _version(v: ModelVersion, champion: int | None, challenger: int | None) -> ModelVersionPublic:
    meta = v.metadata
    data = meta.get("data", {})
    role = "champion" if v.version == champion else (
        "challenger" if v.version == challenger else None)
    return ModelVersionPublic(
        version=v.version, role=role, created_at=meta.get("created_at"),
        trained_by=meta.get("trained_by"), dataset=data.get("dataset") or data.get("source"),
        rows=data.get("rows"), cv_auc=_metric(meta, "cv", "auc", "mean"),
        cv_auc_std=_metric(meta, "cv", "auc", "std"), cv_ks=_metric(meta, "cv", "ks", "mean"),
        cv_gini=_metric(meta, "cv", "gini", "mean"), brier=_metric(meta, "calibration", "brier"),
        ece=_metric(meta, "calibration", "ece"),
        report_url=f"/api/models/{v.name}/versions/{v.version}/report",
    )


def list_models(registry: ModelRegistry) -> list[ModelPublic]:
    out = []
    for name in registry.names():
        champion, challenger = registry.pointer_stamp(name)
        versions = [_version(v, champion, challenger) for v in registry.versions(name)]
        out.append(ModelPublic(name=name, champion=champion, challenger=challenger,
                               versions=sorted(versions, key=lambda v: -v.version),
                               promotions=len(registry.promotions(name))))
    return out


def report(registry: ModelRegistry, name: str, version: int) -> str:
    from risk.report import render_report  # matplotlib: loaded only when a report is asked

    try:
        with _DRAWING:
            return render_report(registry, name, version)
    except ModelNotFoundError as err:
        raise NotFound(str(err)) from None
    except RiskError as err:  # e.g. an invalid model name: no such model either
        raise NotFound(str(err)) from None


class OutcomeCreate(BaseModel):
    defaulted: bool
    observed_at: dt.datetime | None = None


class OutcomePublic(BaseModel):
    application_id: str
    defaulted: bool
    observed_at: dt.datetime
    recorded_by: str


def record_outcome(s: Session, application_id: str, body: OutcomeCreate,
                   actor: str) -> OutcomePublic:
    """Record (or correct) how a loan turned out: one outcome per application."""
    app = s.get(Application, application_id)
    if app is None:
        raise NotFound(f"application {application_id} not found")
    if app.status not in LENT:
        raise Conflict(f"application {application_id} is {app.status}: "
                       "outcomes are recorded for loans that were made")
    row = s.exec(select(LoanOutcome).where(LoanOutcome.application_id == application_id)).first()
    observed = body.observed_at or dt.datetime.now(dt.UTC)
    if row is None:
        row = LoanOutcome(application_id=application_id, defaulted=body.defaulted,
                          observed_at=observed, recorded_by=actor)
    else:
        row.defaulted, row.observed_at, row.recorded_by = body.defaulted, observed, actor
    s.add(row)
    s.commit()
    s.refresh(row)
    return OutcomePublic(application_id=row.application_id, defaulted=row.defaulted,
                         observed_at=row.observed_at, recorded_by=row.recorded_by)
