"""Snapshots and outcomes for the retraining tests: German credit rows stand for loans the
champion scored, their real outcome for how the loan turned out."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
from sqlmodel import Session

from risk.registry import ModelRegistry
from store.db import engine_for, init_db
from store.models import LoanOutcome, ScoreSnapshot
from tests.risk.support import GERMAN, _shipped_root


def registry_copy(tmp_path: Path) -> ModelRegistry:
    """The session's fast shipped models, copied: these tests write to the registry."""
    root = tmp_path / "models"
    shutil.copytree(_shipped_root(), root)
    return ModelRegistry(root)


def seed_outcomes(db_url: str, registry: ModelRegistry, rows: int, model: str = "personal",
                  offset: int = 0) -> None:
    init_db(db_url)
    champion = registry.get(model)
    frame = pd.read_csv(GERMAN).iloc[offset:offset + rows]
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with Session(engine_for(db_url)) as s:
        for i, (_, r) in enumerate(frame.iterrows()):
            app_id = f"app-{offset + i:05d}"
            features = {c: r[c].item() if hasattr(r[c], "item") else r[c]
                        for c in champion.metadata["features"]}
            s.add(ScoreSnapshot(application_id=app_id, model=model,
                                model_version=champion.version, features=json.dumps(features),
                                pd=0.3, created_at=start + dt.timedelta(hours=i)))
            s.add(LoanOutcome(application_id=app_id, defaulted=bool(r["default"]),
                              recorded_by="test"))
        s.commit()
