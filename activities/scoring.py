"""The scoring activity: the champion model for the loan type scores the application with
its reasons; the challenger, if any, scores in shadow (logged, never acted on).

Anything that makes scoring impossible (no model, a feature the model needs is missing,
malformed data) raises a non-retryable `ScoringUnavailable` error: the process routes the
application to a person, never to a silent approval. Messages name the feature or model,
never the applicant's data.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from risk.errors import RiskError
from risk.features import MODEL_KINDS, FeatureConfig, application_features
from risk.registry import ModelRegistry
from risk.scoring import Scorer, ScoreResult, shadow_score
from store.models import ScoreSnapshot
from workflows.types import ServiceTaskInput, ServiceTaskResult

UNAVAILABLE = "ScoringUnavailable"


def _optional_mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ApplicationError(f"process data '{key}' is not an object", type=UNAVAILABLE,
                               non_retryable=True)
    return value


class _ModelSettings(Protocol):
    @property
    def models_path(self) -> Path: ...


def _json_row(row: Mapping[str, Any]) -> str:
    """The feature row as JSON: NaN (missing) becomes null."""
    clean = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
    return json.dumps(clean, sort_keys=True, default=str)


class ScoringActivities:
    """Holds one loaded Scorer per (model, version); a promotion is picked up on the next
    call without restarting the worker. Given `sessions`, every score is kept as a
    `ScoreSnapshot` (the feature row and PD), which retraining joins with outcomes."""

    def __init__(self, registry: ModelRegistry,
                 sessions: Callable[[], Session] | None = None) -> None:
        self._registry = registry
        self._sessions = sessions
        self._scorers: dict[tuple[str, int], Scorer] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: _ModelSettings,
                      sessions: Callable[[], Session] | None = None) -> ScoringActivities:
        return cls(ModelRegistry(settings.models_path), sessions)

    def _snapshot(self, application_id: str, model: str, version: int,
                  row: Mapping[str, Any], pd: float) -> None:
        """Upsert by (application, model): a retried or repeated score leaves one row, the
        latest (the one the decision used)."""
        assert self._sessions is not None
        features = _json_row(row)
        for _ in range(2):  # a concurrent retry may insert first: then update that row
            with self._sessions() as s:
                found = s.exec(select(ScoreSnapshot).where(
                    ScoreSnapshot.application_id == application_id,
                    ScoreSnapshot.model == model)).first()
                if found is None:
                    s.add(ScoreSnapshot(application_id=application_id, model=model,
                                        model_version=version, features=features, pd=pd))
                else:
                    found.model_version, found.features, found.pd = version, features, pd
                    s.add(found)
                try:
                    s.commit()
                    return
                except IntegrityError:
                    s.rollback()
        raise RuntimeError("score snapshot could not be written")  # retryable: Temporal retries

    def _scorer(self, name: str, version: int, live: tuple[int | None, ...] = ()) -> Scorer:
        """The loaded scorer of a version; versions of `name` no longer live are dropped."""
        key = (name, version)
        with self._lock:
            if live:
                for old in [k for k in self._scorers if k[0] == name and k[1] not in live]:
                    del self._scorers[old]
            scorer = self._scorers.get(key)
            if scorer is None:
                scorer = Scorer(self._registry.get(name, version))
                self._scorers[key] = scorer
            return scorer

    def score(self, inp: ServiceTaskInput) -> tuple[ScoreResult, str]:
        """Blocking part: feature row, champion score, challenger shadow score."""
        application = inp.data.get("application")
        if not isinstance(application, Mapping):
            raise RiskError("process data has no 'application' object")
        loan_type = str(application.get("loan_type"))
        if loan_type not in MODEL_KINDS:
            raise RiskError(f"no scoring model for loan type '{loan_type}'")
        champion, challenger = self._registry.pointer_stamp(loan_type)
        if champion is None:
            raise RiskError(f"model '{loan_type}' has no champion in the registry")
        scorer = self._scorer(loan_type, champion, (champion, challenger))
        config = FeatureConfig.from_json(scorer.metadata.get("feature_config"))
        row = application_features(loan_type, application,
                                   _optional_mapping(inp.data, "verification"),
                                   _optional_mapping(inp.data, "bureau"), config)
        result = scorer.score(row)
        if self._sessions is not None:
            self._snapshot(inp.application_id, loan_type, champion, row, result.pd)
        if challenger is not None and challenger != champion:
            shadow_score(self._scorer(loan_type, challenger), row, result,
                         application_id=inp.application_id)
        return result, loan_type

    @activity.defn(name="score_application")
    async def score_application(self, inp: ServiceTaskInput) -> ServiceTaskResult:
        try:
            result, _ = await asyncio.to_thread(self.score, inp)
        except ApplicationError:
            raise
        except RiskError as exc:
            raise ApplicationError(str(exc), type=UNAVAILABLE, non_retryable=True) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise ApplicationError(f"application data cannot be scored: {type(exc).__name__}",
                                   type=UNAVAILABLE, non_retryable=True) from exc
        return ServiceTaskResult(output={"score": {
            "pd": round(result.pd, 6),
            "score": result.score,
            "grade": result.grade,
            "band": result.grade,
            "model": result.model_name,
            "model_version": result.model_version,
            "reason_catalogue": result.reason_catalogue,
            "reasons": [{"code": r.code, "text": r.text, "contribution": round(r.contribution, 4)}
                        for r in result.reasons],
        }})
