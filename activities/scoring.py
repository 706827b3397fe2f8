"""The scoring activity: the champion model for the loan type scores the application with
its reasons; the challenger, if any, scores in shadow (logged, never acted on).

Anything that makes scoring impossible (no model, a feature the model needs is missing,
malformed data) raises a non-retryable `ScoringUnavailable` error: the process routes the
application to a person, never to a silent approval. Messages name the feature or model,
never the applicant's data.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from risk.errors import RiskError
from risk.features import MODEL_KINDS, FeatureConfig, application_features
from risk.registry import ModelRegistry
from risk.scoring import Scorer, ScoreResult, shadow_score
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


class ScoringActivities:
    """Holds one loaded Scorer per (model, version); a promotion is picked up on the next
    call without restarting the worker."""

    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry
        self._scorers: dict[tuple[str, int], Scorer] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: _ModelSettings) -> ScoringActivities:
        return cls(ModelRegistry(settings.models_path))

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
