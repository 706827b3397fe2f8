"""A versioned model registry in a folder (default `var/models`, shared storage in
production):

    <root>/<name>/v0001/model.cbm       the CatBoost model
    <root>/<name>/v0001/metadata.json   data sha256, features, parameters, CV metrics with
                                        spread, calibration, training time, code version
    <root>/<name>/v0001/oof.csv         out-of-fold predictions (reports, fairness)
    <root>/<name>/champion.json         the version that decides
    <root>/<name>/challenger.json       the version that scores in shadow
    <root>/<name>/promotions.jsonl      every promotion decision, promoted or not

Versions are immutable once written. Writers take a file lock, so two trainings can
register at once; pointers are replaced atomically, so readers never see half a file.
Only `risk.promotion` moves the champion pointer, and it records why.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catboost import CatBoostClassifier

from risk import metrics, reason_codes
from risk.errors import ModelNotFoundError, RiskError
from risk.train import TrainResult

DEFAULT_ROOT = Path("var/models")
DEFAULT_DATA = Path(__file__).resolve().parents[1] / "data"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def code_version() -> str:
    """The git revision of this checkout ("+dirty" with local changes), or "unknown"."""
    repo = Path(__file__).resolve().parents[1]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=repo, capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}+dirty" if dirty.strip() else rev


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: int
    path: Path
    metadata: dict[str, Any]

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def model_file(self) -> Path:
        return self.path / "model.cbm"

    @property
    def oof_file(self) -> Path:
        return self.path / "oof.csv"

    def load_model(self) -> CatBoostClassifier:
        model = CatBoostClassifier()
        model.load_model(str(self.model_file))
        return model


def ensure_default_models(
    registry_path: str | Path,
    data_dir: str | Path | None = None,
    *,
    fast: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, ModelVersion]:
    """Train the shipped models that have no champion yet (see `risk.defaults`); `data_dir`
    defaults to the project's data/ folder."""
    from risk.defaults import ensure_default_models as ensure

    folder = Path(data_dir) if data_dir is not None else DEFAULT_DATA
    return ensure(registry_path, folder, fast=fast, progress=progress or (lambda _: None))


class ModelRegistry:
    def __init__(self, root: str | Path = DEFAULT_ROOT) -> None:
        self.root = Path(root)

    # --- paths and locking ---------------------------------------------------------------

    def _dir(self, name: str) -> Path:
        if not _NAME.match(name):
            raise RiskError(f"invalid model name {name!r}: use lower-case letters, digits, '._-'")
        return self.root / name

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @staticmethod
    def _write_json(path: Path, data: Mapping[str, Any]) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))
        os.replace(tmp, path)

    # --- writing -------------------------------------------------------------------------

    def register(
        self,
        name: str,
        result: TrainResult,
        *,
        dataset: str = "",
        trained_by: str = "loanflow train",
        extra: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """Store a trained model as the next version of `name` (neither champion nor
        challenger yet)."""
        base = self._dir(name)
        with self._locked():
            base.mkdir(parents=True, exist_ok=True)
            number = max(self._numbers(name), default=0) + 1
            path = base / f"v{number:04d}"
            path.mkdir()
            result.model.save_model(str(path / "model.cbm"))
            result.oof.to_csv(path / "oof.csv", index=False)
            meta = self._metadata(name, number, result, dataset, trained_by, extra or {})
            meta["model_sha256"] = _sha256(path / "model.cbm")
            self._write_json(path / "metadata.json", meta)
        return ModelVersion(name, number, path, meta)

    @staticmethod
    def _metadata(name: str, number: int, result: TrainResult, dataset: str, trained_by: str,
                  extra: Mapping[str, Any]) -> dict[str, Any]:
        data = result.dataset
        opts = result.options
        return {
            "name": name,
            "version": number,
            "created_at": _now(),
            "trained_by": trained_by,
            "code_version": code_version(),
            "data": {
                "source": data.source,
                "sha256": data.sha256,
                "dataset": dataset,
                "rows": len(data.y),
                "default_rate": float(data.y.mean()),
                "positive_label": data.positive_label,
                "dropped_columns": data.dropped,
            },
            "target": opts.target,
            "features": result.features,
            "derived": result.derived,
            "cat_features": result.cat_features,
            "required": list(opts.required),
            "kept": list(opts.keep),
            "params": result.params,
            "cv": {"folds": opts.folds, "seed": opts.seed, "per_fold": result.cv.folds,
                   **result.cv.summary()},
            "calibration": {"method": "platt", "a": result.calibration.a,
                            "b": result.calibration.b, **result.calibration_report},
            "importance": result.importance,
            "training_seconds": round(result.training_seconds, 2),
            "score_scale": {"base_score": metrics.BASE_SCORE, "base_odds": metrics.BASE_ODDS,
                            "pdo": metrics.PDO, "grades": dict(metrics.GRADE_CUTOFFS)},
            "reason_catalogue": reason_codes.CATALOGUE_VERSION,
            **dict(extra),
        }

    def set_challenger(self, name: str, version: int) -> None:
        self.get(name, version)
        with self._locked():
            self._write_json(self._dir(name) / "challenger.json",
                             {"version": version, "since": _now()})

    def clear_challenger(self, name: str) -> None:
        with self._locked():
            (self._dir(name) / "challenger.json").unlink(missing_ok=True)

    def _move_champion(self, name: str, version: int, record: Mapping[str, Any]) -> None:
        """Point `name` at `version` and log `record`; for risk.promotion only."""
        self.get(name, version)
        with self._locked():
            base = self._dir(name)
            with (base / "promotions.jsonl").open("a") as fh:
                fh.write(json.dumps({"at": _now(), **record}, sort_keys=True, default=str) + "\n")
            if record.get("promoted"):
                self._write_json(base / "champion.json", {"version": version, "since": _now()})
                challenger = self._pointer(name, "challenger")
                if challenger == version:
                    (base / "challenger.json").unlink(missing_ok=True)

    # --- reading -------------------------------------------------------------------------

    def _numbers(self, name: str) -> list[int]:
        base = self._dir(name)
        if not base.is_dir():
            return []
        return sorted(int(p.name[1:]) for p in base.glob("v[0-9]*") if p.name[1:].isdigit())

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _NAME.match(p.name))

    def versions(self, name: str) -> list[ModelVersion]:
        return [self.get(name, n) for n in self._numbers(name)]

    def get(self, name: str, version: int | None = None) -> ModelVersion:
        """A version, or the champion when `version` is None."""
        if version is None:
            champion = self.champion(name)
            if champion is None:
                raise ModelNotFoundError(f"model '{name}' has no champion in {self.root}")
            return champion
        path = self._dir(name) / f"v{version:04d}"
        meta_file = path / "metadata.json"
        if not meta_file.is_file():
            raise ModelNotFoundError(f"model '{name}' has no version {version} in {self.root}")
        return ModelVersion(name, version, path, json.loads(meta_file.read_text()))

    def _pointer(self, name: str, kind: str) -> int | None:
        path = self._dir(name) / f"{kind}.json"
        try:
            return int(json.loads(path.read_text())["version"])
        except FileNotFoundError:
            return None

    def champion(self, name: str) -> ModelVersion | None:
        number = self._pointer(name, "champion")
        return None if number is None else self.get(name, number)

    def challenger(self, name: str) -> ModelVersion | None:
        number = self._pointer(name, "challenger")
        return None if number is None else self.get(name, number)

    def pointer_stamp(self, name: str) -> tuple[int | None, int | None]:
        """(champion, challenger) versions: cheap enough to check before every score."""
        return self._pointer(name, "champion"), self._pointer(name, "challenger")

    def promotions(self, name: str) -> list[dict[str, Any]]:
        path = self._dir(name) / "promotions.jsonl"
        if not path.is_file():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
