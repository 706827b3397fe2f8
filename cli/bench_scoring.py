"""`loanflow bench scoring`: the numbers issue 4 asks for, measured in one run.

- 5-fold CV ROC AUC per data set: CatBoost defaults and loanflow's recipe side by side, on
  the same folds, all columns of each CSV (the setting of the published reference numbers);
  with --shipped also the shipped models (application-mappable columns only).
- Training time of the Taiwan model (30,000 rows, 5-fold CV, calibration, final fit).
- Scoring one application with its reasons, in process: p50 / p99 latency.
- Batch scoring throughput on the numeric Taiwan data (rows/s).
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from risk.defaults import SPEC_BY_NAME
from risk.features import personal_features
from risk.promotion import install_initial
from risk.registry import DEFAULT_DATA, ModelRegistry
from risk.scoring import Scorer
from risk.train import TrainOptions, TrainResult, cross_validate, load_dataset, recipe_params, train

GOALS = {"german_credit.csv": 0.80, "lending_club_loan_data.csv": 0.68,
         "taiwan_credit_card_default.csv": 0.785}
SHIPPED = {"german_credit.csv": "personal", "lending_club_loan_data.csv": "business",
           "taiwan_credit_card_default.csv": "behaviour"}


def add_bench_scoring_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "scoring", help="CV AUC vs CatBoost defaults, scoring latency and throughput")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA), help="folder with the CSVs")
    parser.add_argument("--applications", type=int, default=2000,
                        help="single applications to time")
    parser.add_argument("--no-shipped", dest="shipped", action="store_false",
                        help="skip cross-validating the shipped models' column subsets")
    parser.set_defaults(handler=run_bench_scoring)
    return parser


def _say(line: str) -> None:
    print(line, flush=True)


def _cv_line(path: Path, shipped: bool) -> tuple[list[str], TrainResult | None]:
    opts = TrainOptions(target="default")
    data = load_dataset(path, opts)
    base_opts = TrainOptions(target="default", baseline=True)
    base = cross_validate(data, recipe_params(len(data.y), base_opts), [], base_opts)
    result: TrainResult | None = None
    if path.name.startswith("taiwan"):
        result = train(data, opts)
        ours = result.cv
    else:
        from risk import derived

        names = derived.applicable(list(data.frame.columns), data.numeric)
        ours = cross_validate(data, recipe_params(len(data.y), opts), names, opts)
    b, o = base.summary()["auc"], ours.summary()["auc"]
    goal = GOALS.get(path.name, 0.0)
    lines = [f"{path.name:<32} {len(data.y):>6}  {b['mean']:.4f} ± {b['std']:.4f}   "
             f"{o['mean']:.4f} ± {o['std']:.4f}   {goal:.3f}  "
             f"{'met' if o['mean'] >= goal else 'NOT met'}"]
    if shipped and path.name in SHIPPED:
        spec = SPEC_BY_NAME[SHIPPED[path.name]]
        s_opts = spec.options()
        s_data = load_dataset(path, s_opts)
        from risk import derived

        names = derived.applicable(list(s_data.frame.columns), s_data.numeric)
        s_cv = cross_validate(s_data, recipe_params(len(s_data.y), s_opts), names, s_opts)
        s = s_cv.summary()["auc"]
        lines.append(f"  shipped '{spec.name}' ({len(spec.columns)} mappable columns): "
                     f"{s['mean']:.4f} ± {s['std']:.4f}")
    return lines, result


def _applications(n: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    base: dict[str, Any] = {
        "loan_type": "personal", "amount": 20000.0, "term_months": 24, "purpose": "car_used",
        "applicant": {"full_name": "Bench", "national_id": "11010519491231002X",
                      "date_of_birth": "1985-03-02", "sex": "female", "phone": "13800000000",
                      "email": "b@example.cn", "address": "x"},
        "employment": {"status": "employed", "employer": "e", "years_employed": 3.0,
                       "monthly_income": 9000.0},
        "financials": {"checking_balance": 500.0, "savings_balance": None,
                       "monthly_debt_payments": 1000.0, "existing_loans": 1,
                       "housing": "rent", "dependents": 0},
        "business": None, "consent_bureau_check": True, "process_version": None,
    }
    purposes = ["car_new", "car_used", "furniture", "electronics", "education", "business",
                "repairs", "other"]
    out = []
    for _ in range(n):
        app = copy.deepcopy(base)
        app["amount"] = float(rng.randrange(2000, 100000, 500))
        app["term_months"] = rng.choice([6, 12, 18, 24, 36, 48, 60])
        app["purpose"] = rng.choice(purposes)
        app["applicant"]["date_of_birth"] = f"{rng.randint(1950, 2004)}-0{rng.randint(1, 9)}-15"
        app["employment"]["years_employed"] = float(rng.randint(0, 20))
        app["financials"]["checking_balance"] = rng.choice([None, -500.0, 300.0, 5000.0])
        app["financials"]["savings_balance"] = rng.choice([None, 100.0, 3000.0, 20000.0])
        app["financials"]["housing"] = rng.choice(["own", "rent", "free"])
        out.append(app)
    return out


def _bureau(rng: random.Random) -> dict[str, Any]:
    return {"status": rng.choice(["hit", "hit", "hit", "no_hit"]), "score": rng.randint(500, 800),
            "tradelines": [{"kind": "credit_card", "limit": 20000, "balance": 5000,
                            "past_due": rng.choice([0, 0, 300]), "status_24m": ""}],
            "inquiries_6m": rng.randint(0, 5), "public_records": 0,
            "delinquencies_2y": rng.choice([0, 0, 1]), "revolving_utilization": 0.3,
            "oldest_tradeline_months": rng.randint(6, 200)}


def _latency(data_dir: Path, n: int, registry: ModelRegistry) -> None:
    spec = SPEC_BY_NAME["personal"]
    result = train(load_dataset(data_dir / spec.data_file, spec.options()), spec.options())
    version = registry.register("personal", result)
    install_initial(registry, "personal", version.version, actor="bench")
    scorer = Scorer(registry.get("personal"))
    rng = random.Random(11)
    apps = [(a, _bureau(rng)) for a in _applications(n)]
    for app, bureau in apps[:50]:
        scorer.score(personal_features(app, None, bureau))
    times = []
    n_reasons = []
    for app, bureau in apps:
        t0 = time.perf_counter()
        res = scorer.score(personal_features(app, None, bureau))
        times.append(time.perf_counter() - t0)
        n_reasons.append(len(res.reasons))
    ms = np.array(times) * 1000
    _say(f"single application with reasons (personal model, {len(result.model.feature_names_)} "
         f"features, {result.model.tree_count_} trees), {n} applications: "
         f"p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms "
         f"(goal p50 <= 2 ms, p99 <= 10 ms); reasons per application: "
         f"mean {statistics.mean(n_reasons):.2f}, max {max(n_reasons)}")


def _throughput(result: TrainResult, registry: ModelRegistry) -> None:
    version = registry.register("taiwan-bench", result)
    scorer = Scorer(version, explain=False)
    frame = result.dataset.frame
    scorer.predict_pd(frame.iloc[:100])
    rates = []
    for _ in range(5):
        t0 = time.perf_counter()
        scorer.predict_pd(frame)
        rates.append(len(frame) / (time.perf_counter() - t0))
    _say(f"batch scoring (Taiwan, {len(frame)} rows, {len(result.model.feature_names_)} "
         f"features, {result.model.tree_count_} trees): median {statistics.median(rates):,.0f} "
         f"rows/s (goal >= 100,000)")


def run_bench_scoring(args: argparse.Namespace) -> int:
    data_dir = Path(getattr(args, "data_dir", None) or DEFAULT_DATA)
    applications = int(getattr(args, "applications", None) or 2000)
    shipped = bool(getattr(args, "shipped", True))
    _say("5-fold stratified CV ROC AUC (same folds, seed 0), all columns of each CSV")
    _say(f"{'data set':<32} {'rows':>6}  {'CatBoost defaults':<17}  {'loanflow recipe':<17} "
         f"goal   result")
    taiwan: TrainResult | None = None
    for name in GOALS:
        lines, result = _cv_line(data_dir / name, shipped)
        for line in lines:
            _say(line)
        taiwan = result or taiwan
    if taiwan is not None:
        _say(f"Taiwan training time (5-fold CV + calibration + final model, "
             f"{taiwan.params.get('thread_count')} threads): {taiwan.training_seconds:.1f} s "
             f"(goal < 120 s)")
    with tempfile.TemporaryDirectory() as tmp:
        registry = ModelRegistry(tmp)
        _latency(data_dir, applications, registry)
        if taiwan is not None:
            _throughput(taiwan, registry)
    return 0
