"""The shipped models: which data set stands for which loan, trained on first start.

| model     | data (data/)                     | stands for                                   |
|-----------|----------------------------------|----------------------------------------------|
| personal  | german_credit.csv                | personal-loan application scorecard          |
| business  | lending_club_loan_data.csv       | bureau-style application model, business     |
| micro     | lending_club_loan_data.csv       | bureau-style application model, micro loans  |
| behaviour | taiwan_credit_card_default.csv   | repayment-behaviour score after disbursement |

Each model uses only the columns `risk.features` can fill from an application, the
verification and the bureau report (never sex, marital status or foreign-worker status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from risk.errors import RiskError
from risk.features import BEHAVIOUR_COLUMNS, DEFAULT_CONFIG, LENDING_COLUMNS, PERSONAL_COLUMNS
from risk.promotion import install_initial
from risk.registry import ModelRegistry, ModelVersion
from risk.train import TrainOptions, TrainResult, train_csv

Progress = Callable[[str], None]
FAST_MAX_ROWS = 2_000


@dataclass(frozen=True)
class ModelSpec:
    name: str
    data_file: str
    dataset: str
    kind: str
    columns: tuple[str, ...]
    required: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()  # beside predictions for the fairness report

    def options(self, *, fast: bool = False) -> TrainOptions:
        return TrainOptions(target="default", columns=self.columns, required=self.required,
                            keep=self.keep, fast=fast,
                            max_rows=FAST_MAX_ROWS if fast else None)


_GERMAN = "German credit, UCI Statlog (id 144), CC BY 4.0"
_LENDING = "Lending Club loans 2007-2010, ODbL"
_TAIWAN = "Default of credit card clients, Taiwan 2005, UCI (id 350), CC BY 4.0"

SPECS: tuple[ModelSpec, ...] = (
    ModelSpec("personal", "german_credit.csv", _GERMAN, "german", tuple(PERSONAL_COLUMNS),
              required=("duration_in_month", "credit_amount", "age_in_years"),
              keep=("personal_status_and_sex", "age_in_years")),
    ModelSpec("business", "lending_club_loan_data.csv", _LENDING, "lending_club",
              tuple(LENDING_COLUMNS), required=("fico",)),
    ModelSpec("micro", "lending_club_loan_data.csv", _LENDING, "lending_club",
              tuple(LENDING_COLUMNS), required=("fico",)),
    ModelSpec("behaviour", "taiwan_credit_card_default.csv", _TAIWAN, "taiwan",
              tuple(BEHAVIOUR_COLUMNS), required=("LIMIT_BAL",), keep=("SEX", "AGE")),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}


def _quiet(_: str) -> None:
    return None


def ensure_default_models(
    registry_path: str | Path,
    data_dir: str | Path,
    *,
    fast: bool = False,
    progress: Progress = _quiet,
) -> dict[str, ModelVersion]:
    """Train and install every shipped model that has no champion yet; return champions.
    `fast` trains few trees on a subsample: for tests, not for decisions."""
    registry = ModelRegistry(registry_path)
    trained: dict[tuple[str, tuple[str, ...]], TrainResult] = {}
    out: dict[str, ModelVersion] = {}
    for spec in SPECS:
        champion = registry.champion(spec.name)
        if champion is not None:
            out[spec.name] = champion
            continue
        key = (spec.data_file, spec.columns)
        if key not in trained:
            progress(f"training the '{spec.name}' model on {spec.data_file}")
            trained[key] = train_csv(Path(data_dir) / spec.data_file, spec.options(fast=fast),
                                     progress)
        version = registry.register(
            spec.name, trained[key], dataset=spec.dataset, trained_by="ensure_default_models",
            extra={"model_kind": spec.kind, "feature_config": DEFAULT_CONFIG.to_json(),
                   "fast": fast},
        )
        try:
            install_initial(registry, spec.name, version.version, actor="ensure_default_models")
        except RiskError:
            pass  # another worker installed one meanwhile: keep theirs
        champion = registry.champion(spec.name)
        assert champion is not None
        out[spec.name] = champion
    return out
