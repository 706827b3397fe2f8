"""Scores are kept as snapshots; the retraining activity joins them with outcomes, trains a
challenger and records the promotion decision, or says why it did nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from sqlmodel import Session, select
from temporalio.testing import ActivityEnvironment

from activities.retraining import RetrainingActivities
from activities.scoring import ScoringActivities
from risk.registry import ModelRegistry
from store.db import engine_for, init_db, session_factory
from store.models import ScoreSnapshot
from tests.retrain_support import registry_copy, seed_outcomes
from tests.risk.support import APPLICATION, BUREAU, shipped_registry
from workflows.types import RetrainModelsInput, ServiceTaskInput

__all__ = ["shipped_registry"]


async def test_scoring_keeps_one_snapshot_per_application(
    shipped_registry: ModelRegistry, sqlite_url: str
) -> None:
    init_db(sqlite_url)
    acts = ScoringActivities(shipped_registry, session_factory(sqlite_url))
    inp = ServiceTaskInput(application_id="app-1", workflow_id="wf-1", element_id="score",
                           data={"application": copy.deepcopy(APPLICATION),
                                 "bureau": copy.deepcopy(BUREAU)})
    first = await ActivityEnvironment().run(acts.score_application, inp)
    await ActivityEnvironment().run(acts.score_application, inp)  # a retry
    with Session(engine_for(sqlite_url)) as s:
        snaps = s.exec(select(ScoreSnapshot)).all()
    assert len(snaps) == 1
    snap = snaps[0]
    assert (snap.application_id, snap.model, snap.model_version) == ("app-1", "personal", 1)
    assert abs(snap.pd - first.output["score"]["pd"]) < 1e-6
    row = json.loads(snap.features)
    assert set(shipped_registry.get("personal").metadata["features"]) <= set(row)


def test_too_few_outcomes_trains_nothing(tmp_path: Path, sqlite_url: str) -> None:
    registry = registry_copy(tmp_path)
    seed_outcomes(sqlite_url, registry, rows=40)
    acts = RetrainingActivities(registry, session_factory(sqlite_url))
    result = ActivityEnvironment().run(acts.retrain_models,
                                       RetrainModelsInput(models=["personal", "behaviour"]))
    personal, behaviour = result.models
    assert personal.action == "skipped" and personal.outcome_rows == 40
    assert "fewer than the 200 needed" in personal.reason
    assert behaviour.action == "skipped" and behaviour.outcome_rows == 0
    assert [v.version for v in registry.versions("personal")] == [1]
    assert len(registry.promotions("personal")) == 1  # the initial install only


def test_outcomes_train_a_challenger_through_the_gate(tmp_path: Path, sqlite_url: str) -> None:
    registry = registry_copy(tmp_path)
    seed_outcomes(sqlite_url, registry, rows=300)
    acts = RetrainingActivities(registry, session_factory(sqlite_url))
    result = ActivityEnvironment().run(
        acts.retrain_models, RetrainModelsInput(models=["personal"], fast=True, actor="test"))
    (report,) = result.models
    assert report.action in ("promoted", "kept_champion"), report.reason
    assert report.outcome_rows == 300 and report.holdout_rows == 75
    assert report.training_rows == 1000 + 225  # the German data plus the older outcomes
    assert report.challenger_version == 2 and report.champion_version == 1
    assert report.challenger_auc is not None and report.champion_auc is not None
    assert "holdout AUC" in report.reason
    decision = registry.promotions("personal")[-1]
    assert decision["challenger"] == 2 and decision["actor"] == "test"
    assert decision["promoted"] == report.promoted and decision["holdout_rows"] == 75
    assert registry.champion("personal").version == (2 if report.promoted else 1)  # type: ignore[union-attr]
    meta = registry.get("personal", 2).metadata
    assert meta["retrain"]["outcome_rows"] == 300 and meta["model_kind"] == "german"
